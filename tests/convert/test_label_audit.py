"""Jobs written fresh for an audit of the `converted` label (docs/conversion-status.md): each case is a job that was
labelled converted while its pipeline would not do what Jenkins does."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml

from .helpers import own_provided

PASSWORD_DEFAULT = """pipeline {
  agent any
  parameters { password(name: 'SFTP_PASS', defaultValue: 'changeme', description: 'sftp password') }
  triggers { cron('0 4 * * *') }
  stages {
    stage('Pull') { steps { sh 'SSHPASS="$SFTP_PASS" sshpass -e sftp feed@sftp.example.com:/out/*.csv .' } }
  }
}
"""

PASSWORD_XML = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <properties>
    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
      <hudson.model.PasswordParameterDefinition><name>API_KEY</name><defaultValue>{AQAAABAAAAAQabc=}</defaultValue>
      </hudson.model.PasswordParameterDefinition>
      <hudson.model.PasswordParameterDefinition><name>NO_DEFAULT</name><defaultValue></defaultValue>
      </hudson.model.PasswordParameterDefinition>
    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <triggers><hudson.triggers.TimerTrigger><spec>@hourly</spec></hudson.triggers.TimerTrigger></triggers>
  <builders><hudson.tasks.Shell><command>python sync.py --key "$API_KEY"</command></hudson.tasks.Shell></builders>
</project>
"""


def _secrets(conv):  # type: ignore[no-untyped-def]
    [task] = conv.tasks
    return {(s.env, s.source, s.id, s.param_default) for s in task.spec.secrets}


def test_a_password_parameter_default_is_an_airflow_variable_never_dropped_nor_copied() -> None:
    """Jenkins runs a timer (or any run given no value) with the password parameter's default; the pipeline fills
    it from an Airflow variable, as it does for a secret default of a string parameter, and never copies it."""
    job = parse_jenkinsfile(PASSWORD_DEFAULT, "password_param.Jenkinsfile", "feeds/password_param")
    conv = convert_job(job, own_provided())
    assert conv.pipeline is not None
    [template] = conv.templates
    [param] = template.spec.parameters
    assert (param.name, param.type, param.default) == ("SFTP_PASS", "password", None)
    assert _secrets(conv) == {("SFTP_PASS", "variable", "feeds.password_param.SFTP_PASS", True)}
    assert "changeme" not in conv.pipeline.model_dump_json() + "".join(d.spec.model_dump_json() for d in conv.tasks)
    assert conv.status == "partial"  # the variable must be created before the first run
    assert any("SFTP_PASS" in r and "feeds.password_param.SFTP_PASS" in r for r in conv.reasons)


def test_a_config_xml_password_default_is_an_airflow_variable_and_an_empty_one_is_nothing() -> None:
    job = parse_config_xml(PASSWORD_XML, "jobs/sync/config.xml", "sync")
    conv = convert_job(job)
    assert _secrets(conv) == {("API_KEY", "variable", "sync.API_KEY", True)}
    assert "AQAAAB" not in "".join(d.spec.model_dump_json() for d in [*conv.tasks, *conv.templates])
    assert conv.status == "partial"


UNSTABLE_RETURN = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <scm class="hudson.scm.NullSCM"/>
  <builders>
    <hudson.tasks.Shell><command>find /data/tmp -mtime +7 -delete</command></hudson.tasks.Shell>
    <hudson.tasks.Shell><command>./check_space.sh</command><unstableReturn>2</unstableReturn></hudson.tasks.Shell>
    <hudson.tasks.Shell><command>echo after</command><unstableReturn>0</unstableReturn></hudson.tasks.Shell>
  </builders>
</project>
"""


def test_a_shell_builder_unstable_return_code_is_flagged_not_dropped() -> None:
    """Jenkins ends the build UNSTABLE on that exit code and runs the next builders; the task fails on it and the
    run stops there: the job is partial, the builder's place and the code named. `0` (none) is not flagged."""
    conv = convert_job(parse_config_xml(UNSTABLE_RETURN, "jobs/cleanup/config.xml", "cleanup"))
    assert conv.status == "partial"
    [entry] = [e for e in conv.ledger if e.outcome == "approximated"]
    assert (entry.element, entry.span.line) == ("builder hudson.tasks.Shell", 6)
    assert "unstableReturn 2" in entry.reason and "UNSTABLE" in entry.reason
    assert [r for r in conv.reasons if "unstableReturn" in r] == [f"jobs/cleanup/config.xml:6:1: {entry.element}: "
                                                                  f"{entry.reason}"]


POST_ORDER = """pipeline {
  agent any
  stages {
    stage('Build') {
      steps { sh 'mkdir -p out && python build.py > out/log.txt' }
      post { success { sh 'touch out/ok' } always { sh 'cp out/log.txt stage.log' } }
    }
  }
  post {
    failure { sh 'tar czf failure-logs.tgz out/' }
    changed { sh 'echo changed' }
    always { sh 'rm -rf out' }
  }
}
"""


def _upstream(conv, task_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Every task `task_id` waits for, directly or not."""
    deps = {t.id: set(t.depends_on) for t in conv.pipeline.tasks}
    seen: set[str] = set()
    todo = [task_id]
    while todo:
        for d in deps[todo.pop()] - seen:
            seen.add(d)
            todo.append(d)
    return seen


def test_post_blocks_run_one_after_the_other_in_jenkins_order_not_side_by_side() -> None:
    """Jenkins runs always, changed, ..., failure, success, ... cleanup in that order, whatever the order written:
    `failure` reads out/ after `always` removed it. The pipeline ran the blocks side by side (a race on the
    workspace); each block's gate now waits for the blocks before it."""
    conv = convert_job(parse_jenkinsfile(POST_ORDER, "post_order.Jenkinsfile", "post_order"), own_provided())
    assert conv.status == "converted"
    by_command = {d.spec.command: d.name for d in conv.tasks if d.kind == "concrete_task"}
    task = {by_command[c]: t.id for t in conv.pipeline.tasks for c in by_command if t.uses.name == by_command[c]}
    rm, changed, tar = task[by_command["rm -rf out"]], task[by_command["echo changed"]], \
        task[by_command["tar czf failure-logs.tgz out/"]]
    assert rm in _upstream(conv, changed) and changed in _upstream(conv, tar)
    assert not {changed, tar} & _upstream(conv, rm)
    ok, cp = task[by_command["touch out/ok"]], task[by_command["cp out/log.txt stage.log"]]
    assert cp in _upstream(conv, ok) and ok not in _upstream(conv, cp)

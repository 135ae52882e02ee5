"""Steps the runtime must really run as Jenkins does: `bat` only on workers a rule gives cmd.exe, `build job:`'s
`wait`/`propagate`, blocking triggers' thresholds, `sshagent` keys in an agent, custom workspaces."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.context import FALLBACK_TASK
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided


def _jf(text: str, rules: Any = None) -> Any:
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/job"), rules or own_provided())


def _xml(body: str, root: str = "project") -> Any:
    return convert_job(parse_config_xml(f"<{root}>{body}</{root}>".encode(), "config.xml", "team/job"))


def test_a_bat_builder_is_a_placeholder_the_runtime_would_refuse_it() -> None:
    conv = _xml("<builders><hudson.tasks.BatchFile><command>build.cmd</command></hudson.tasks.BatchFile>"
                "</builders>")
    [placeholder] = conv.placeholders
    assert placeholder.element == "builder hudson.tasks.BatchFile" and "Windows workers (cmd.exe)" in placeholder.reason
    assert "shells: [bat]" in placeholder.reason and str(placeholder.span) == "config.xml:1:1"
    assert [t.uses.name for t in conv.pipeline.tasks] == [FALLBACK_TASK]  # the job stays on Jenkins
    assert conv.status == "jenkins_only"


def test_bat_and_powershell_run_where_a_rule_gives_windows_workers(tmp_path: Any) -> None:
    (tmp_path / "w.yaml").write_text("agents: {labels: {windows: {queue: win, shells: [bat, powershell]}}}\n")
    rules = load_rules([tmp_path])
    conv = _jf("node('windows') { stage('b') { bat 'build.cmd'\n powershell 'Get-ChildItem' } }\n", rules)
    assert conv.status == "converted", conv.reasons
    assert [(d.spec.shell, d.spec.command) for d in conv.tasks] == [("bat", "build.cmd"),
                                                                    ("powershell", "Get-ChildItem")]
    assert {t.queue for t in conv.pipeline.tasks} == {"win"}
    sh_there = _jf("node('windows') { stage('b') { sh 'make' } }\n", rules)
    [placeholder] = sh_there.placeholders  # Windows workers have no sh
    assert placeholder.element == "step sh" and "bat, powershell" in placeholder.reason


def test_pwsh_needs_a_rule_that_gives_pwsh(tmp_path: Any) -> None:
    assert _jf("node { stage('b') { pwsh 'Get-Date' } }\n").placeholders[0].element == "step pwsh"
    (tmp_path / "p.yaml").write_text("agents: {any: {shells: [sh, pwsh]}}\n")
    conv = _jf("node { stage('b') { pwsh 'Get-Date'\n sh 'date' } }\n", load_rules([tmp_path]))
    assert conv.status == "converted" and [d.spec.shell for d in conv.tasks] == ["powershell", "sh"]


def test_build_job_wait_and_propagate_are_honoured() -> None:
    conv = _jf("""node { stage('t') {
  build job: 'a'
  build job: 'b', wait: false
  build job: 'c', propagate: false
  build job: 'd', propagate: params.STRICT
} }
""")
    a, b, c, d = conv.pipeline.tasks
    assert (a.bindings["wait"], "propagate" in a.bindings) == (True, False)
    assert (b.bindings["wait"], "propagate" in b.bindings) == (False, False)
    assert (c.bindings["wait"], c.bindings["propagate"]) == (True, False)
    assert "propagate" not in d.bindings  # computed: Jenkins' default, true, flagged
    [approx] = conv.approximations
    assert approx.element == "step build propagate" and str(approx.span) == "Jenkinsfile:5:3"
    reasons = [e.reason for e in conv.ledger if e.element == "step build"]
    assert reasons[1].startswith("triggers and goes on") and "propagate: false" in reasons[2]


def _trigger_builder(block: str) -> str:
    return f"""<builders><hudson.plugins.parameterizedtrigger.TriggerBuilder><configs>
<hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig><projects>down</projects>{block}
</hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig></configs>
</hudson.plugins.parameterizedtrigger.TriggerBuilder></builders>"""


def test_blocking_trigger_builder_propagates_only_with_a_failure_threshold() -> None:
    never = _xml(_trigger_builder("<block/>"))
    assert never.pipeline.tasks[0].bindings["wait"] is True
    assert never.pipeline.tasks[0].bindings["propagate"] is False  # waits; a failed downstream fails nothing
    fails = _xml(_trigger_builder("<block><buildStepFailureThreshold><name>FAILURE</name>"
                                  "</buildStepFailureThreshold></block>"))
    assert "propagate" not in fails.pipeline.tasks[0].bindings and fails.status == "converted"
    unstable = _xml(_trigger_builder("<block><unstableThreshold><name>FAILURE</name></unstableThreshold></block>"))
    [approx] = unstable.approximations
    assert "UNSTABLE" in approx.reason and approx.element.endswith("unstableThreshold")


def test_sshagent_keys_go_to_an_agent_not_to_the_environment() -> None:
    conv = _jf("""node { stage('d') {
  sshagent(credentials: ['deploy', 'mirror']) {
    sshagent(['inner']) { sh 'git push origin HEAD' }
  }
} }
""")
    assert conv.status == "converted", conv.reasons
    [doc] = conv.tasks
    assert doc.spec.ssh_agent == ["JENKINS2FLOW_SSH_KEY_1", "JENKINS2FLOW_SSH_KEY_2", "JENKINS2FLOW_SSH_KEY_3"]
    assert [(s.env, s.id, s.field) for s in doc.spec.secrets] == [
        ("JENKINS2FLOW_SSH_KEY_1", "deploy", "private_key"), ("JENKINS2FLOW_SSH_KEY_2", "mirror", "private_key"),
        ("JENKINS2FLOW_SSH_KEY_3", "inner", "private_key")]
    assert [c.binding for c in conv.credentials] == ["sshagent"] * 3


def test_sshagent_wrapper_and_sshagent_around_a_container() -> None:
    conv = _xml("""<buildWrappers><com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper>
<credentialIds><string>deploy</string></credentialIds></com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper>
</buildWrappers><builders><hudson.tasks.Shell><command>scp a b:</command></hudson.tasks.Shell></builders>""")
    assert conv.tasks[0].spec.ssh_agent == ["JENKINS2FLOW_SSH_KEY_1"] and conv.status == "converted"
    boxed = _jf("node { stage('d') { sshagent(['k']) { docker.image('alpine').inside { sh 'ssh x' } } } }\n")
    [approx] = boxed.approximations
    assert "not on Fargate" in approx.reason and approx.element == "step sh"


def test_custom_workspaces_and_dir() -> None:
    conv = _jf("""pipeline {
  agent { node { label 'x'; customWorkspace 'build-ws' } }
  stages { stage('a') { steps { dir('sub dir') { sh 'make' } } } }
}
""", _any_label())
    assert conv.tasks[0].spec.command == ("mkdir -p -- build-ws && cd -- build-ws || exit 1\n"
                                          'WORKSPACE="$PWD"; export WORKSPACE\n'
                                          "mkdir -p -- 'sub dir' && cd -- 'sub dir' || exit 1\nmake")
    assert conv.status == "converted", conv.reasons
    ws = _jf("node { stage('a') { ws('/var/lib/ws') { sh 'make' } } }\n")
    assert ws.tasks[0].spec.command == "make"
    [approx] = ws.approximations
    assert approx.element == "step ws" and "absolute" in approx.reason
    shebang = _jf("node { stage('a') { dir('x') { sh '''#!/usr/bin/env python3\nprint(1)''' } } }\n")
    assert shebang.tasks[0].spec.command.startswith("#!/usr/bin/env python3\n")
    assert "its own interpreter" in shebang.approximations[0].reason
    bash = _jf("node { stage('a') { dir('x') { sh '''#!/bin/bash\necho hi''' } } }\n")
    assert bash.tasks[0].spec.command.startswith("#!/bin/bash\nmkdir -p -- x && cd -- x || exit 1\n")


def test_freestyle_custom_workspace() -> None:
    conv = _xml("<customWorkspace>ws/etl</customWorkspace><builders><hudson.tasks.Shell><command>make</command>"
                "</hudson.tasks.Shell></builders>")
    assert conv.tasks[0].spec.command.startswith("mkdir -p -- ws/etl && cd -- ws/etl || exit 1\n")
    mapped = {e.element: str(e.span) for e in conv.ledger}
    assert mapped["customWorkspace"] == "config.xml:1:1"
    variable = _xml("<customWorkspace>${JENKINS_HOME}/ws</customWorkspace><builders><hudson.tasks.Shell>"
                    "<command>make</command></hudson.tasks.Shell></builders>")
    assert variable.status == "partial" and "variables" in variable.approximations[0].reason


def _any_label() -> Any:
    rules = own_provided(load_rules())
    rules.tables["agents"]["default"] = {"queue": "{label}"}
    return rules


def test_lock_is_a_one_slot_pool_exact_for_one_task_and_wrap_follows_its_rule() -> None:
    from tests.convert.test_golden import convert_case

    conv = convert_case("run_lock")
    tasks = {t.id: t for t in conv.pipeline.tasks}
    assert [tasks[i].pool for i in ("deploy", "smoke", "smoke_2", "per_branch", "wrapped")] == [
        "lock_staging-db", "lock_staging-db", "lock_staging-db", "", ""]
    assert tasks["deploy"].env == {"HELD": "staging-db", "HELD0": "staging-db"}  # lock(variable:) as Jenkins sets it
    by_line = {e.span.line: e for e in conv.ledger if e.key in ("lock", "wrap")}
    assert by_line[9].outcome == "mapped" and "`airflow pools set lock_staging-db 1" in by_line[9].reason
    assert by_line[14].outcome == "approximated"
    assert "each of its 2 tasks takes the pool's one slot" in by_line[14].reason
    assert by_line[22].outcome == "approximated" and "not enforced" in by_line[22].reason
    assert by_line[27].outcome == "waived" and "mappings plugins.hudson.plugins.timestamper" in by_line[27].reason
    assert by_line[28].outcome == "approximated" and "`plugins: {Xvfb: {waive: WHY}}`" in by_line[28].reason
    option = _jf("pipeline { agent any\n options { skipDefaultCheckout(); lock('db') }\n stages { stage('a') {"
                 " steps { sh 'x' } } } }\n")
    assert option.pipeline.tasks[0].pool == "lock_db" and option.approximations[0].element == "option lock"

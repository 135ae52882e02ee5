"""MultiJob phases, Build Flow DSL scripts and pipelines from SCM convert to trigger tasks and Jenkinsfile tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.context import FALLBACK_TASK, NOT_CONVERTED_TASK
from jenkins2flow.parse.job_xml import parse_config_xml


def _phase(name: str, jobs: str, condition: str = "SUCCESSFUL", execution: str = "PARALLEL") -> str:
    return f"""<com.tikal.jenkins.plugins.multijob.MultiJobBuilder><phaseName>{name}</phaseName>
      <phaseJobs>{jobs}</phaseJobs><continuationCondition>{condition}</continuationCondition>
      <executionType>{execution}</executionType></com.tikal.jenkins.plugins.multijob.MultiJobBuilder>"""


def _pj(name: str, props: str = "", extra: str = "") -> str:
    configs = (f"<configs><hudson.plugins.parameterizedtrigger.PredefinedBuildParameters><properties>{props}"
               "</properties></hudson.plugins.parameterizedtrigger.PredefinedBuildParameters></configs>"
               if props else "<configs/>")
    return (f"<com.tikal.jenkins.plugins.multijob.PhaseJobsConfig><jobName>{name}</jobName><currParams>false"
            f"</currParams>{configs}<killPhaseOnJobResultCondition>FAILURE</killPhaseOnJobResultCondition>{extra}"
            "</com.tikal.jenkins.plugins.multijob.PhaseJobsConfig>")


def _multijob(builders: str) -> bytes:
    return f"""<?xml version='1.1' encoding='UTF-8'?>
<com.tikal.jenkins.plugins.multijob.MultiJobProject plugin="jenkins-multijob-plugin@1.32">
  <scm class="hudson.scm.NullSCM"/>
  <builders>{builders}</builders>
</com.tikal.jenkins.plugins.multijob.MultiJobProject>""".encode()


def _convert(data: bytes, name: str = "team/orchestrate"):  # type: ignore[no-untyped-def]
    return convert_job(parse_config_xml(data, "config.xml", name))


def _tasks(conv):  # type: ignore[no-untyped-def]
    assert conv.pipeline is not None, conv.reasons
    return {t.id: t for t in conv.pipeline.tasks}


def test_multijob_phases_fan_out_in_sequence_with_continuation_rules() -> None:
    xml = _multijob(
        "<hudson.tasks.Shell><command>make prepare</command></hudson.tasks.Shell>"
        + _phase("build", _pj("compile-a", "TARGET=a\nLEVEL=2") + _pj("compile-b", "TARGET=b\nREF=${GIT_COMMIT}"),
                 condition="COMPLETED")
        + _phase("test", _pj("tests", extra="<enableRetryStrategy>true</enableRetryStrategy><maxRetries>2"
                             "</maxRetries>"))
        + _phase("deploy", _pj("deploy")))
    conv = _convert(xml)
    tasks = _tasks(conv)
    triggers = [t for t in tasks.values() if t.uses.name == "airflow.trigger-pipeline"]
    assert [t.bindings["pipeline"] for t in triggers] == ["compile-a", "compile-b", "tests", "deploy"]
    assert all(t.bindings["wait"] is True for t in triggers)
    shell = next(t for t in tasks.values() if t.uses.name.startswith("sh."))
    a, b, test, deploy = triggers
    assert a.depends_on == b.depends_on == [shell.id]  # one phase: parallel after the shell builder
    assert a.bindings["conf"] == {"TARGET": "a", "LEVEL": "2"}
    assert b.bindings["conf"] == {"TARGET": "b"}  # the ${GIT_COMMIT} value is Jenkins-side: reported, not passed
    assert sorted(test.depends_on) == sorted([a.id, b.id])
    assert test.trigger_rule == "all_done" and test.retries == 2  # COMPLETED: the next phase runs whatever the result
    assert deploy.depends_on == [test.id] and deploy.trigger_rule == "all_success"
    assert not conv.jenkins_only and FALLBACK_TASK not in {t.uses.name for t in tasks.values()}
    assert conv.status == "partial"  # the computed parameter is a ledger gap
    assert any("GIT_COMMIT" in r for r in conv.reasons)
    assert not any("unsupported job kind" in str(d) and d.level != "info" for d in conv.diagnostics)


def test_multijob_without_gaps_is_converted_and_sequential_phases_chain() -> None:
    conv = _convert(_multijob(_phase("one", _pj("a") + _pj("b"), execution="SEQUENTIALLY")))
    tasks = list(_tasks(conv).values())
    assert conv.status == "converted", conv.reasons
    assert tasks[1].depends_on == [tasks[0].id]


def test_other_unsupported_kinds_still_fall_back() -> None:
    xml = b"<hudson.model.ExternalJob><description>x</description></hudson.model.ExternalJob>"
    conv = _convert(xml)
    assert conv.jenkins_only


def _flow(dsl: str) -> bytes:
    dsl = dsl.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return f"""<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.plugins.flow.BuildFlow plugin="build-flow-plugin@0.20">
  <dsl>{dsl}</dsl>
  <buildNeedsWorkspace>false</buildNeedsWorkspace>
</com.cloudbees.plugins.flow.BuildFlow>""".encode()


def test_buildflow_builds_parallel_retry_guard_and_ignore() -> None:
    conv = _convert(_flow('build("prep", ENV: "qa", N: 3)\n'
                          'parallel({ build("a") }, { retry(3) { build("b") } })\n'
                          'ignore(FAILURE) { build("flaky") }\n'
                          'guard { build("deploy") } rescue { build("cleanup") }\n'))
    tasks = list(_tasks(conv).values())
    by = {t.bindings["pipeline"]: t for t in tasks}
    assert list(by) == ["prep", "a", "b", "flaky", "deploy", "cleanup"]
    assert by["prep"].bindings["conf"] == {"ENV": "qa", "N": 3}
    assert by["a"].depends_on == by["b"].depends_on == [by["prep"].id]
    assert by["b"].retries == 2 and by["a"].retries is None
    assert sorted(by["flaky"].depends_on) == sorted([by["a"].id, by["b"].id])
    assert by["deploy"].depends_on == [by["flaky"].id] and by["deploy"].trigger_rule == "all_done"  # ignored failure
    assert by["cleanup"].depends_on == [by["deploy"].id] and by["cleanup"].trigger_rule == "all_done"  # rescue
    assert conv.status == "converted", conv.reasons


def test_buildflow_with_other_groovy_is_one_fallback_with_its_source() -> None:
    conv = _convert(_flow('def n = 3\nfor (i in 1..n) { build("x") }\n'))
    tasks = list(_tasks(conv).values())
    assert len(tasks) == 1 and tasks[0].uses.name == FALLBACK_TASK  # the whole flow runs once in Jenkins
    assert tasks[0].bindings["jenkins_job"] == "team/orchestrate"
    assert conv.pipeline is not None
    [draft] = conv.pipeline.draft_tasks  # the flow script as a whole, kept with its source for review
    assert draft.uses.name == NOT_CONVERTED_TASK and "for (i in 1..n)" in draft.bindings["source"]
    assert any("line 2: for" in r for r in conv.reasons)


def _flow_definition(script_path: str) -> bytes:
    return f"""<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@1254">
  <description>deploys</description>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
      <hudson.model.StringParameterDefinition><name>REGION</name><defaultValue>eu</defaultValue>
      </hudson.model.StringParameterDefinition>
    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty><triggers>
      <hudson.triggers.TimerTrigger><spec>H 3 * * *</spec></hudson.triggers.TimerTrigger>
    </triggers></org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition">
    <scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>
      <url>https://example.com/app.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>
    <scriptPath>{script_path}</scriptPath>
  </definition>
</flow-definition>""".encode()


JENKINSFILE = """pipeline {
  agent any
  parameters { string(name: 'TAG', defaultValue: 'latest') }
  stages {
    stage('Build') { steps { sh 'make build' } }
    stage('Deploy') { steps { sh 'make deploy TAG=$TAG' } }
  }
}
"""


def test_pipeline_from_scm_converts_the_workspace_jenkinsfile(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "deploy.groovy").write_text(JENKINSFILE)
    job = parse_config_xml(_flow_definition("ci/deploy.groovy"), "config.xml", "team/deploy")
    conv = convert_job(job, workspace=tmp_path)
    assert conv.pipeline is not None and not conv.jenkins_only, conv.reasons
    assert conv.job == "team/deploy"
    commands = [d.spec.model_dump().get("command", "") for d in conv.tasks]
    assert "make build" in commands and "make deploy TAG=$TAG" in commands
    params = [p["name"] for t in conv.templates for p in t.spec.model_dump()["parameters"]]
    assert params == ["REGION", "TAG"]  # config.xml's and the Jenkinsfile's
    assert conv.pipeline.schedule is not None and conv.pipeline.schedule.cron  # the config.xml timer
    assert FALLBACK_TASK not in {t.uses.name for t in conv.pipeline.tasks}
    assert conv.pipeline.max_active_runs == 1  # config.xml's disableConcurrentBuilds is not lost in the merge


def test_pipeline_from_scm_without_workspace_says_how_to_convert_it() -> None:
    conv = convert_job(parse_config_xml(_flow_definition("Jenkinsfile"), "config.xml", "team/deploy"))
    assert conv.jenkins_only
    assert any("--workspace" in r for r in conv.reasons)


@pytest.mark.parametrize("path", ["../outside/Jenkinsfile", "/etc/hostname"])
def test_pipeline_from_scm_refuses_paths_leaving_the_workspace(tmp_path: Path, path: str) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Jenkinsfile").write_text(JENKINSFILE)
    conv = convert_job(parse_config_xml(_flow_definition(path), "config.xml", "team/deploy"), workspace=tmp_path / "ws")
    assert conv.jenkins_only
    assert any("outside the workspace" in r for r in conv.reasons), conv.reasons


def test_multibranch_converts_the_default_jenkinsfile(tmp_path: Path) -> None:
    (tmp_path / "Jenkinsfile").write_text(JENKINSFILE)
    xml = b"""<?xml version='1.1' encoding='UTF-8'?>
<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject plugin="workflow-multibranch@2.26">
  <description>app</description>
  <factory class="org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory">
    <scriptPath>Jenkinsfile</scriptPath></factory>
</org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>"""
    job = parse_config_xml(xml, "config.xml", "team/app")
    assert job.kind == "multibranch"
    without = convert_job(job)
    assert without.jenkins_only and any("--workspace" in r for r in without.reasons)
    conv = convert_job(job, workspace=tmp_path)
    assert conv.pipeline is not None and not conv.jenkins_only, conv.reasons
    assert conv.job == "team/app" and conv.kind == "multibranch"


@pytest.mark.parametrize("xml", [_multijob(""), _flow("")])
def test_empty_orchestration_jobs_keep_the_jenkins_fallback(xml: bytes) -> None:
    conv = _convert(xml)
    assert conv.jenkins_only and conv.status == "jenkins_only"
    assert conv.pipeline is not None and [t.uses.name for t in conv.pipeline.tasks] == [FALLBACK_TASK]
    assert any("no phase or flow script" in r for r in conv.reasons)


def test_an_inline_flow_definition_keeps_its_config_xml_job_settings() -> None:
    xml = b"""<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@1254">
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <jenkins.model.BuildDiscarderProperty><strategy class="hudson.tasks.LogRotator"><daysToKeep>7</daysToKeep>
    </strategy></jenkins.model.BuildDiscarderProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script>pipeline { agent any; stages { stage('A') { steps { sh 'make' } } } }</script>
    <sandbox>true</sandbox>
  </definition>
</flow-definition>"""
    conv = convert_job(parse_config_xml(xml, "config.xml", "inline"))
    assert conv.pipeline is not None and conv.pipeline.max_active_runs == 1
    elements = {e.element: e.outcome for e in conv.ledger}
    assert any(k.endswith("BuildDiscarderProperty") and v == "waived" for k, v in elements.items()), elements

"""Triggers from two sources (a flow-definition's config.xml and its inline script or Jenkinsfile from SCM) merge in
one place, convert.triggers.merge: the same trigger in both is one trigger, different ones are all kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.triggers import merge
from jenkins2flow.ir import Span, Trigger
from jenkins2flow.parse.job_xml import parse_config_xml


def _timer(spec: str) -> str:
    return (f"<triggers><hudson.triggers.TimerTrigger><spec>{spec}</spec></hudson.triggers.TimerTrigger>"
            "</triggers>") if spec else ""


def _flow_definition(xml_spec: str, definition: str) -> bytes:
    return f"""<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@1400">
  <properties><org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
    {_timer(xml_spec)}
  </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty></properties>
  {definition}
</flow-definition>""".encode()


def _inline(xml_spec: str, script_spec: str) -> bytes:
    script = (f"properties([pipelineTriggers([cron('{script_spec}')])])\n"
              "node { stage('Load') { sh 'python load.py' } }\n")
    return _flow_definition(xml_spec, f"""<definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script>{script}</script><sandbox>true</sandbox></definition>""")


def _from_scm(xml_spec: str) -> bytes:
    return _flow_definition(xml_spec, """<definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition">
    <scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>
      <url>https://example.com/etl.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>
    <scriptPath>Jenkinsfile</scriptPath></definition>""")


def _jenkinsfile(spec: str) -> str:
    return ("pipeline {\n  agent any\n"
            f"  triggers {{ cron('{spec}') }}\n"
            "  stages { stage('Load') { steps { sh 'python load.py' } } }\n}\n")


def _convert_inline(xml_spec: str, script_spec: str):  # type: ignore[no-untyped-def]
    return convert_job(parse_config_xml(_inline(xml_spec, script_spec), "config.xml", "etl/daily"))


def _convert_scm(tmp_path: Path, xml_spec: str, script_spec: str):  # type: ignore[no-untyped-def]
    (tmp_path / "Jenkinsfile").write_text(_jenkinsfile(script_spec), encoding="utf-8")
    job = parse_config_xml(_from_scm(xml_spec), "config.xml", "etl/daily")
    return convert_job(job, workspace=tmp_path)


def _cron_ledger(conv):  # type: ignore[no-untyped-def]
    return [e for e in conv.ledger if e.element == "trigger cron"]


def _scheduled_and_merged(conv):  # type: ignore[no-untyped-def]
    entries = _cron_ledger(conv)
    scheduled = [e for e in entries if e.reason.startswith("schedule ")]
    merged = [e for e in entries if e.reason.startswith("the same trigger as at ")]
    assert len(scheduled) == len(merged) == 1 and len(entries) == 2, entries
    return scheduled[0], merged[0]


@pytest.mark.parametrize("script_spec", ["H 2 * * *", "H  2 *\t* *"])
def test_inline_script_and_config_xml_with_the_same_timer_schedule_one_run(script_spec: str) -> None:
    conv = _convert_inline("H 2 * * *", script_spec)
    assert conv.pipeline is not None, conv.reasons
    schedule = conv.pipeline.schedule
    assert schedule is not None and len(schedule.cron) == 1, schedule
    assert schedule.jenkins_spec == "H 2 * * *"
    scheduled, merged = _scheduled_and_merged(conv)
    assert scheduled.span.line < merged.span.line  # config.xml's timer is kept, the script's merges into it
    assert merged.reason.startswith(f"the same trigger as at {scheduled.span}: converted once")
    assert conv.status == "converted"


def test_inline_script_and_config_xml_with_different_timers_keep_both() -> None:
    conv = _convert_inline("H 2 * * *", "H 4 * * *")
    assert conv.pipeline is not None and conv.pipeline.schedule is not None
    assert len(conv.pipeline.schedule.cron) == 2
    assert conv.pipeline.schedule.jenkins_spec == "H 2 * * *\nH 4 * * *"
    assert all(e.reason.startswith("schedule ") for e in _cron_ledger(conv))


def test_jenkinsfile_from_scm_and_config_xml_with_the_same_timer_schedule_one_run(tmp_path: Path) -> None:
    conv = _convert_scm(tmp_path, "H 2 * * *", "H 2 * * *")
    assert conv.pipeline is not None and not conv.jenkins_only, conv.reasons
    schedule = conv.pipeline.schedule
    assert schedule is not None and len(schedule.cron) == 1, schedule
    assert schedule.jenkins_spec == "H 2 * * *"
    scheduled, merged = _scheduled_and_merged(conv)
    assert scheduled.span.path == "config.xml" and merged.span.path == str(tmp_path / "Jenkinsfile")
    assert merged.reason.startswith(f"the same trigger as at {scheduled.span}: converted once")


def test_jenkinsfile_from_scm_and_config_xml_with_different_timers_keep_both(tmp_path: Path) -> None:
    conv = _convert_scm(tmp_path, "H 2 * * *", "H 4 * * 1-5")
    assert conv.pipeline is not None and conv.pipeline.schedule is not None
    assert len(conv.pipeline.schedule.cron) == 2
    assert conv.pipeline.schedule.jenkins_spec == "H 2 * * *\nH 4 * * 1-5"


def test_a_timer_in_one_source_only_is_kept(tmp_path: Path) -> None:
    conv = _convert_scm(tmp_path, "", "H 3 * * *")
    assert conv.pipeline is not None and conv.pipeline.schedule is not None
    assert conv.pipeline.schedule.jenkins_spec == "H 3 * * *"


def _trig(kind: str, line: int, **kw: object) -> Trigger:
    return Trigger(kind, Span("f", line, 1), **kw)  # type: ignore[arg-type]


def test_merge_compares_kind_spec_upstream_threshold_and_plugin_not_spans() -> None:
    a = _trig("cron", 1, spec="H 2 * * *\n", plugin="hudson.triggers.TimerTrigger")
    same = [_trig("cron", 9, spec="  H 2  * * *"),  # the Jenkinsfile parser records no class for a known kind
            _trig("upstream", 2, upstream=("a", "b"), threshold="SUCCESS"),
            _trig("upstream", 8, upstream=("b", "a"))]  # Jenkins' default threshold is SUCCESS
    other = [_trig("upstream", 3, upstream=("a", "b"), threshold="UNSTABLE"),
             _trig("upstream", 4, upstream=("a",), threshold="SUCCESS"),
             _trig("pollscm", 5, spec="H 2 * * *"),
             _trig("other", 6, plugin="org.example.OneTrigger"), _trig("other", 7, plugin="org.example.TwoTrigger"),
             _trig("cron", 10, spec="H 2 * * *\nH 3 * * *")]
    kept, repeats = merge([a, same[1], *other, same[0], same[2]])
    assert kept == [a, same[1], *other]
    assert repeats == [(same[0], a), (same[2], same[1])]

"""Upstream/downstream Jenkins triggers become asset links between the estate's pipelines."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.estate import convert_estate
from jenkins2flow.ir import Job, Plugin, Trigger
from tests.convert.helpers import SPAN, job, sh, sp, stage


def _freestyle(name: str, *publishers: Plugin, triggers: tuple[Trigger, ...] = ()) -> Job:
    shell = Plugin("hudson.tasks.Shell", sp(2), fields=(("command", "make"),))
    return Job(full_name=name, kind="freestyle", span=SPAN, builders=(shell,), publishers=publishers,
               triggers=triggers)


def _build_trigger(projects: str, threshold: str = "SUCCESS") -> Plugin:
    return Plugin("hudson.tasks.BuildTrigger", sp(5), fields=(("childProjects", projects),
                                                               ("threshold", {"name": threshold})))


def _pipelines(estate):  # type: ignore[no-untyped-def]
    return {c.pipeline_name: c.pipeline for c in estate.conversions}


def test_reverse_build_trigger_schedules_the_downstream_on_the_upstream_asset() -> None:
    up = job(stage("Extract", sh("./extract")), name="etl/extract")
    rev = Trigger("upstream", sp(3), upstream=("etl/extract",), threshold="SUCCESS")
    cron = Trigger("cron", sp(4), spec="0 6 * * *")
    down = job(stage("Load", sh("./load")), name="etl/load", triggers=(rev, cron))
    p = _pipelines(convert_estate([up, down]))
    sched = p["etl.load"].schedule
    assert [(u.pipeline, u.on) for u in sched.upstream] == [("etl.extract", "success")] and sched.cron
    assert p["etl.extract"].asset_events == ["success"]
    assert not any("wait" in t.id for t in p["etl.load"].tasks)


def test_upstream_failure_threshold_uses_the_done_asset_and_a_lone_job_keeps_the_link() -> None:
    rev = Trigger("upstream", sp(3), upstream=("etl/extract",), threshold="FAILURE")
    conv = convert_job(job(stage("Load", sh("./load")), name="etl/load", triggers=(rev,)))
    assert [(u.pipeline, u.on) for u in conv.pipeline.schedule.upstream] == [("etl.extract", "done")]
    assert any("must publish their asset" in d.message for d in conv.diagnostics)


def test_build_trigger_in_the_upstream_job_schedules_the_downstream() -> None:
    up = _freestyle("extract", _build_trigger("load, report", "FAILURE"))
    p = _pipelines(convert_estate([up, _freestyle("load"), _freestyle("report")]))
    assert p["extract"].asset_events == ["done"]
    assert not any(t.uses.name == "airflow.trigger-pipeline" for t in p["extract"].tasks)
    for name in ("load", "report"):
        assert [(u.pipeline, u.on) for u in p[name].schedule.upstream] == [("extract", "done")]


def test_build_trigger_to_a_job_outside_the_estate_or_with_parameters_stays_an_explicit_trigger() -> None:
    params = Plugin("hudson.plugins.parameterizedtrigger.BuildTrigger", sp(6), fields=(("configs", [
        {"projects": "load", "condition": "SUCCESS", "parameters": [{"properties": "DAY=monday"}]}]),))
    up = _freestyle("extract", _build_trigger("elsewhere"), params)
    p = _pipelines(convert_estate([up, _freestyle("load")]))
    triggers = {t.bindings["pipeline"]: t.bindings["conf"] for t in p["extract"].tasks
                if t.uses.name == "airflow.trigger-pipeline"}
    assert triggers == {"elsewhere": {}, "load": {"DAY": "monday"}}
    assert p["extract"].asset_events == [] and p["load"].schedule is None

"""Cross-pipeline triggers as Airflow assets: the upstream's marker tasks update its assets, the downstream is
scheduled on them (alone, or together with its cron)."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_samples import publish_all, shell_pipeline
from jenkins2flow_runtime import model

pytestmark = [pytest.mark.airflow]


def test_downstream_is_scheduled_on_the_upstream_asset(airflow_db: Path, dags_folder: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Asset, AssetAny
    from airflow.sdk.definitions.timetables.assets import AssetOrTimeSchedule

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    docs = shell_pipeline("extract", asset_events=["success", "done"])
    docs += [d for d in shell_pipeline("load", schedule={"upstream": [{"pipeline": "extract"}]})
             if d.kind == "pipeline"]
    docs += [d for d in shell_pipeline("report", schedule={
        "cron": ["0 6 * * *"], "upstream": [{"pipeline": "extract", "on": "done"}, {"pipeline": "load"}]})
        if d.kind == "pipeline"]
    publish_all(store, docs)
    bag = DagBag(dag_folder=str(dags_folder))
    assert bag.import_errors == {}
    up, load, report = bag.dags["extract"], bag.dags["load"], bag.dags["report"]

    ok, ended = up.get_task("jenkins2flow_succeeded"), up.get_task("jenkins2flow_ended")
    assert [a.uri for a in ok.outlets] == ["jenkins2flow://pipeline/extract"]
    assert [a.uri for a in ended.outlets] == ["jenkins2flow://pipeline/extract/done"]
    assert ok.trigger_rule == "none_failed" and ended.trigger_rule == "all_done"
    # after the pipeline's leaves, which decide the run's state (a failure a try/catch handled is not a failure)
    assert ok.upstream_task_ids == {"step1"} == ended.upstream_task_ids
    assert load.timetable.asset_condition == Asset(uri="jenkins2flow://pipeline/extract",
                                                   name="jenkins2flow://pipeline/extract")
    assert load.get_task("step1").downstream_task_ids == set()  # load publishes nothing: no marker
    assert isinstance(report.timetable, AssetOrTimeSchedule)
    cond = report.timetable.asset_condition
    assert isinstance(cond, AssetAny)
    assert sorted(a.uri for a in cond.objects) == ["jenkins2flow://pipeline/extract/done",
                                                   "jenkins2flow://pipeline/load"]
    assert report.timetable.timetable.summary.startswith("0 6 * * *")
    from airflow.serialization.serialized_objects import DagSerialization

    for dag in (up, load, report):  # what the DAG processor stores: the timetables and outlets serialize
        back = DagSerialization.from_dict(DagSerialization.to_dict(dag))
        assert back.dag_id == dag.dag_id
    assert "AssetOrTimeSchedule" in str(DagSerialization.to_dict(report))


def test_upstream_names_are_validated() -> None:
    with pytest.raises(model.ModelError, match="upstream pipeline name"):
        model.make("pipeline", "x", {"tasks": [], "schedule": {"upstream": [{"pipeline": "bad name!"}]}})


@pytest.mark.parametrize("task_id", sorted(model.RESERVED_TASK_IDS) + ["jenkins2flow_anything"])
def test_a_task_named_like_an_internal_task_is_refused_with_its_field_path(task_id: str) -> None:
    spec = {"tasks": [{"id": "build", "uses": {"kind": "concrete_task", "name": "echo"}},
                      {"id": task_id, "uses": {"kind": "concrete_task", "name": "echo"}, "depends_on": ["build"]}],
            "asset_events": ["success", "done"]}
    with pytest.raises(model.ModelError) as err:
        model.make("pipeline", "p", spec)
    assert [path for path, _ in err.value.issues] == ["spec.tasks[1].id"]
    assert f"task id {task_id!r} is reserved" in str(err.value) and "rename the task" in str(err.value)


def test_markers_beside_tasks_named_close_to_them(airflow_db: Path, dags_folder: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("JENKINS2FLOW_STORE", str(tmp_path / "store.db"))
    docs = shell_pipeline("close", tasks=1, asset_events=["success", "done"])
    spec = docs[1].spec.model_dump()
    spec["tasks"][0]["id"] = "jenkins2flow"  # not the reserved prefix: allowed
    spec["tasks"].append({**spec["tasks"][0], "id": "Jenkins2flow_succeeded", "depends_on": ["jenkins2flow"]})
    publish_all(tmp_path / "store.db", [docs[0], model.make("pipeline", "close", spec)])
    bag = DagBag(dag_folder=str(dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["close"]
    assert sorted(t.task_id for t in dag.tasks) == ["Jenkins2flow_succeeded", "jenkins2flow", "jenkins2flow_ended",
                                                    "jenkins2flow_succeeded"]
    assert dag.get_task("jenkins2flow_succeeded").upstream_task_ids == {"Jenkins2flow_succeeded"}  # the leaf

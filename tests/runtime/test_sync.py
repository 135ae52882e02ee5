"""The sync engine in a real Airflow DagBag: DAG attributes, bad pipelines isolated, store outages served."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from catalog_samples import publish_all, ref, shell_pipeline
from jenkins2flow_runtime import model

pytestmark = [pytest.mark.airflow, pytest.mark.filterwarnings("ignore::UserWarning:airflow.dag_processing")]


def _bag(folder: Path):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(path))
    monkeypatch.setenv("JENKINS2FLOW_SNAPSHOT", str(tmp_path / "snap" / "snapshot.json"))
    return path


def test_pipelines_load_with_their_attributes(store: Path, dags_folder: Path) -> None:
    tmpl = model.make("parameter_template", "run", {"parameters": [
        {"name": "RUN_DATE", "type": "string", "default": "2024-01-01"},
        {"name": "LIMIT", "type": "integer", "default": 3, "description": "rows"},
        {"name": "ENV", "type": "choice", "choices": ["dev", "prod"], "default": "dev"},
    ]})
    docs = [tmpl, *shell_pipeline(
        "nightly", tasks=3, owners=["data-team"], tags=["sales"],
        access_control={"Viewer": ["read"], "Op": ["read", "edit"]},
        schedule={"cron": ["0 2 * * *"], "timezone": "Europe/Paris", "jenkins_spec": "H 2 * * *"},
        parameters={"templates": [ref("parameter_template", "run")]},
    )]
    docs += shell_pipeline("multi", schedule={"cron": ["0 2 * * *", "30 14 * * 1-5"], "timezone": "UTC"})[1:]
    docs += shell_pipeline("fri13", schedule={"cron": ["0 0 13 * 5"], "timezone": "UTC", "and_dom_dow": True})[1:]
    publish_all(store, docs)

    bag = _bag(dags_folder)

    assert bag.import_errors == {}
    assert set(bag.dags) == {"nightly", "multi", "fri13"}
    dag = bag.dags["nightly"]
    assert [t.task_id for t in dag.tasks] == ["step0", "step1", "step2"]
    assert dag.get_task("step1").upstream_task_ids == {"step0"}
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert dag.timetable._expression == "0 2 * * *" and str(dag.timetable._timezone.name) == "Europe/Paris"
    assert set(dag.tags) == {"jenkins2flow", "sales"}
    assert dag.owner == "data-team"
    assert dag.params["LIMIT"] == 3 and dag.params.get_param("LIMIT").schema["type"] == ["integer", "null"]
    assert dag.params.get_param("ENV").schema["enum"] == ["dev", "prod"]
    assert dag.access_control == {"Viewer": {"DAGs": {"can_read"}}, "Op": {"DAGs": {"can_read", "can_edit"}}}
    assert "https://jenkins.example.com/job/nightly/" in dag.doc_md and "folder/nightly" in dag.doc_md
    assert "H 2 * * *" in dag.doc_md and "runs at `0 2 * * *` in time zone Europe/Paris" in dag.doc_md
    assert type(bag.dags["multi"].timetable).__name__ == "MultipleCronTriggerTimetable"
    assert type(bag.dags["fri13"].timetable).__name__ == "JenkinsCronTriggerTimetable"
    op = dag.get_task("step2")
    assert op.bindings == {"WHO": "n2"} and op.template_fields == ()
    assert dag.is_paused_upon_creation is None  # Airflow's setting decides


def test_a_disabled_jobs_pipeline_is_created_paused_without_a_schedule(store: Path, dags_folder: Path) -> None:
    publish_all(store, shell_pipeline("off", paused=True))
    dag = _bag(dags_folder).dags["off"]
    assert dag.is_paused_upon_creation is True and type(dag.timetable).__name__ == "NullTimetable"


def test_bad_pipeline_is_isolated_and_named(store: Path, dags_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    docs = shell_pipeline("good_one") + shell_pipeline("bad_one")[1:] + shell_pipeline("good_two")[1:]
    bad = docs[2].spec.model_dump()
    bad["tasks"][1]["trigger_rule"] = "all_sucess"  # a typo Airflow refuses, which the model lets through
    docs[2] = model.make("pipeline", "bad_one", bad)
    publish_all(store, docs)

    with pytest.warns(UserWarning, match="pipeline 'bad_one' could not be built"):
        bag = _bag(dags_folder)

    assert set(bag.dags) == {"good_one", "good_two"}
    assert bag.import_errors == {}
    warnings_seen = " ".join(w for ws in bag.captured_warnings.values() for w in ws)
    assert "bad_one" in warnings_seen and "all_sucess" in warnings_seen
    assert any("bad_one" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def test_a_stored_document_that_no_longer_validates_hides_nothing_else(store: Path, dags_folder: Path) -> None:
    """A version written by an older model (or edited by hand) fails validation on read: only its pipeline is out."""
    import json
    import sqlite3

    own_task = model.make("concrete_task", "stale_cmd", {"type": "shell", "command": "echo stale"})
    own = model.make("pipeline", "stale_task", {"tasks": [{"id": "only", "uses": ref("concrete_task", "stale_cmd")}]})
    publish_all(store, shell_pipeline("fine") + shell_pipeline("stale")[1:] + [own_task, own])
    db = sqlite3.connect(store)
    with db:
        body = json.loads(db.execute("SELECT body FROM versions WHERE kind='pipeline' AND name='stale'").fetchone()[0])
        body["spec"]["no_such_field"] = 1
        db.execute("UPDATE versions SET body=? WHERE kind='pipeline' AND name='stale'", (json.dumps(body),))
        task = db.execute("SELECT name, body FROM versions WHERE kind='concrete_task' AND name='stale_cmd'").fetchone()
        broken = json.loads(task[1])
        broken["spec"]["type"] = "perl"
        db.execute("UPDATE versions SET body=? WHERE kind='concrete_task' AND name=?", (json.dumps(broken), task[0]))
    db.close()

    with pytest.warns(UserWarning, match="could not be built") as seen:
        bag = _bag(dags_folder)

    assert set(bag.dags) == {"fine"}
    assert bag.import_errors == {}
    messages = " ".join(str(w.message) for w in seen)
    assert "pipeline 'stale'" in messages and "no_such_field" in messages
    assert "pipeline 'stale_task'" in messages and task[0] in messages


def test_store_outage_is_served_from_the_snapshot(store: Path, dags_folder: Path, tmp_path: Path) -> None:
    publish_all(store, shell_pipeline("alpha") + shell_pipeline("beta")[1:])
    assert set(_bag(dags_folder).dags) == {"alpha", "beta"}
    snapshot = Path(os.environ["JENKINS2FLOW_SNAPSHOT"])
    assert snapshot.is_file()

    store.rename(tmp_path / "moved.db")  # the store blinks: its file is gone
    with pytest.warns(UserWarning, match="STORE OUTAGE"):
        bag = _bag(dags_folder)

    assert set(bag.dags) == {"alpha", "beta"}
    assert [t.task_id for t in bag.dags["beta"].tasks] == ["step0", "step1"]
    assert not store.exists(), "the sync engine must not create an empty store in place of a missing one"


def test_outage_without_snapshot_is_an_import_error(store: Path, dags_folder: Path) -> None:
    bag = _bag(dags_folder)  # no store file, no snapshot
    assert bag.dags == {}
    (error,) = bag.import_errors.values()
    assert "no catalog at" in error and "No snapshot" in error, error


def test_task_runner_parse_builds_only_its_dag(store: Path, dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.definitions.context import _AIRFLOW_PARSING_CONTEXT_DAG_ID

    publish_all(store, shell_pipeline("alpha") + shell_pipeline("beta")[1:])
    monkeypatch.setenv(_AIRFLOW_PARSING_CONTEXT_DAG_ID, "beta")
    assert set(_bag(dags_folder).dags) == {"beta"}
    assert not Path(os.environ["JENKINS2FLOW_SNAPSHOT"]).exists(), "a partial read never replaces the snapshot"

"""`build job:` with `wait:` and `propagate:` in real dag.test() runs of converted pipelines: the trigger task
triggers the downstream pipeline's DAG through Airflow (the task runner's DagRunTriggerException path) and polls
its state. No scheduler runs inside dag.test(), so the test ends the triggered downstream run itself, failed, as a
failing downstream would end."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

UPSTREAM = """pipeline {{
  agent any
  stages {{
    stage('Trigger') {{ steps {{ build job: 'team/down', parameters: [string(name: 'DAY', value: 'mon')]{extra} }} }}
    stage('After') {{ steps {{ sh 'echo after > after.txt' }} }}
  }}
}}
"""
DOWN = "pipeline { agent any\n stages { stage('Fail') { steps { sh 'exit 3' } } } }\n"


def _publish(store: Path, name: str, text: str) -> Any:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
    from tests.convert.helpers import own_provided

    conv = convert_job(parse_jenkinsfile(text, f"{name}.Jenkinsfile", name), own_provided())
    assert conv.status == "converted", conv.reasons
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", conv.pipeline_name, conv.pipeline)])
    return conv


def _fail_triggered_runs(dag_id: str, stop: threading.Event, seen: list[dict[str, Any]]) -> None:
    """End every run of `dag_id` that appears (queued by the trigger) as failed, recording its conf."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    with create_session() as session:  # runs of that DAG from before this test are not this test's
        before = {run.run_id for run in session.query(DagRun).filter(DagRun.dag_id == dag_id)}
    while not stop.is_set():
        with create_session() as session:
            for run in session.query(DagRun).filter(DagRun.dag_id == dag_id, DagRun.state != DagRunState.FAILED,
                                                    DagRun.run_id.not_in(before)):
                seen.append(dict(run.conf or {}))
                run.state = DagRunState.FAILED
        time.sleep(0.2)


def _run_with_failing_downstream(dag: Any) -> tuple[Any, list[dict[str, Any]]]:
    stop, seen = threading.Event(), []  # type: ignore[var-annotated]
    worker = threading.Thread(target=_fail_triggered_runs, args=("team.down", stop, seen), daemon=True)
    worker.start()
    try:
        return dag.test(), seen
    finally:
        stop.set()
        worker.join()


@pytest.fixture
def bag(airflow_db: Path, configured_dags_folder: Path, dags_in_db: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    monkeypatch.setenv("JENKINS2FLOW_POLL_SECONDS", "1")
    _publish(store, "team/down", DOWN)
    convs = {name: _publish(store, f"team/{name}", UPSTREAM.format(extra=extra)) for name, extra in
             (("keep_going", ", propagate: false"), ("propagating", ""), ("fire", ", wait: false"))}
    assert convs["keep_going"].pipeline.tasks[0].bindings["propagate"] is False
    assert convs["fire"].pipeline.tasks[0].bindings["wait"] is False
    found = DagBag(dag_folder=str(configured_dags_folder))
    assert found.import_errors == {}
    dags_in_db()  # team/down among them: the trigger finds the DAG it triggers
    return found


def test_propagate_false_waits_and_a_failed_downstream_does_not_fail_the_run(bag: Any) -> None:
    run, seen = _run_with_failing_downstream(bag.dags["team.keep_going"])
    assert seen and seen[0] == {"DAY": "mon"}, "the downstream was triggered with the build parameters"
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states["trigger_trigger"] == "success" and states["after"] == "success"
    assert str(run.state) == "success"
    assert (run_workspace("team.keep_going", run.run_id) / "after.txt").read_text() == "after\n"


def test_propagate_true_fails_with_the_downstream(bag: Any) -> None:
    run, seen = _run_with_failing_downstream(bag.dags["team.propagating"])
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert seen and states["trigger_trigger"] == "failed" and states["after"] == "upstream_failed"
    assert str(run.state) == "failed"


def test_wait_false_triggers_and_goes_on(bag: Any) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    run = bag.dags["team.fire"].test()  # nothing ends the downstream run: a waiting task would never finish
    assert str(run.state) == "success"
    with create_session() as session:
        queued = [r for r in session.query(DagRun).filter(DagRun.dag_id == "team.down") if str(r.state) == "queued"]
    assert [r.conf for r in queued] == [{"DAY": "mon"}]

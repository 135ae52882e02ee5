"""A real Airflow 3 run whose tasks each go through the task runner, as on a worker: the supervisor forks a task
process that parses the DAG file again (so the sync engine builds the DAG from the pipeline version published
*now*) and runs the task. Between the two tasks of the run, a new pipeline version is published.

    python run_version_child.py STATE_DIR

Runs in its own process (Airflow reads its configuration once, on import): the environment is set below, first.
Prints one JSON line: {"runs": [{"run_id", "state", "tasks": {task_id: state}}], ...}; the tasks write their
output files under STATE_DIR/out.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
from airflow_test_env import airflow_env  # noqa: E402

os.environ.update(airflow_env(STATE))
for sub in ("airflow", "dags", "out", "logs"):
    (STATE / sub).mkdir(parents=True, exist_ok=True)
(STATE / "dags" / "jenkins2flow_dags.py").write_text(
    "from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())\n")

from jenkins2flow_runtime import model  # noqa: E402
from jenkins2flow_runtime.store import open_store  # noqa: E402

PIPELINE = "pinned_run"
OUT = STATE / "out"


def publish(word: str, *, extra_task: bool = False) -> int:
    """Publish the pipeline whose tasks write `word` (through one shared concrete task); its new version."""
    command = f'echo "{word}" > "{OUT}/$RUN.$STEP.txt"'
    tasks: list[dict[str, Any]] = [
        {"id": f"step{i}", "uses": {"kind": "concrete_task", "name": "write", "version": 0},
         "bindings": {"STEP": f"step{i}"}, "depends_on": [f"step{i - 1}"] if i else []}
        for i in range(2)
    ]
    if extra_task:
        tasks.append({"id": "added", "uses": {"kind": "concrete_task", "name": "write", "version": 0},
                      "bindings": {"STEP": "added"}, "depends_on": ["step1"]})
    with open_store(create=True) as store:
        task = store.save(model.make("concrete_task", "write", {
            "type": "shell", "command": command,
            "parameters": [{"name": "STEP", "type": "string"}, {"name": "RUN", "type": "string", "default": "r"}],
        }), by="test")
        store.publish("concrete_task", "write", task.version, by="test")
        pipeline = store.save(model.make("pipeline", PIPELINE, {"tasks": tasks}), by="test")
        store.publish("pipeline", PIPELINE, pipeline.version, by="test")
    return pipeline.version


def run_through_task_runner(on_done: Any) -> Any:
    """dag.test()'s task step, replaced by what a worker does: supervise_task forks a task process that parses the
    DAG file and runs the task; states go through the (in-process) execution API into the metadata DB."""
    from uuid import UUID

    from airflow.sdk.api.datamodels._generated import BundleInfo
    from airflow.sdk.api.datamodels._generated import TaskInstance as TaskInstanceSDK
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor
    from airflow.utils.state import TaskInstanceState

    try:
        from airflow.sdk.execution_time.supervisor import supervise_task
    except ImportError:  # Airflow 3.2 (Task SDK 1.2) names it supervise, with the same arguments; 3.3 deprecates that
        from airflow.sdk.execution_time.supervisor import supervise as supervise_task

    def run_task(*, ti: Any, task: Any, run_triggerer: bool = False) -> None:
        ti.set_state(TaskInstanceState.QUEUED)
        sdk_ti = TaskInstanceSDK(id=UUID(str(ti.id)), task_id=ti.task_id, dag_id=ti.dag_id, run_id=ti.run_id,
                                 try_number=ti.try_number, map_index=ti.map_index,
                                 dag_version_id=UUID(str(ti.dag_version_id)))
        supervise_task(ti=sdk_ti, bundle_info=BundleInfo(name="dags-folder"), dag_rel_path="jenkins2flow_dags.py",
                       token="", client=InProcessTestSupervisor._api_client(task.dag),
                       log_path=str(STATE / "logs" / f"{ti.run_id}.{ti.task_id}.log"))
        on_done(ti.task_id)

    return run_task


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions import dag as sdk_dag
    from airflow.utils.db import initdb

    initdb()
    first = publish("one")
    report: dict[str, Any] = {"first": first, "runs": []}

    def publish_after_step0(task_id: str) -> None:
        if task_id == "step0" and "second" not in report:
            report["second"] = publish("two", extra_task=True)

    sdk_dag._run_task = run_through_task_runner(publish_after_step0)  # type: ignore[attr-defined]
    for conf in ({"RUN": "a"}, {"RUN": "b"}):
        dag = DagBag(dag_folder=str(STATE / "dags")).dags[PIPELINE]  # the DAG as published when the run starts
        dr = dag.test(run_conf=conf)
        tis = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
        report["runs"].append({"run_id": dr.run_id, "state": str(dr.state), "tasks": tis})

    from jenkins2flow_runtime.airflow.pinning import NotInRunVersion, task_at

    with open_store() as store:  # a task that the run's version does not have
        try:
            task_at(store, PIPELINE, first, "added")
        except NotInRunVersion as exc:
            report["not_in_version"] = str(exc)
    print("RUN-VERSION-REPORT " + json.dumps(report))


if __name__ == "__main__":
    main()

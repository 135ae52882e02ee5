"""Run one DAG of the dags folder with `dag.test()` and print a JSON summary; used by `jenkins2flow demo`.

    python -m jenkins2flow_runtime.airflow.testrun DAG_ID [--conf JSON]

Exit codes: 0 the run succeeded, 1 it failed, 2 it could not run (import errors, unknown DAG, no usable database:
the summary's `error` says why, in one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def run(dag_id: str, conf: dict[str, Any] | None = None) -> dict[str, Any]:
    from airflow.configuration import conf as airflow_conf
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.db import initdb

    from jenkins2flow_runtime.workspace import is_shadow, run_workspace

    initdb()
    folder = airflow_conf.get("core", "dags_folder")
    bag = DagBag(dag_folder=folder)
    summary: dict[str, Any] = {"dag_id": dag_id, "dags_folder": folder, "import_errors": dict(bag.import_errors),
                               "warnings": [w for ws in bag.captured_warnings.values() for w in ws]}
    dag = bag.dags.get(dag_id)
    if bag.import_errors or dag is None:
        summary["state"] = "not run"
        summary["error"] = "import errors" if bag.import_errors else f"no DAG {dag_id!r} in {folder}"
        return summary
    dag_run = dag.test(run_conf=conf)
    order = {task_id: i for i, task_id in enumerate(dag.task_ids)}
    instances = sorted(dag_run.get_task_instances(), key=lambda ti: order.get(ti.task_id, len(order)))
    summary.update(
        run_id=dag_run.run_id,
        state=str(dag_run.state),
        tasks=[{"task_id": ti.task_id, "state": str(ti.state)} for ti in instances],
        workspace=str(run_workspace(dag_id, dag_run.run_id, shadow=is_shadow(conf))),
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jenkins2flow_runtime.airflow.testrun")
    parser.add_argument("dag_id")
    parser.add_argument("--conf", default="{}")
    args = parser.parse_args(argv)
    try:
        summary = run(args.dag_id, json.loads(args.conf))
    except Exception as exc:  # no database, an unmigrated one, a broken config...: one line for the caller
        first = (str(exc).strip().splitlines() or [""])[0]
        summary = {"dag_id": args.dag_id, "state": "not run", "error": f"{type(exc).__name__}: {first}".rstrip(": ")}
    print("JENKINS2FLOW-SUMMARY " + json.dumps(summary, default=str))
    if summary["state"] == "not run":
        return 2
    return 0 if summary["state"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())

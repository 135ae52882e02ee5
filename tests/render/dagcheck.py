"""Shared by the render tests: a one-task pipeline, and loading rendered DAG files in a real DagBag in a child
process (a project-local Airflow env), returning what a small check script prints as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.airflow_env import airflow_env

PRELUDE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
out = {"errors": {k: v[-800:] for k, v in bag.import_errors.items()}, "dags": {}}
"""


def echo_docs() -> dict[str, model.Document]:
    return {"echo": model.make("concrete_task", "echo", {"type": "shell", "command": "echo hi"})}


def one_task_spec(**extra: object) -> model.PipelineSpec:
    task = {"id": "step", "uses": {"kind": "concrete_task", "name": "echo", "version": 1}}
    return model.make("pipeline", "p", {"tasks": [task], **extra}).spec  # type: ignore[return-value]


def load_in_dagbag(dags: Path, tmp_path: Path, check: str) -> dict[str, Any]:
    """Run PRELUDE + `check` (which fills `out["dags"]`) on `dags`; the JSON of `out`."""
    env = airflow_env(tmp_path / "state", str(tmp_path / "state" / "store.db"))
    code = PRELUDE + check + '\nprint("JSON" + json.dumps(out))\n'
    proc = subprocess.run([sys.executable, "-c", code, str(dags)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(lines[0][4:])
    return out

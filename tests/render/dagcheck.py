"""Shared by the render tests: a one-task pipeline, a conversion's documents, the data of a static file, and
loading rendered DAG files in a real DagBag in a child process (a project-local Airflow env), returning what a
small check script prints as JSON."""

from __future__ import annotations

import ast
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


def echo_docs() -> list[model.Document]:
    return [model.make("concrete_task", "echo", {"type": "shell", "command": "echo hi"}, version=1)]


def one_task(name: str = "p", **extra: object) -> model.Document:
    """A published-looking pipeline document with one task using `echo` version 1."""
    task = {"id": "step", "uses": {"kind": "concrete_task", "name": "echo", "version": 1}}
    return model.make("pipeline", name, {"tasks": [task], **extra}, version=1)


def conversion_docs(conv: Any) -> tuple[model.Document, list[model.Document]]:
    """A conversion's pipeline as a document, and the documents it pins (unsaved: version-0 references)."""
    return model.make("pipeline", conv.pipeline_name, conv.pipeline), [*conv.templates, *conv.tasks]


def static_data(text: str) -> dict[str, Any]:
    """The module-level constants of a static DAG file (PIPELINE, DOCUMENTS), read as literals."""
    tree = ast.parse(text)
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body  # type: ignore[attr-defined]
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict | ast.List)}


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

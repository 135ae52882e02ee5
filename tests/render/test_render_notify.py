"""Notifications render like the sync engine attaches them: one PipelineNotifier as the DAG callbacks (and the
tasks' on_retry_callback), the Jenkins texts as string literals, byte for byte."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from jenkins2flow_runtime import model

from jenkins2flow.airflow_env import airflow_env
from jenkins2flow.render.dag import render_pipeline, write_dag

HOSTILE = "Failed ${env.BUILD_URL} {{ dag_run.conf }} {% raw %} ''' \"\"\"\n');import os;os.system('boom')#"

CHECK = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
out = {"errors": {k: v[-800:] for k, v in bag.import_errors.items()}, "dags": {}}
def names(cbs):
    cbs = cbs if isinstance(cbs, list) else [cbs] if cbs else []
    return [c.__name__ for c in cbs]
for dag_id, dag in bag.dags.items():
    cb = dag.on_failure_callback or dag.on_success_callback
    cb = cb[0] if isinstance(cb, list) else cb
    out["dags"][dag_id] = {
        "failure": names(dag.on_failure_callback), "success": names(dag.on_success_callback),
        "retry": {t.task_id: names(t.on_retry_callback) for t in dag.tasks},
        "subjects": [n.subject for n in cb.__self__.notifications] if cb else [],
    }
print("JSON" + json.dumps(out))
"""


def _docs() -> dict[str, model.Document]:
    return {"echo": model.make("concrete_task", "echo", {"type": "shell", "command": "echo hi"})}


def _spec(**extra: object) -> model.PipelineSpec:
    task = {"id": "step", "uses": {"kind": "concrete_task", "name": "echo", "version": 1}}
    return model.make("pipeline", "p", {"tasks": [task], **extra}).spec  # type: ignore[return-value]


NOTES = [{"on": "failure", "to": ["dev@example.com"], "subject": HOSTILE, "body": HOSTILE},
         {"on": "retry", "channel": "slack", "to": ["#ci"]},
         {"on": "success", "channel": "slack", "condition": "fixed"}]


def test_notifications_render_as_literals_and_change_the_output() -> None:
    plain = render_pipeline("p", _spec(), _docs())
    text = render_pipeline("p", _spec(notifications=NOTES), _docs())
    assert "PipelineNotifier" not in plain and text != plain
    tree = ast.parse(text)
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert HOSTILE in literals
    assert "boom" not in [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]


def test_rendered_callbacks_load_like_the_sync_engine(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    write_dag(dags, "notified", _spec(notifications=NOTES), _docs())
    write_dag(dags, "always", _spec(notifications=[{"on": "always"}]), _docs())
    write_dag(dags, "quiet", _spec(), _docs())
    env = airflow_env(tmp_path / "state", str(tmp_path / "state" / "store.db"))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(dags)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    out = json.loads(lines[0][4:])
    assert out["errors"] == {}
    assert out["dags"]["notified"] == {"failure": ["on_failure"], "success": ["on_success"],
                                       "retry": {"step": ["on_retry"]}, "subjects": [HOSTILE, "", ""]}
    assert out["dags"]["always"]["failure"] == ["on_failure"] and out["dags"]["always"]["success"] == ["on_success"]
    assert out["dags"]["always"]["retry"] == {"step": []}
    assert out["dags"]["quiet"] == {"failure": [], "success": [], "retry": {"step": []}, "subjects": []}

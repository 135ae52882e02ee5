"""Notifications render like the sync engine attaches them: one PipelineNotifier as the DAG callbacks (and the
tasks' on_retry_callback), the Jenkins texts as string literals, byte for byte."""

from __future__ import annotations

import ast
from pathlib import Path

from jenkins2flow.render.dag import render_dag, write_dag
from tests.render.dagcheck import echo_docs, load_in_dagbag, one_task

HOSTILE = "Failed ${env.BUILD_URL} {{ dag_run.conf }} {% raw %} ''' \"\"\"\n');import os;os.system('boom')#"

CHECK = """
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
"""


NOTES = [{"on": "failure", "to": ["dev@example.com"], "subject": HOSTILE, "body": HOSTILE},
         {"on": "retry", "channel": "slack", "to": ["#ci"]},
         {"on": "success", "channel": "slack", "condition": "fixed"}]


def test_notifications_render_as_literals_and_change_the_output() -> None:
    plain = render_dag(one_task(), echo_docs())
    text = render_dag(one_task(notifications=NOTES), echo_docs())
    assert text != plain
    tree = ast.parse(text)
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert HOSTILE in literals
    assert "boom" not in [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]


def test_rendered_callbacks_load_like_the_sync_engine(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    write_dag(dags, one_task("notified", notifications=NOTES), echo_docs())
    write_dag(dags, one_task("always", notifications=[{"on": "always"}]), echo_docs())
    write_dag(dags, one_task("quiet"), echo_docs())
    out = load_in_dagbag(dags, tmp_path, CHECK)
    assert out["errors"] == {}
    assert out["dags"]["notified"] == {"failure": ["on_failure"], "success": ["on_success"],
                                       "retry": {"step": ["on_retry"]}, "subjects": [HOSTILE, "", ""]}
    assert out["dags"]["always"]["failure"] == ["on_failure"] and out["dags"]["always"]["success"] == ["on_success"]
    assert out["dags"]["always"]["retry"] == {"step": []}
    assert out["dags"]["quiet"] == {"failure": [], "success": [], "retry": {"step": []}, "subjects": []}

"""One pipeline with every task kind, run for real with dag.test(): python, shell (with a retry), local
container and view tasks against a SQLite database, parameters from template < bindings < run conf, a secret
from an Airflow variable. One run (dag.test takes ~8 s), many assertions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from catalog_samples import publish_all, ref
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

FLAKY = """if [ -f "$WORKSPACE/flaky.marker" ]; then echo "second try"
else touch "$WORKSPACE/flaky.marker"; exit 3; fi"""
SHELL = """echo "hello {{ not jinja }} $tenant" > "$WORKSPACE/greet.txt"
printf '%s' "$API_TOKEN" > "$WORKSPACE/token.txt"
test "$limit" = 5
"""
TABLE_SQL = """SELECT {{ params.limit }} AS lim, {{ results.compute.total }} AS total,
 {{ params.tenant | sql_string }} AS tenant, {{ ds | sql_string }} AS ds"""


def _docs(db: Path) -> list[model.Document]:
    url = f"sqlite:///{db}"
    return [
        model.make("parameter_template", "run", {"parameters": [
            {"name": "tenant", "type": "choice", "choices": ["a", "b", "c"], "default": "a"},
            {"name": "limit", "type": "integer", "default": 3},
        ]}),
        model.make("concrete_task", "compute", {"type": "python", "callable": "j2f_test_callables:compute",
                                                 "secrets": [{"env": "API_TOKEN", "source": "variable",
                                                              "id": "api_token"}]}),
        model.make("concrete_task", "greet", {"type": "shell", "command": SHELL,
                                               "secrets": [{"env": "API_TOKEN", "id": "api_token"}]}),
        model.make("concrete_task", "flaky", {"type": "shell", "command": FLAKY, "retries": 1,
                                               "retry_delay_seconds": 0}),
        model.make("concrete_task", "boxed", {"type": "container", "image": "alpine:3", "memory": 512,
                                               "command": 'echo "in a box $tenant" > container.txt'}),
        model.make("view_task", "daily", {"sql": TABLE_SQL, "connection": url, "materialize": "table",
                                           "target": "daily"}),
        model.make("view_task", "read_back", {"sql": "SELECT lim, total, tenant, ds FROM daily", "connection": url,
                                               "capture": True}),
        model.make("pipeline", "kitchen_sink", {
            "parameters": {"templates": [ref("parameter_template", "run")]},
            "tasks": [
                {"id": "compute", "uses": ref("concrete_task", "compute")},
                {"id": "greet", "uses": ref("concrete_task", "greet")},
                {"id": "flaky", "uses": ref("concrete_task", "flaky")},
                {"id": "boxed", "uses": ref("concrete_task", "boxed"), "bindings": {"tenant": "b"},
                 "depends_on": ["greet"]},
                {"id": "daily", "uses": ref("view_task", "daily"), "depends_on": ["compute"]},
                {"id": "read_back", "uses": ref("view_task", "read_back"), "depends_on": ["daily"]},
            ],
            "provenance": {"job": "kitchen/sink"},
        }),
    ]


def test_every_task_kind_runs_in_dag_test(
    airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    monkeypatch.setenv("AIRFLOW_VAR_API_TOKEN", "s3cr3t-t0ken")
    monkeypatch.setenv("JENKINS2FLOW_CONTAINER_EXECUTOR", "local")
    views_db = tmp_path / "views.db"
    publish_all(store, _docs(views_db))
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["kitchen_sink"]

    dag_run = dag.test(run_conf={"limit": 5})

    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert states == dict.fromkeys(["compute", "greet", "flaky", "boxed", "daily", "read_back"], "success")
    assert str(dag_run.state) == "success"
    tis = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    assert tis["flaky"].try_number == 2, "the flaky shell task failed once and was retried"
    assert tis["greet"].try_number == 1
    workspace = run_workspace("kitchen_sink", dag_run.run_id)
    # the run conf beats the template default 3; the binding beats the default.
    assert (workspace / "python.txt").read_text() == "a 5 s3cr3t-t0ken"
    assert (workspace / "token.txt").read_text() == "s3cr3t-t0ken"
    assert (workspace / "greet.txt").read_text() == "hello {{ not jinja }} a\n", "shell text is never Jinja"
    assert (workspace / "container.txt").read_text() == "in a box b\n"
    with sqlite3.connect(views_db) as db:
        rows = db.execute("SELECT lim, total, tenant, ds FROM daily").fetchall()
    ds = dag_run.logical_date.strftime("%Y-%m-%d") if dag_run.logical_date else rows[0][3]
    assert rows == [(5, 10, "a", ds)]
    read_back = tis["read_back"].xcom_pull(task_ids="read_back")
    assert read_back["rows"] == [{"lim": 5, "total": 10, "tenant": "a", "ds": ds}]
    assert read_back["sql"].startswith("SELECT lim")
    daily = tis["daily"].xcom_pull(task_ids="daily")
    assert "10 AS total" in daily["sql"] and "'a' AS tenant" in daily["sql"]
    assert tis["compute"].xcom_pull(task_ids="compute") == {"tenant": "a", "total": 10}

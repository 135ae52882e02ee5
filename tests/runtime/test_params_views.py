"""Parameter resolution and the sandboxed view engine (no Airflow needed)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from jenkins2flow_runtime.params import ParameterError, declared_map, resolve
from jenkins2flow_runtime.views import (
    ViewExecutionError,
    ViewTemplateError,
    execute_sql,
    render_sql,
    template_context,
)

DECLARED = declared_map(
    [{"name": "limit", "type": "integer", "default": 1}, {"name": "task_only", "type": "string", "default": "t"}],
    [{"name": "limit", "type": "integer", "default": 3}, {"name": "env", "type": "choice", "choices": ["dev", "prod"],
      "default": "dev"}, {"name": "dry", "type": "boolean", "default": False},
     {"name": "who", "type": "string", "required": True}],
)


def test_layers_defaults_bindings_conf() -> None:
    values = resolve(DECLARED, {"env": "prod", "who": "me", "extra": 1}, {"limit": "7", "dry": "true", "PATH": "/x"})
    assert values == {"limit": 7, "task_only": "t", "env": "prod", "dry": True, "who": "me", "extra": 1}


def test_conf_beats_bindings() -> None:
    assert resolve(DECLARED, {"who": "binding"}, {"who": "conf"})["who"] == "conf"


@pytest.mark.parametrize(("conf", "message"), [
    ({"who": "x", "limit": "many"}, "'limit' must be an integer, got 'many' from the run conf"),
    ({"who": "x", "env": "qa"}, "'env' must be one of ['dev', 'prod'], got 'qa' from the run conf"),
    ({"who": "x", "dry": "maybe"}, "'dry' must be a boolean"),
    ({}, "'who' is required and has no value"),
])
def test_bad_values_are_named(conf: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError) as err:
        resolve(DECLARED, {}, conf)
    assert message in str(err.value)


CTX = template_context(logical_date=datetime(2024, 5, 1, 6), params={"t": "o'brien", "n": 2},
                       results={"up": {"total": 10}}, run_id="r1", dag_id="d")


def test_render_uses_run_values() -> None:
    sql = render_sql("SELECT {{ params.t | sql_string }}, {{ results.up.total }}, '{{ ds }}', {{ params.n * 2 }}", CTX)
    assert sql == "SELECT 'o''brien', 10, '2024-05-01', 4"


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ params.__class__.__base__.__subclasses__() }}",
    "{{ namespace.__init__.__globals__['os'] }}",
    "{{ results.up.update({'x': 1}) }}",
    "{{ self.__init__.__globals__ }}",
])
def test_templates_reaching_for_python_internals_fail_closed(template: str) -> None:
    with pytest.raises(ViewTemplateError, match="View 'v'"):
        render_sql(template, CTX, name="v")


def test_undefined_names_fail() -> None:
    with pytest.raises(ViewTemplateError, match="'nope' is undefined"):
        render_sql("SELECT {{ nope }}", CTX)


def test_materializations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    execute_sql(url, "SELECT 1 AS a UNION ALL SELECT 2", "table", "t1")
    execute_sql(url, "SELECT a * 10 AS a FROM t1", "view", "v1")
    execute_sql(url, "SELECT 3", "insert", "t1")
    execute_sql(url, "SELECT 1 AS a", "view", "v1")  # views are replaced
    result = execute_sql(url, "SELECT a FROM t1 ORDER BY a;")
    assert result.rows == [{"a": 1}, {"a": 2}, {"a": 3}]
    with sqlite3.connect(tmp_path / "v.db") as db:
        assert db.execute("SELECT * FROM v1").fetchall() == [(1,)]
    with pytest.raises(ViewExecutionError, match="not a plain table"):
        execute_sql(url, "SELECT 1", "table", "t1; DROP TABLE t1")
    with pytest.raises(ViewExecutionError, match="failed"):
        execute_sql(url, "SELECT * FROM missing")

"""The dynamic view engine: a view task's SQL template rendered at run time in a sandbox, then executed.

Rendering uses jinja2's ImmutableSandboxedEnvironment with StrictUndefined: a template sees only the run's
values (logical date and its usual spellings, params, upstream results) and nothing of Python's internals; a
template that reaches for `__class__`, `__globals__`, ... fails closed with ViewTemplateError. The render is
bounded in time, steps, output size and arithmetic (`view_sandbox`): a template past a limit, and any other failure
while rendering, is a ViewTemplateError that names the view. Execution goes through SQLAlchemy (imported lazily).
No Airflow import here; the operator supplies the context and the URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SecurityError

from jenkins2flow_runtime.view_sandbox import MAX_CHARS, RENDER_SECONDS, BoundedSandbox, ViewLimit, budget

MATERIALIZE = ("query", "view", "table", "insert")
_TARGET_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
MAX_CAPTURED_ROWS = 1000


class ViewTemplateError(ValueError):
    """A view template that cannot be rendered: unsafe, undefined names, or a syntax error."""


class ViewExecutionError(RuntimeError):
    pass


def _sql_string(value: Any) -> str:
    """A SQL string literal: the `sql_string` filter for values that go inside quotes."""
    return "'" + str(value).replace("'", "''") + "'"


def _environment() -> BoundedSandbox:
    env = BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    # Fewer built-in objects means less to reach through: keep only plain data helpers.
    for name in ("cycler", "joiner", "lipsum"):
        env.globals.pop(name, None)
    env.filters["sql_string"] = _sql_string
    return env


_ENV = _environment()


def template_context(
    *,
    logical_date: datetime | None,
    params: Mapping[str, Any],
    results: Mapping[str, Any] | None = None,
    run_id: str = "",
    dag_id: str = "",
    task_id: str = "",
    data_interval_start: datetime | None = None,
    data_interval_end: datetime | None = None,
) -> dict[str, Any]:
    """The names a view template may use. `results` maps upstream task ids to their returned values (XCom)."""
    when = logical_date or data_interval_end or data_interval_start
    ctx: dict[str, Any] = {
        "params": dict(params),
        "results": dict(results or {}),
        "run_id": run_id,
        "dag_id": dag_id,
        "task_id": task_id,
        "logical_date": when,
        "data_interval_start": data_interval_start,
        "data_interval_end": data_interval_end,
    }
    if isinstance(when, date):
        ctx.update(ds=when.strftime("%Y-%m-%d"), ds_nodash=when.strftime("%Y%m%d"), ts=when.isoformat())
    return ctx


def render_sql(template: str, context: Mapping[str, Any], *, name: str = "view", seconds: float = RENDER_SECONDS,
               max_chars: int = MAX_CHARS) -> str:
    """Render `template` in the sandbox, within `seconds` and `max_chars` characters of SQL; every failure is a
    ViewTemplateError that names the view."""
    try:
        with budget(seconds, max_chars):
            pieces: list[str] = []
            size = 0
            for piece in _ENV.from_string(template).generate(**context):
                size += len(piece)
                if size > max_chars:
                    raise ViewLimit(f"the SQL is longer than {max_chars:,} characters")
                pieces.append(piece)
            return "".join(pieces)
    except ViewLimit as err:
        raise ViewTemplateError(f"View {name!r}: the SQL template went past a limit: {err}. Simplify the template "
                                "or its loops.") from None
    except SecurityError as err:
        raise ViewTemplateError(
            f"View {name!r}: the SQL template tried something the sandbox forbids ({err}). Templates may use "
            "params, results, logical_date, ds, ds_nodash, ts, run_id, dag_id and task_id; nothing of Python's "
            "internals."
        ) from None
    except TemplateError as err:
        raise ViewTemplateError(f"View {name!r}: the SQL template cannot be rendered: {err}") from None
    except Exception as err:  # ZeroDivisionError, OverflowError, RecursionError, MemoryError...: still the view's
        raise ViewTemplateError(f"View {name!r}: the SQL template failed while rendering: "
                                f"{type(err).__name__}: {err}") from None


def materialized_sql(sql: str, materialize: str, target: str, quote: Callable[[str], str]) -> list[str]:
    """The statements that materialize `sql`: the query itself, or view / table / insert into `target`."""
    if materialize not in MATERIALIZE:
        raise ViewExecutionError(f"Materialization {materialize!r} is not one of {', '.join(MATERIALIZE)}.")
    body = sql.strip().rstrip(";").strip()
    if materialize == "query":
        return [body]
    if not _TARGET_RE.match(target):
        raise ViewExecutionError(f"Target {target!r} is not a plain table or schema.table name.")
    name = ".".join(quote(part) for part in target.split("."))
    if materialize == "view":
        return [f"DROP VIEW IF EXISTS {name}", f"CREATE VIEW {name} AS {body}"]
    if materialize == "table":
        return [f"DROP TABLE IF EXISTS {name}", f"CREATE TABLE {name} AS {body}"]
    return [f"INSERT INTO {name} {body}"]


@dataclass
class ViewResult:
    sql: str
    statements: list[str]
    rowcount: int = -1
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def as_xcom(self, capture: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"sql": self.sql, "rowcount": self.rowcount}
        if capture:
            out.update(columns=self.columns, rows=self.rows)
        return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def execute_sql(url_or_engine: Any, sql: str, materialize: str = "query", target: str = "") -> ViewResult:
    """Run the rendered SQL (materialized as asked) in one transaction on a SQLAlchemy URL or engine."""
    import sqlalchemy as sa

    engine = sa.create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    quote = engine.dialect.identifier_preparer.quote
    statements = materialized_sql(sql, materialize, target, quote)
    result = ViewResult(sql=sql, statements=statements)
    try:
        with engine.begin() as conn:
            for statement in statements:
                cursor = conn.exec_driver_sql(statement)
                result.rowcount = cursor.rowcount
                if materialize == "query" and cursor.returns_rows:
                    result.columns = list(cursor.keys())
                    for row in cursor.fetchmany(MAX_CAPTURED_ROWS):
                        result.rows.append({k: _jsonable(v) for k, v in zip(result.columns, row, strict=True)})
    except sa.exc.SQLAlchemyError as err:
        raise ViewExecutionError(f"The view SQL failed on {engine.url!r}: {err}") from err
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return result

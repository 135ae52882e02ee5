"""SQL query snapshots: the same query on the baseline's and the candidate's connection (SQLAlchemy URLs),
compared as keyed tables while both result sets stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

from jenkins2flow_runtime.model.shadow import SqlOutput

from jenkins2flow.shadow.compare.table import TableSide, compare_tables
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import OutputResult

FETCH = 10_000


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _rows(result: Any) -> Iterator[list[str]]:
    for batch in result.partitions(FETCH):
        for row in batch:
            yield [cell(v) for v in row]


def compare_sql(output: SqlOutput, norm: Normalizer) -> OutputResult:
    result = OutputResult(output.label, "sql")
    b_url, c_url = output.baseline_url or output.url, output.candidate_url or output.url
    if not b_url or not c_url:
        result.status, result.error = "error", "A sql output needs `url`, or both `baseline_url` and `candidate_url`."
        return result
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - sqlalchemy comes with the toolkit
        result.status, result.error = "error", "SQL snapshots need SQLAlchemy: pip install sqlalchemy."
        return result
    engines = []
    try:
        with ExitStack() as stack:
            sides = []
            for url in (b_url, c_url):
                engine = create_engine(url)
                engines.append(engine)
                conn = stack.enter_context(engine.connect())
                res = conn.execution_options(stream_results=True, yield_per=FETCH).execute(text(output.query))
                sides.append(TableSide([norm.text(str(k)) for k in res.keys()], _rows(res)))
            compare_tables(sides[0], sides[1], result, norm=norm, keys=output.keys, tolerances=output.tolerances,
                           ordered=output.ordered)
    except SQLAlchemyError as exc:
        result.status = "error"
        result.error = f"The snapshot query failed: {str(exc).splitlines()[0]}"
    finally:
        for engine in engines:
            engine.dispose()
    return result

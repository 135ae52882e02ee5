"""Render a pipeline as a standalone Airflow 3 DAG file through Jinja templates.

Every value from Jenkins reaches the file through the `to_python` filter (`repr` of plain data), so no job name,
script or SQL can become Python or Jinja; the template is StrictUndefined, and the output must pass `ast.parse`.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
_PLAIN = (str, int, float, bool, type(None))


def to_python(value: Any) -> str:
    """A Python literal for plain data (str, numbers, bools, None, lists, tuples, dicts with string keys)."""
    _check_plain(value)
    return repr(value)


def _check_plain(value: Any) -> None:
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, list | tuple):
        for v in value:
            _check_plain(v)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(k)
            _check_plain(v)
        return
    raise TypeError(f"Only plain data may be rendered into a DAG file, not {type(value).__name__}.")


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=False,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["to_python"] = to_python
    return env


def render_pipeline(name: str, spec: model.PipelineSpec, docs: dict[str, model.Document]) -> str:
    """The DAG file text for pipeline `name`; `docs` holds the concrete/view tasks and templates by name."""
    declared: list[dict[str, Any]] = []
    for ref in spec.parameters.templates:
        doc = docs.get(ref.name)
        if doc is not None:
            declared += [p.model_dump(mode="json") for p in doc.spec.parameters]  # type: ignore[union-attr]
    declared += [p.model_dump(mode="json") for p in spec.parameters.overrides]
    tasks = []
    for t in spec.tasks:
        doc = docs[t.uses.name]
        task_spec = doc.spec.model_dump(mode="json")
        view = doc.kind == "view_task"
        retries = t.retries if t.retries is not None else task_spec.get("retries", 0)
        tasks.append({"id": t.id, "view": view, "spec": task_spec, "bindings": _plain(t.bindings),
                      "trigger_rule": t.trigger_rule, "retries": retries or 0,
                      "retry_delay": task_spec.get("retry_delay_seconds", 60),
                      "timeout": t.timeout_seconds or task_spec.get("timeout_seconds"), "queue": t.queue,
                      "pool": t.pool,
                      "run_on": "" if view or t.executor == "local" else t.executor, "matrix": _plain(t.matrix)})
    schedule = spec.schedule
    text = environment().get_template("dag.py.j2").render(
        job=spec.provenance.job, pipeline=name, description=(spec.description or name)[:200], declared=declared,
        edges=[[d, t.id] for t in spec.tasks for d in t.depends_on], tasks=tasks,
        crons=list(schedule.cron) if schedule else [], timezone=schedule.timezone if schedule else "UTC",
        and_dom_dow=bool(schedule and schedule.and_dom_dow), max_active_runs=spec.max_active_runs or 16,
        tags=sorted(set(spec.tags))[:20],
        upstream=[u.model_dump(mode="json") for u in schedule.upstream] if schedule else [],
        asset_events=list(spec.asset_events),
        notifications=[n.model_dump(mode="json") for n in spec.notifications],
    )
    ast.parse(text)  # a template bug must never ship a broken file
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, _PLAIN) else str(value)


def write_dag(directory: Path, name: str, spec: model.PipelineSpec, docs: dict[str, model.Document]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name.replace('.', '_').replace('-', '_')}.py"
    text = render_pipeline(name, spec, docs)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path

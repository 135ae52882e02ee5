"""A run keeps the pipeline version it started with.

Airflow 3's task runner parses the DAG file again for every task it runs, and the sync engine builds that DAG from
the pipeline version published *now*. So a catalog operator checks, before it runs, which version of its pipeline
was published when its run started (the store's audit trail: every publish and retire carries its time) and, when
that is not the version its DAG was built from, runs the task as that version has it: its task document (command,
SQL, image...), its bindings, its parameter declarations and its executor. What Airflow scheduled (which tasks,
their dependencies, retries, trigger rules) is the DAG's own. A task that the run's version does not have fails,
saying so.

Limits: a publish is timed by the publishing machine's clock and the run's start by Airflow's; a finished run that
is cleared restarts (Airflow resets its start date) on the version published at that moment. When the store cannot
be read at run time, the task runs as built, with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jenkins2flow_runtime.catalog import catalog_at, open_for_read
from jenkins2flow_runtime.store import Store, StoreError

log = logging.getLogger("jenkins2flow_runtime.sync")
ATTR = "jenkins2flow_built_from"


class NotInRunVersion(RuntimeError):
    """The task does not exist in the pipeline version its run started on."""


@dataclass(frozen=True, slots=True)
class BuiltFrom:
    """What a DAG was built from: set on the DAG by the sync engine, read by its operators at run time."""

    pipeline: str
    version: int
    store_uri: str | None  # None: $JENKINS2FLOW_STORE, as when the DAG was built


@dataclass(frozen=True, slots=True)
class RunTask:
    """One task as a given pipeline version has it (the JSON forms the operators use)."""

    version: int
    spec: dict[str, Any]
    declared: list[dict[str, Any]]
    bindings: dict[str, Any]
    executor: str
    env: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    condition: dict[str, Any] | None = None


def stamp(dag: Any, built: BuiltFrom) -> None:
    setattr(dag, ATTR, built)


def built_from(task: Any) -> BuiltFrom | None:
    dag = task.dag if task.has_dag() else None
    built = getattr(dag, ATTR, None)
    return built if isinstance(built, BuiltFrom) else None


def published_at(store: Store, pipeline: str, when: datetime) -> int | None:
    """The version of `pipeline` that was published at `when` (None: none was), from the audit trail."""
    entries = sorted((e for e in store.audit("pipeline", pipeline) if e.at <= when), key=lambda e: e.at)
    published: int | None = None
    for e in entries:
        if e.action == "publish":
            published = e.version
        elif e.action == "retire" and e.version == published:
            published = None
    return published


def task_at(store: Store, pipeline: str, version: int, task_id: str) -> RunTask:
    """Task `task_id` as version `version` of `pipeline` has it; NotInRunVersion when it has no such task."""
    from jenkins2flow_runtime.airflow.sync import _Builder

    catalog = catalog_at(store, pipeline, version)
    spec = catalog.pipelines[0].spec
    task = next((t for t in getattr(spec, "tasks", []) if t.id == task_id), None)
    if task is None:
        raise NotInRunVersion(
            f"Task {task_id!r} is not in version {version} of pipeline {pipeline!r}, the version published when "
            "this run started: it was added later. Start a new run to run it."
        )
    builder = _Builder(catalog)
    return RunTask(version, builder.spec_json(task.uses), builder.declared(spec), task.bindings,  # type: ignore[arg-type]
                   task.executor, dict(task.env), list(task.outputs), task.condition)


def run_version_task(task: Any, context: Any) -> RunTask | None:
    """The task as the pipeline version published at the run's start has it, or None when that is the version the
    DAG was built from (or it cannot be told: no start date, nothing published then, the store unreadable)."""
    built = built_from(task)
    started = getattr(context["dag_run"], "start_date", None)
    if built is None or started is None:
        return None
    try:
        with open_for_read(built.store_uri) as store:
            version = published_at(store, built.pipeline, started)
            if version is None or version == built.version:
                return None
            return task_at(store, built.pipeline, version, task.task_id)
    except StoreError as exc:
        log.warning("jenkins2flow: cannot tell which version of pipeline %r was published when this run started "
                    "(%s); running task %r as built from version %d.", built.pipeline, exc, task.task_id,
                    built.version)
        return None

"""The sync engine: one Airflow DAG per published pipeline in the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param

from jenkins2flow_runtime import model
from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator
from jenkins2flow_runtime.store import Store, open_store

log = logging.getLogger("jenkins2flow_runtime.sync")
START = datetime(2024, 1, 1, tzinfo=UTC)
PARAM_JSON_TYPES = {"string": "string", "text": "string", "password": "string", "choice": "string",
                    "boolean": "boolean", "integer": "integer", "number": "number"}


@dataclass
class SyncResult:
    dags: dict[str, DAG] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def build_dags(store: Store) -> SyncResult:
    """Build every published pipeline; a bad one is reported by name and the rest still load."""
    result = SyncResult()
    cache: dict[tuple[str, str, int], model.Document] = {}

    def fetch(ref: model.Ref) -> model.Document:
        key = (ref.kind, ref.name, ref.version)
        if key not in cache:
            cache[key] = store.get(ref.kind, ref.name, ref.version)
        return cache[key]

    for doc in store.published("pipeline"):
        try:
            result.dags[doc.name] = build_dag(doc, fetch)
        except Exception as exc:  # one bad pipeline never hides the others
            log.error("jenkins2flow: pipeline %r could not be built: %s", doc.name, exc)
            result.errors[doc.name] = f"{type(exc).__name__}: {exc}"
    return result


def _params(spec: model.PipelineSpec, fetch: Any) -> tuple[dict[str, Param], dict[str, Any]]:
    declared: list[model.ParamSpec] = []
    for ref in spec.parameters.templates:
        declared.extend(fetch(ref).spec.parameters)
    declared.extend(spec.parameters.overrides)
    params: dict[str, Param] = {}
    defaults: dict[str, Any] = {}
    for p in declared:
        extra: dict[str, Any] = {"description": p.description} if p.description else {}
        if p.choices:
            extra["enum"] = p.choices
        json_type = PARAM_JSON_TYPES[p.type]
        params[p.name] = Param(p.default, type=json_type if p.required else [json_type, "null"], **extra)
        defaults[p.name] = p.default
    return params, defaults


def _schedule(spec: model.PipelineSpec) -> Any:
    sched = spec.schedule
    if sched is None or not sched.cron:
        return None
    from airflow.timetables.trigger import CronTriggerTimetable, MultipleCronTriggerTimetable

    if len(sched.cron) == 1:
        return CronTriggerTimetable(sched.cron[0], timezone=sched.timezone)
    return MultipleCronTriggerTimetable(*sched.cron, timezone=sched.timezone)


def build_dag(doc: model.Document, fetch: Any) -> DAG:
    spec = doc.spec
    assert isinstance(spec, model.PipelineSpec)
    params, defaults = _params(spec, fetch)
    prov = spec.provenance
    doc_md = f"**{doc.name}** v{doc.version}, converted by jenkins2flow from Jenkins job `{prov.job}` ({prov.source})."
    dag = DAG(
        dag_id=doc.name,
        schedule=_schedule(spec),
        start_date=START,
        catchup=False,
        params=params,
        tags=sorted(set(spec.tags)),
        doc_md=doc_md,
        description=spec.description[:200] or None,
        max_active_runs=spec.max_active_runs or 16,
        default_args={"owner": ",".join(spec.owners) or "jenkins2flow"},
    )
    ops: dict[str, ConcreteTaskOperator] = {}
    for task in spec.tasks:
        task_doc = fetch(task.uses)
        task_spec = task_doc.spec.model_dump(mode="json")
        retries = task.retries if task.retries is not None else task_spec.get("retries", 0)
        timeout = task.timeout_seconds or task_spec.get("timeout_seconds")
        ops[task.id] = ConcreteTaskOperator(
            task_id=task.id,
            dag=dag,
            pipeline=doc.name,
            task_spec=task_spec,
            param_defaults=defaults,
            bindings=task.bindings,
            retries=retries,
            retry_delay=timedelta(seconds=task_spec.get("retry_delay_seconds", 60)),
            execution_timeout=timedelta(seconds=timeout) if timeout else None,
            trigger_rule=task.trigger_rule,
        )
    for task in spec.tasks:
        for upstream in task.depends_on:
            ops[upstream] >> ops[task.id]
    return dag


def load_dags(namespace: dict[str, Any], store_uri: str | None = None) -> SyncResult:
    """Put one DAG per published pipeline into `namespace` (a DAG file's `globals()`)."""
    store = open_store(store_uri)
    try:
        result = build_dags(store)
    finally:
        store.close()
    namespace.update(result.dags)
    return result

"""The sync engine: one Airflow DAG per published pipeline in the store.

A DAG file needs one line: `from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())`.
Per parse the store is read once (`catalog.load_from_store`); a good read is kept as a local snapshot, and when
the store cannot be reached the DAGs are built from that snapshot, loudly. A pipeline that cannot be built is
logged and reported by name (a warning the DAG processor records against the DAG file) while the others load.

`build_dag(pipeline, documents)` is the one way a pipeline becomes a DAG: the loader calls it (through `_Builder`,
which shares work between pipelines) for every pipeline of the store, and a static DAG file written by
`jenkins2flow render` calls it on the documents it embeds, with no store at parse time. Pipelines that have a
static file in the loader's folder are left to that file (jenkins2flow_runtime.dagfile).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param

from jenkins2flow_runtime import dagfile, model
from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator, ViewTaskOperator
from jenkins2flow_runtime.airflow.pinning import BuiltFrom, stamp
from jenkins2flow_runtime.airflow.timetables import jenkins_timetable, with_upstream
from jenkins2flow_runtime.catalog import (
    Catalog,
    Snapshot,
    StoreUnavailable,
    default_snapshot_path,
    load_from_store,
    read_catalog,
)
from jenkins2flow_runtime.notify import PipelineNotifier
from jenkins2flow_runtime.store import Store

log = logging.getLogger("jenkins2flow_runtime.sync")
START = datetime(2024, 1, 1, tzinfo=UTC)
PARAM_JSON_TYPES = {"string": "string", "text": "string", "password": "string", "choice": "string",
                    "boolean": "boolean", "integer": "integer", "number": "number"}
# Pipeline access_control perms -> Airflow resources and actions (FAB auth manager; others ignore it).
ACCESS = {"read": ("DAGs", "can_read"), "can_read": ("DAGs", "can_read"), "edit": ("DAGs", "can_edit"),
          "can_edit": ("DAGs", "can_edit"), "delete": ("DAGs", "can_delete"), "can_delete": ("DAGs", "can_delete"),
          "trigger": ("DAG Runs", "can_create"), "run": ("DAG Runs", "can_create")}
TAG = "jenkins2flow"
_ACL_WARNING = r"The airflow\.security\.permissions module is deprecated"


class PipelineBuildWarning(UserWarning):
    """A published pipeline that could not be turned into a DAG (the others still load)."""


class StoreOutageWarning(UserWarning):
    """The store could not be read; the DAGs come from the last snapshot."""


class StaticFilesWarning(UserWarning):
    """Static DAG files sit beside the loader: the loader leaves their pipelines to them."""


@dataclass
class SyncResult:
    dags: dict[str, DAG] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    source: str = "store"  # "store" | "snapshot"
    origin: str = ""


class _Builder:
    """Builds DAGs from one catalog, sharing the JSON form of each task document between the pipelines."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._specs: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._template_params: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
        self._timetables: dict[tuple[Any, ...], Any] = {}

    def spec_json(self, ref: model.Ref) -> dict[str, Any]:
        key = (ref.kind, ref.name, ref.version)
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = self.catalog.get(ref).spec.model_dump(mode="json")
        return spec

    def template_params(self, ref: model.Ref) -> list[dict[str, Any]]:
        key = (ref.kind, ref.name, ref.version)
        params = self._template_params.get(key)
        if params is None:
            params = self._template_params[key] = self.spec_json(ref)["parameters"]
        return params

    def timetable(self, schedule: model.Schedule) -> Any:
        """Timetables are stateless: DAGs with the same schedule share one (parsing a cron is not free)."""
        key = (tuple(schedule.cron), schedule.timezone, schedule.and_dom_dow)
        if key not in self._timetables:
            self._timetables[key] = jenkins_timetable(schedule.cron, schedule.timezone, schedule.and_dom_dow)
        return with_upstream(self._timetables[key], schedule.upstream)

    def declared(self, spec: model.PipelineSpec) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ref in spec.parameters.templates:
            out.extend(self.template_params(ref))
        out.extend(p.model_dump(mode="json") for p in spec.parameters.overrides)
        return out

    def build(self, doc: model.Document) -> DAG:
        spec = doc.spec
        if not isinstance(spec, model.PipelineSpec):
            raise TypeError(f"{doc.ref()} is not a pipeline.")
        declared = self.declared(spec)
        schedule = spec.schedule
        # the notifications as callbacks: one object per pipeline, shared by every task (docs/post-conditions.md)
        notifier = PipelineNotifier(doc.name, spec.notifications, declared,
                                    spec.provenance.job) if spec.notifications else None
        callbacks = notifier.dag_callbacks() if notifier else {}
        task_defaults = notifier.task_defaults() if notifier else {}
        dag = DAG(
            dag_id=doc.name,
            schedule=self.timetable(schedule) if schedule else None,
            start_date=START,
            catchup=False,
            params=dag_params(declared),
            tags=sorted({TAG, *spec.tags, *doc.tags}),
            doc_md=doc_md(doc),
            description=(spec.description or f"Jenkins job {spec.provenance.job}")[:200],
            max_active_runs=spec.max_active_runs or 16,
            # a job still run by Jenkins (jenkins_fallback) has its timeout enforced there, from the build's start
            dagrun_timeout=timedelta(seconds=spec.dagrun_timeout_seconds)
            if spec.dagrun_timeout_seconds and spec.jenkins_fallback is None else None,
            default_args={"owner": ",".join(spec.owners) or spec.team or TAG, **task_defaults},
            access_control=access_control(spec.access_control) or None,
            # a disabled Jenkins job: no schedule (the converter drops it) and nothing runs until it is unpaused
            is_paused_upon_creation=True if spec.paused else None,
            **callbacks,
        )
        ops: dict[str, Any] = {}
        for task in spec.tasks:
            ops[task.id] = self.operator(doc.name, task, declared, dag, jenkins_job=spec.provenance.job)
        for task in spec.tasks:
            if task.depends_on:
                ops[task.id].set_upstream([ops[d] for d in task.depends_on])
        if spec.asset_events:
            asset_markers(dag, list(ops.values()), spec.asset_events)
        return dag

    def operator(self, pipeline: str, task: model.PipelineTask, declared: list[dict[str, Any]], dag: DAG,
                 jenkins_job: str = "") -> Any:
        spec = self.spec_json(task.uses)
        kwargs: dict[str, Any] = {"task_id": task.id, "dag": dag, "pipeline": pipeline, "spec": spec,
                                  "declared": declared, "bindings": task.bindings}
        if task.trigger_rule != "all_success":
            kwargs["trigger_rule"] = task.trigger_rule
        if task.queue:
            kwargs["queue"] = task.queue
        if task.title:  # a readable name beside the stable id (Airflow's display name)
            kwargs["task_display_name"] = task.title
        if task.pool:
            kwargs["pool"] = task.pool
        if task.uses.kind == "view_task":
            if task.retries:
                kwargs["retries"] = task.retries
            _limits(kwargs, task, task.timeout_seconds)
            if task.matrix:
                return ViewTaskOperator.create_mapped(cells=task.matrix, **kwargs)
            return ViewTaskOperator.create(**kwargs)
        retries = task.retries if task.retries is not None else spec.get("retries", 0)
        if retries:
            kwargs["retries"] = retries
            kwargs["retry_delay"] = timedelta(seconds=spec.get("retry_delay_seconds", 60))
        _limits(kwargs, task, task.timeout_seconds or spec.get("timeout_seconds"))
        if task.executor != "local":
            kwargs["run_on"] = task.executor
        if jenkins_job:
            kwargs["jenkins_job"] = jenkins_job
        if task.stage:
            kwargs["jenkins_stage"] = task.stage
        if task.env:
            kwargs["task_env"] = task.env
        if task.outputs:
            kwargs["record"] = tuple(task.outputs)
        if task.condition is not None:
            kwargs["cell_condition"] = task.condition
        if task.matrix:  # a Jenkins matrix: one mapped instance per cell (docs/matrix.md)
            return ConcreteTaskOperator.create_mapped(cells=task.matrix, **kwargs)
        return ConcreteTaskOperator.create(**kwargs)


def _limits(kwargs: dict[str, Any], task: model.PipelineTask, timeout: int | None) -> None:
    """The task's own timeout, and the shared limits of its timeout groups (Jenkins stage and `timeout {}` blocks).
    With groups, the operator enforces whichever ends first itself (Airflow's execution_timeout holds one limit)."""
    if task.deadlines:
        kwargs["deadlines"] = [d.model_dump(mode="json") for d in task.deadlines]
        kwargs["limit_seconds"] = timeout
    elif timeout:
        kwargs["execution_timeout"] = timedelta(seconds=timeout)


# The marker tasks' ids are reserved in the model (model.RESERVED_TASK_IDS), so no pipeline task can take them.
MARKERS = {on: (task_id, {"success": "none_failed", "done": "all_done"}[on])
           for on, task_id in model.specs.MARKER_TASK_IDS.items()}


def asset_markers(dag: DAG, tasks: list[Any], events: Sequence[str]) -> None:
    """Final marker tasks after the pipeline's last tasks (its leaves) that update the pipeline's assets (outlets)
    for its downstream pipelines: `success` when no leaf failed (skipped gates are fine), `done` whatever the result.
    The leaves decide a run's state in Airflow, and the converter ends every block that handles a failure (a try's
    catch, catchError, post conditions) with a task that fails when Jenkins' build would, so a failure that was
    handled (a failed task inside a try whose catch ran) does not fail the marker, and one that was not does. The
    success marker is always there, so a failed leaf still fails the run (an all_done leaf alone would hide it)."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import Asset

    leaves = [t for t in tasks if not t.downstream_task_ids]
    for on in ("success", *(["done"] if "done" in events else [])):
        uri = model.specs.pipeline_asset_uri(dag.dag_id, on)
        task_id, rule = MARKERS[on]
        outlets = [Asset(uri=uri, name=uri)] if on in events else []
        marker = EmptyOperator(task_id=task_id, dag=dag, trigger_rule=rule, outlets=outlets)
        marker.set_upstream(leaves)


def dag_params(declared: list[dict[str, Any]]) -> dict[str, Param]:
    params: dict[str, Param] = {}
    for p in declared:
        extra: dict[str, Any] = {"description": p["description"]} if p.get("description") else {}
        if p.get("choices"):
            extra["enum"] = p["choices"]
        json_type = PARAM_JSON_TYPES[p["type"]]
        required = p.get("required") and p.get("default") is not None
        params[p["name"]] = Param(p.get("default"), type=json_type if required else [json_type, "null"], **extra)
    return params


def access_control(acl: dict[str, list[str]]) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    for role, perms in acl.items():
        for perm in perms:
            if perm not in ACCESS:
                raise ValueError(f"access_control of role {role!r}: unknown permission {perm!r}; "
                                 f"use one of {', '.join(sorted(ACCESS))}.")
            resource, action = ACCESS[perm]
            out.setdefault(role, {}).setdefault(resource, set()).add(action)
    return out


def _link(source: str) -> str:
    return f"[{source}]({source})" if source.startswith(("http://", "https://")) else f"`{source}`"


def doc_md(doc: model.Document) -> str:
    spec = doc.spec
    assert isinstance(spec, model.PipelineSpec)
    prov = spec.provenance
    lines = [f"### {doc.name} (version {doc.version})", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines.append(f"Converted by jenkins2flow from Jenkins job `{prov.job or '?'}`"
                 + (f", source {_link(prov.source)}" if prov.source else "") + ".")
    if prov.config_sha256:
        lines.append(f"Jenkins config sha256 `{prov.config_sha256[:16]}`.")
    if spec.schedule and spec.schedule.jenkins_spec:
        lines.append(f"Jenkins schedule: `{spec.schedule.jenkins_spec.strip()}` ({spec.schedule.timezone}); runs at "
                     f"`{'`, `'.join(spec.schedule.cron) or '-'}` in time zone {spec.schedule.timezone}.")
    if spec.owners or spec.team:
        lines.append(f"Owners: {', '.join(spec.owners) or '-'}; team: {spec.team or '-'}.")
    if prov.diagnostics:
        lines += ["", "Conversion notes:", *(f"- {d}" for d in prov.diagnostics)]
    return "\n".join(lines)


@contextmanager
def _quiet_acl() -> Iterator[None]:
    with warnings.catch_warnings():
        # Airflow 3 warns on every DAG with access_control (a FAB auth manager feature); one note is enough.
        warnings.filterwarnings("ignore", message=_ACL_WARNING)
        yield


def build_dag(pipeline: model.Document | Mapping[str, Any],
              documents: Iterable[model.Document | Mapping[str, Any]] = ()) -> DAG:
    """The DAG of one pipeline document, from it and the documents it pins (task documents and parameter
    templates), given as documents or in their JSON form (`model.to_dict`); no store is read. The loader builds
    every pipeline of the store through the same code, so a static DAG file gives the DAG the loader would."""
    [doc] = dagfile.documents_of([pipeline])
    pins = dagfile.pinned(doc, dagfile.documents_of(documents))
    with _quiet_acl():
        return _Builder(Catalog([doc], pins, source="file")).build(doc)


def build_catalog(catalog: Catalog) -> SyncResult:
    """Build every pipeline of `catalog`; a bad one is reported by name and the rest still load."""
    result = SyncResult(source=catalog.source, origin=catalog.origin)
    builder = _Builder(catalog)
    with _quiet_acl():
        for doc in catalog.pipelines:
            try:
                result.dags[doc.name] = builder.build(doc)
            except Exception as exc:  # one bad pipeline never hides the others
                result.errors[doc.name] = f"{type(exc).__name__}: {exc}"
    for bad in catalog.invalid:
        if bad.kind == "pipeline":
            result.errors[bad.name] = f"InvalidDocument: {bad}"
    return result


def build_dags(store: Store) -> SyncResult:
    """Build every published pipeline of an open store (no snapshot involved)."""
    return build_catalog(read_catalog(store, origin=repr(store)))


def _report(result: SyncResult, warn: Callable[..., None]) -> None:
    for name, error in result.errors.items():
        message = f"jenkins2flow: pipeline {name!r} could not be built and is not loaded: {error}"
        log.error(message)
        warn(message, PipelineBuildWarning, stacklevel=3)


def load_dags(namespace: dict[str, Any], store_uri: str | None = None, snapshot: str | None = None) -> SyncResult:
    """Put one DAG per published pipeline into `namespace` (a DAG file's `globals()`); return what happened.

    The store is read once. After a good read the snapshot is refreshed (when the catalog changed); when the
    store cannot be read, the DAGs come from the snapshot, and the outage is logged and warned about."""
    snap = Snapshot(default_snapshot_path(namespace.get("__file__")) if snapshot is None else _path(snapshot))
    only = _parsing_dag_id()  # a task runner parsing for one DAG: read and build that pipeline alone
    try:
        catalog = load_from_store(store_uri, only=only)
    except StoreUnavailable as outage:
        try:
            catalog = snap.load()
        except FileNotFoundError:
            raise StoreUnavailable(f"{outage} No snapshot {str(snap.path)!r} to fall back on.") from outage
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"{outage} The snapshot {str(snap.path)!r} cannot be read either: "
                                   f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from outage
        if only is not None:
            catalog = catalog.only(only)
        message = (f"jenkins2flow: STORE OUTAGE: {outage} Serving {len(catalog.pipelines)} pipeline(s) from the "
                   f"snapshot {catalog.origin}.")
        log.error(message)
        warnings.warn(message, StoreOutageWarning, stacklevel=2)
    else:
        try:
            if only is None and snap.save(catalog):
                log.info("jenkins2flow: snapshot %s refreshed (%d pipelines)", snap.path, len(catalog.pipelines))
        except OSError as exc:
            log.warning("jenkins2flow: cannot write the snapshot %s: %s", snap.path, exc)
    catalog = _without_static(catalog, namespace.get("__file__"))
    result = build_catalog(catalog)
    versions = {p.name: p.version for p in catalog.pipelines}
    for name, dag in result.dags.items():  # what each operator checks its run's version against (pinning.py)
        stamp(dag, BuiltFrom(name, versions[name], store_uri))
    _report(result, warnings.warn)
    namespace.update(result.dags)
    namespace["JENKINS2FLOW_SYNC"] = result
    return result


def _without_static(catalog: Catalog, dag_file: str | None) -> Catalog:
    """The catalog minus the pipelines that have a static DAG file in the loader's folder (the same DAG id twice
    would be an import error), with one warning naming the files and what to do."""
    if not dag_file:
        return catalog
    folder = Path(dag_file).resolve().parent
    static = dagfile.static_files(folder)
    shadowed = {name: static[name] for name in (p.name for p in catalog.pipelines) if name in static}
    if not shadowed:
        return catalog
    files = ", ".join(str(path.relative_to(folder)) for path in shadowed.values())
    message = (f"jenkins2flow: {len(shadowed)} pipeline(s) have static DAG files beside this loader in {folder} "
               f"({files}); the loader does not build them, so each DAG id is defined once. Deploy either the "
               f"loader ({Path(dag_file).name}) or static files (jenkins2flow render), not both: delete the static "
               "files to let the loader serve every published pipeline from the store.")
    log.warning(message)
    warnings.warn(message, StaticFilesWarning, stacklevel=3)
    return replace(catalog, pipelines=[p for p in catalog.pipelines if p.name not in shadowed])


def _parsing_dag_id() -> str | None:
    from airflow.sdk import get_parsing_context

    return get_parsing_context().dag_id


def _path(p: str) -> Any:
    from pathlib import Path

    return Path(p)

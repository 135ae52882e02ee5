"""The state of one job's conversion: the task graph being built, the ledger, and how tasks are named.

Handlers are pure functions of (node, rule, ctx, scope): they read the node, and tell `ctx` what it became
(a task, a notification, an output, a waiver or a placeholder). `Scope` is what encloses a step (stage, env,
credentials, retries, timeout, executor); it is immutable and passed down. A handler whose node has a body converts
it with `ctx.walk(body, scope)`: the walker (convert.walker) is given to the Ctx by whoever builds it, so handlers
never import the walker that dispatches to them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.convert.conversion import FALLBACK_TASK, Conversion, CredentialUse, LedgerEntry, Outcome
from jenkins2flow.convert.naming import task_id
from jenkins2flow.convert.rules import Rule, Rules
from jenkins2flow.ir import Diagnostic, Job, Span, Step, Trigger

RUNTIME = "jenkins2flow_runtime.fallback"
__all__ = ["FALLBACK_TASK", "RUNTIME", "Ctx", "Handler", "Scope", "Walker", "content_name", "slug"]


@dataclass(frozen=True, slots=True)
class Scope:
    stage: str = ""
    env: tuple[tuple[str, str], ...] = ()
    secrets: tuple[model.SecretRef, ...] = ()
    retries: int | None = None
    timeout: int | None = None
    executor: str = "local"
    queue: str = ""
    image: str = ""
    cwd: str = ""
    trigger_rule: str = ""
    bindings: tuple[tuple[str, Any], ...] = ()
    id_suffix: str = ""
    matrix: tuple[tuple[tuple[str, str], ...], ...] = ()  # inside a Jenkins matrix: its cells (axis, value) pairs
    deadlines: tuple[model.Deadline, ...] = ()  # the timeout groups the tasks are in (convert.regions)
    caught: tuple[str, ...] = ()  # variables bound by the enclosing catch clauses (`throw e` rethrows)

    def with_env(self, pairs: list[tuple[str, str]]) -> Scope:
        keep = [(k, v) for k, v in self.env if k not in {p[0] for p in pairs}]
        return replace(self, env=tuple(keep + pairs))

    def with_secrets(self, refs: list[model.SecretRef]) -> Scope:
        return replace(self, secrets=self.secrets + tuple(refs))


def slug(text: str, words: int = 4, max_len: int = 40) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "//", "set ", "@echo")):
            text = line
            break
    parts = re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text)[:words]
    out = "-".join(parts).lower()[:max_len].strip("-._")
    return out or "step"


def content_name(prefix: str, spec: dict[str, Any], text: str) -> str:
    """A task name by content: `sh.<first words>-<hash8>`; identical specs anywhere get the same name."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
    return f"{prefix}.{slug(text)}-{digest}"


Walker = Callable[[Sequence[Step], "Ctx", Scope], None]
# A handler converts one node (Step, Plugin, Trigger) by its rule; it returns the scope for the elements after it
# (a variable, a wrapper) or None when it leaves the scope as it is.
Handler = Callable[[Any, Rule, "Ctx", Scope], "Scope | None"]


@dataclass
class Ctx:
    job: Job
    rules: Rules
    conv: Conversion
    workspace: Path | None = None
    frontier: list[str] = field(default_factory=list)
    tasks: list[model.PipelineTask] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)
    stage_counts: dict[str, int] = field(default_factory=dict)
    notifications: list[model.Notification] = field(default_factory=list)
    shadow_outputs: list[dict[str, Any]] = field(default_factory=list)
    max_active_runs: int | None = None
    tags: list[str] = field(default_factory=lambda: ["jenkins2flow"])
    after_conditional: bool = False
    docs: dict[str, model.Document] = field(default_factory=dict)
    functions: dict[str, Step] = field(default_factory=dict)
    depth: int = 0
    notify_on: str = ""
    default_retries: int | None = None
    builders_end: list[str] = field(default_factory=list)
    downstream_ends: list[str] = field(default_factory=list)
    pending_rule: str = ""  # the trigger rule of the next task emitted (post, catch, finally)
    links: Any = None  # convert.links.Links of the estate being converted, when known
    asset_events: set[str] = field(default_factory=set)  # PipelineSpec.asset_events
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # variables holding literal lists (for loops)
    images: dict[str, str] = field(default_factory=dict)  # variables holding docker.image('img')
    crons: list[Trigger] = field(default_factory=list)  # triggers whose rule is `schedule` (convert.triggers)
    upstream: list[tuple[str, str]] = field(default_factory=list)  # (pipeline, asset event) from upstream triggers
    walker: Walker | None = None  # convert.walker.walk, set by convert.job
    dagrun_timeout: int | None = None  # PipelineSpec.dagrun_timeout_seconds (the whole build's limit)
    results: list[dict[str, Any]] = field(default_factory=list)  # build results set on the way (convert.regions)
    open_retries: list[Any] = field(default_factory=list)  # retry bodies not yet judged (convert.regions)
    open_limits: dict[str, Any] = field(default_factory=dict)  # timeout groups being converted (convert.regions)

    def walk(self, steps: Sequence[Step], scope: Scope) -> None:
        """Convert `steps` in order after the frontier (a handler converting its body)."""
        if self.walker is None:
            raise RuntimeError("Ctx.walker is not set: build the Ctx with walker=convert.walker.walk.")
        self.walker(steps, self, scope)

    # ---- ledger -----------------------------------------------------------------------------------------------

    def record(self, element: str, outcome: Outcome, span: Span, reason: str = "", key: str = "") -> None:
        self.conv.ledger.append(LedgerEntry(element, outcome, span, reason, key))

    def mapped(self, element: str, span: Span, key: str = "", reason: str = "") -> None:
        self.record(element, "mapped", span, reason, key)

    def waived(self, element: str, span: Span, reason: str, key: str = "") -> None:
        self.record(element, "waived", span, reason, key)

    def approximated(self, element: str, span: Span, reason: str, key: str = "") -> None:
        """Runnable, but not exactly what Jenkins does: listed with its place and why; the job is partial."""
        self.record(element, "approximated", span, reason, key)

    def note(self, message: str, span: Span, level: str = "warning") -> None:
        self.conv.diagnostics.append(Diagnostic(level, message, span))  # type: ignore[arg-type]

    def placeholder(self, element: str, span: Span, reason: str, scope: Scope, *, key: str = "", source: str = "",
                    fallback: bool = True) -> None:
        """An element we cannot convert: a diagnostic, a ledger entry and (by default) a fallback task that
        triggers the original Jenkins job, so the pipeline still runs end to end."""
        self.record(element, "placeholder", span, reason, key)
        self.note(f"{element}: {reason}", span)
        if fallback:
            spec = {"type": "python", "callable": f"{RUNTIME}:run_jenkins_job",
                    "description": "Triggers the original Jenkins job for a step that could not be converted."}
            bindings = {"jenkins_job": self.job.full_name, "element": element, "at": str(span),
                        "source": source[:4000]}
            # one trigger of the original job, not one per matrix cell: the Jenkins job runs every cell itself
            self.emit(FALLBACK_TASK, spec, replace(scope, matrix=()), label=f"fallback_{key or 'step'}",
                      bindings=bindings, named=True)

    # ---- tasks ------------------------------------------------------------------------------------------------

    def add_doc(self, kind: str, name: str, spec: dict[str, Any]) -> model.Ref:
        if name not in self.docs:
            doc = model.make(kind, name, spec)  # type: ignore[arg-type]
            self.docs[name] = doc
            if kind == "parameter_template":
                self.conv.templates.append(doc)
            else:
                self.conv.tasks.append(doc)
        return model.Ref(kind=kind, name=name, version=0)  # type: ignore[arg-type]

    def new_id(self, scope: Scope, label: str = "") -> str:
        base = task_id(scope.stage or label or "step") + re.sub(r"[^A-Za-z0-9_.\-]+", "_", scope.id_suffix)
        if label and scope.stage and label.startswith(("gate", "fallback", "trigger", "wait", "copy", "input", "enter",
                                                         "catch", "finally", "end", "timeout", "result")):
            base = f"{base}_{task_id(label)}"
        n = self.stage_counts.get(base, 0) + 1
        self.stage_counts[base] = n
        tid = base if n == 1 else f"{base}_{n}"
        while tid in self.used_ids:
            tid += "_"
        self.used_ids.add(tid)
        return tid[:250]

    def emit(self, prefix: str, spec: dict[str, Any], scope: Scope, *, label: str = "", text: str = "",
             bindings: dict[str, Any] | None = None, kind: str = "concrete_task", named: bool = False,
             depends_on: list[str] | None = None, trigger_rule: str = "") -> str:
        """Add a task (its concrete/view document named by content, reused when identical) after the frontier."""
        if kind == "concrete_task" and scope.secrets:
            spec = {**spec, "secrets": [s.model_dump() for s in scope.secrets]}
        if kind == "concrete_task" and scope.image and spec.get("type") == "shell":
            spec = {**spec, "type": "container", "image": scope.image}
        name = prefix if named else content_name(prefix, spec, text or spec.get("command", "") or spec.get("sql", ""))
        ref = self.add_doc(kind, name, spec)
        all_bindings = {k: v for k, v in scope.env}
        all_bindings.update(dict(scope.bindings))
        all_bindings.update(bindings or {})
        tid = self.new_id(scope, label)
        rule = trigger_rule or self.pending_rule or ("none_failed" if self.after_conditional else "all_success")
        self.after_conditional = False
        self.pending_rule = ""
        self.tasks.append(model.PipelineTask(
            id=tid, uses=ref, bindings=all_bindings,
            depends_on=list(self.frontier if depends_on is None else depends_on),
            trigger_rule=rule, retries=scope.retries, timeout_seconds=scope.timeout,
            executor="fargate" if scope.image else scope.executor,  # type: ignore[arg-type]
            queue=scope.queue, matrix=[dict(cell) for cell in scope.matrix], deadlines=list(scope.deadlines),
        ))
        self.frontier = [tid]
        return tid

    def credential(self, credentials_id: str, binding: str, env: list[str], source: str, span: Span,
                   fields: list[str] | None = None) -> list[model.SecretRef]:
        """Secret references for a Jenkins credential (never its value), recorded in the credentials plan."""
        airflow_id = re.sub(r"[^A-Za-z0-9_.\-]+", "_", credentials_id).strip("_") or "credential"
        refs = [model.SecretRef(env=e, source=source, id=airflow_id, field=(fields[i] if fields else ""))  # type: ignore[arg-type]
                for i, e in enumerate(env) if e]
        self.conv.credentials.append(CredentialUse(credentials_id, self.job.full_name, span, binding,
                                                   tuple(e for e in env if e), source, airflow_id))
        return refs

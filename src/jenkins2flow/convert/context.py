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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import groovy, model

from jenkins2flow.convert import unstable
from jenkins2flow.convert.conversion import (
    FALLBACK_TASK,
    NOT_CONVERTED_TASK,
    Conversion,
    CredentialUse,
    LedgerEntry,
    Outcome,
)
from jenkins2flow.convert.evaluate import Evaluator, Result, Runtime, Static, Unknown
from jenkins2flow.convert.naming import task_id
from jenkins2flow.convert.rules import Rule, Rules
from jenkins2flow.convert.secrets import mask
from jenkins2flow.ir import Diagnostic, Job, Span, Step, Trigger

RUNTIME = "jenkins2flow_runtime.fallback"
# In a draft, the task standing for an element that could not be converted: one spec for every job and element (what
# it stands for is in the pipeline task's bindings), so saving many jobs never makes it a new version.
NOT_CONVERTED_SPEC: dict[str, Any] = {
    "type": "python", "callable": f"{RUNTIME}:not_converted",
    "description": "Stands in a pipeline's draft for a Jenkins element that could not be converted: always fails, "
                   "naming the element, its place and its source.",
}
# The one task of a jenkins_only pipeline: triggers the whole Jenkins job (which job, with which parameters: bindings).
FALLBACK_SPEC: dict[str, Any] = {
    "type": "python", "callable": f"{RUNTIME}:run_jenkins_job",
    "description": "Triggers the whole original Jenkins job with the run's parameters and waits for its result: the "
                   "job could not be converted (the pipeline's jenkins_fallback says why; draft_tasks holds the "
                   "converted draft).",
}
FALLBACK_TASK_ID = "run_jenkins_job"
__all__ = ["FALLBACK_SPEC", "FALLBACK_TASK", "FALLBACK_TASK_ID", "NOT_CONVERTED_SPEC", "NOT_CONVERTED_TASK", "RUNTIME",
           "Ctx", "Handler", "Scope", "Walker", "content_name", "slug"]


@dataclass(frozen=True, slots=True)
class Scope:
    stage: str = ""  # names the tasks (their ids and titles): a Jenkins stage, or what stands for one ("main")
    stage_name: str = ""  # the Jenkins stage the tasks are in, STAGE_NAME at run time; "" outside any stage
    ev: Evaluator = field(default_factory=Evaluator)  # Groovy values (def, assignments, env) in conversion order
    declared: frozenset[str] = frozenset()  # names declared with `def` in the enclosing closures (locals)
    secrets: tuple[model.SecretRef, ...] = ()
    ssh_keys: tuple[str, ...] = ()  # secrets (env names) an ssh-agent holds for the tasks (sshagent)
    retries: int | None = None
    timeout: int | None = None
    executor: str = "local"
    queue: str = ""
    pool: str = ""
    image: str = ""
    shells: tuple[str, ...] | None = None  # shells the workers run besides sh (agents rules); None: those of `any`
    workspace: str = ""  # a custom workspace (customWorkspace, ws) relative to the run's workspace
    cwd: str = ""  # the folder of dir() steps, relative to the workspace (written when known when converting)
    cwd_word: str = ""  # a dir() folder computed in the run: one sh word reading the variables of `cwd_env`
    cwd_env: tuple[tuple[str, Any], ...] = ()  # the run-time values that word reads (name -> expression tree)
    trigger_rule: str = ""
    bindings: tuple[tuple[str, Any], ...] = ()
    id_suffix: str = ""
    matrix: tuple[tuple[tuple[str, str], ...], ...] = ()  # inside a Jenkins matrix: its cells (axis, value) pairs
    cell_condition: dict[str, Any] | None = None  # inside a matrix: the `when` each cell decides at run time
    deadlines: tuple[model.Deadline, ...] = ()  # the timeout groups the tasks are in (convert.regions)
    caught: tuple[str, ...] = ()  # variables bound by the enclosing catch clauses (`throw e` rethrows)
    result_tasks: tuple[str, ...] = ()  # in a post block: the tasks whose failure made the build result FAILURE

    def changed(self, **changes: Any) -> Scope:
        """`dataclasses.replace(self, **changes)` for values already of their field's type, twice as fast: no walk
        of the fields, no __init__ (a Scope is copied at nearly every step of a conversion)."""
        new = object.__new__(Scope)
        for name in Scope.__slots__:
            object.__setattr__(new, name, getattr(self, name))
        for name, value in changes.items():
            object.__setattr__(new, name, value)
        return new

    def with_env(self, pairs: Iterable[tuple[str, str]]) -> Scope:
        """Environment variables written as text (a tool's home and PATH+X, a rule's env), as `bind_env` binds
        them."""
        scope = self
        for name, value in pairs:
            scope = scope.bind_env(name, value)
        return scope

    def with_secrets(self, refs: list[model.SecretRef]) -> Scope:
        """The secrets the tasks here receive; their variables are known to the run (a Groovy `"${TOKEN}"` reads the
        task's variable: the secret never enters the script)."""
        ev = self.ev.changed(known_env=self.ev.known_env | {r.env for r in refs})
        return self.changed(secrets=self.secrets + tuple(refs), ev=ev)

    # ---- Groovy values -----------------------------------------------------------------------------------------

    def bind(self, name: str, value: Any, span: Span | None = None, *, declare: bool = False) -> Scope:
        """`def name = value` (declare: a local of the enclosing closure) or `name = value`."""
        declared = self.declared | {name} if declare else self.declared
        return self.changed(ev=self.ev.bind(name, value, span), declared=declared)

    def bind_env(self, name: str, value: Any, span: Span | None = None) -> Scope:
        """`environment { name = value }`, `withEnv(["name=value"])`, `env.name = value`."""
        return self.changed(ev=self.ev.bind_env(name, value, span))

    def static_int(self, value: Any, span: Span) -> int | Unknown:
        """A whole number Jenkins reads from a Groovy value (`timeout(3*60)`, `retry(count: n)`), known now; a
        value the run decides or that is not a whole number is Unknown with its place."""
        result = self.ev.value(value, span)
        if isinstance(result, Static):
            v = result.value
            if isinstance(v, str) and re.fullmatch(r"\s*[+-]?\d+\s*", v):
                return int(v)
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            return Unknown(f"{v!r} is not a whole number", span)
        if isinstance(result, Runtime):
            return Unknown("the number depends on the run; Airflow fixes it when the DAG is built", span)
        return result

    def carry(self, end: Scope, start: Scope | None = None) -> Scope:
        """The scope after a block whose body ran from `start` (default: this scope) and ended with `end`: what the
        body assigned (Groovy globals, outer locals, `env.X`) carries on; the body's own `def` locals do not, nor what
        the block set up for its body (`withEnv`, a stage's environment and tools: equal in `start` and `end`)."""
        base = start or self
        if end.ev is base.ev:  # the body bound nothing
            return self if self is base else self.changed(ev=self.ev.changed(outputs={**self.ev.outputs,
                                                                                       **end.ev.outputs}))
        local = end.declared - base.declared
        was, was_env = base.ev.variables, base.ev.env
        variables = {k: v for k, v in end.ev.variables.items()
                     if k not in local and (old := was.get(k, _NONE)) is not v and old != v}
        env = {k: v for k, v in end.ev.env.items() if (old := was_env.get(k, _NONE)) is not v and old != v}
        ev = self.ev.changed(variables={**self.ev.variables, **variables}, env={**self.ev.env, **env},
                             outputs={**self.ev.outputs, **end.ev.outputs})
        return self.changed(ev=ev)

    def join(self, arms: Sequence[Scope], pick: Callable[[str, list[Result]], Result]) -> Scope:
        """The scope after blocks of which one or some ran (if/else arms, parallel branches): a name the arms left
        alike keeps its value; `pick(name, values)` decides the others (one value per arm, Unknown when an arm
        has none)."""
        carried = [self.carry(a) for a in arms]
        merged: dict[str, dict[str, Result]] = {}
        for kind in ("variables", "env"):
            names = {n for c in carried for n in getattr(c.ev, kind)}
            merged[kind] = {}
            tables = [getattr(c.ev, kind) for c in carried]
            for name in sorted(names):
                values = [t.get(name, _NONE) for t in tables]
                if all(v is values[0] for v in values) and values[0] is not _NONE:  # alike in every arm
                    merged[kind][name] = values[0]
                    continue
                unset: Result = Runtime({"env": name}) if kind == "env" else \
                    Unknown(f"{name!r} has no value when this arm runs")  # env.X unset reads null in the run
                values = [unset if v is _NONE else v for v in values]
                same = all(v == values[0] for v in values)
                merged[kind][name] = values[0] if same else pick(name, values)
        outputs = {k: v for c in carried for k, v in c.ev.outputs.items()}
        ev = self.ev.changed(variables=merged["variables"], env=merged["env"], outputs=outputs)
        return self.changed(ev=ev)

    def task_env(self) -> dict[str, Any]:
        """The environment a task here receives: bound values as strings, run-time ones as expression trees."""
        out: dict[str, Any] = {}
        for name, result in self.ev.task_env().items():
            if not ENV_NAME.fullmatch(name):
                continue
            if isinstance(result, Static) and result.value is not None:
                out[name] = groovy.to_str(result.value)
            elif isinstance(result, Runtime):
                out[name] = result.tree
        out.update(dict(self.cwd_env))
        return out


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\+[A-Za-z0-9_]+)?")  # PATH+JDK: prepended to PATH (Jenkins)
_NONE: Any = object()  # no value bound (a dict's get default that no value is)


def slug(text: str, words: int = 4, max_len: int = 40) -> str:
    text = first_line(text) or text
    parts = re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text)[:words]
    out = "-".join(parts).lower()[:max_len].strip("-._")
    return out or "step"


def content_name(prefix: str, spec: dict[str, Any], text: str) -> str:
    """A task name by content: `sh.<first words>-<hash8>`; identical specs anywhere get the same name."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
    return f"{prefix}.{slug(mask(text))}-{digest}"  # a name never shows a secret of the script


def first_line(text: str) -> str:
    """The first line of a script that says what it does (not blank, a comment or a shell option), as `slug` picks."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "//", "set ", "@echo")):
            return line
    return ""


TITLE_MAX = 80  # characters of a task's title
RUN_VALUE = re.compile(r"\$\{?J2F_[0-9A-F]{10}\}?")  # the variable a value computed in the run is passed in


def task_title(stage: str, what: str) -> str:
    """A task's readable name (Airflow's display name): its Jenkins stage and what the step does, on one line, its
    secrets masked, at most TITLE_MAX characters (`Build · sh: make all`)."""
    what = " ".join(RUN_VALUE.sub("${…}", mask(what)).split())
    title = f"{stage} · {what}" if stage and what else stage or what
    return title if len(title) <= TITLE_MAX else title[:TITLE_MAX - 1].rstrip() + "…"


_DOCUMENTS: dict[tuple[str, str, str], model.Document] = {}  # documents already made, by kind, name and spec


def document(kind: str, name: str, spec: dict[str, Any]) -> model.Document:
    """`model.make`, made once per identical document: jobs share most tasks (an estate's reuse), and a document is
    immutable, so the same spec is not validated and hashed again (at most 4,096 kept)."""
    try:
        key = (kind, name, json.dumps(spec))  # the exact spec, its dicts in their order
    except (TypeError, ValueError):  # not plain data: made as it is
        return model.make(kind, name, spec)  # type: ignore[arg-type]
    doc = _DOCUMENTS.get(key)
    if doc is None:
        doc = model.make(kind, name, spec)  # type: ignore[arg-type]
        if len(_DOCUMENTS) >= 4096:
            _DOCUMENTS.clear()
        _DOCUMENTS[key] = doc
    return doc


Walker = Callable[[Sequence[Step], "Ctx", Scope], Scope]
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
    stashes: dict[str, Any] = field(default_factory=dict)  # stash name -> handlers.outputs.Stash; None: not known now
    max_active_runs: int | None = None
    tags: list[str] = field(default_factory=lambda: ["jenkins2flow"])
    after_conditional: bool = False
    docs: dict[str, model.Document] = field(default_factory=dict)
    functions: dict[str, Step] = field(default_factory=dict)
    depth: int = 0
    notify_on: str = ""  # in a block of the pipeline's post: when its notification steps are sent (a callback)
    notify_depth: int = 0  # the walker's depth (len(body_ends)) of that block's own steps: deeper ones are tasks
    default_retries: int | None = None
    builders_end: list[str] = field(default_factory=list)
    publisher_ends: list[str] = field(default_factory=list)
    pending_rule: str = ""  # the trigger rule of the next task emitted (post, catch, finally)
    links: Any = None  # convert.links.Links of the estate being converted, when known
    asset_events: set[str] = field(default_factory=set)  # PipelineSpec.asset_events
    images: dict[str, str] = field(default_factory=dict)  # variables holding docker.image('img')
    crons: list[Trigger] = field(default_factory=list)  # triggers whose rule is `schedule` (convert.triggers)
    upstream: list[tuple[str, str]] = field(default_factory=list)  # (pipeline, asset event) from upstream triggers
    walker: Walker | None = None  # convert.walker.walk, set by convert.job
    param_secrets: list[model.SecretRef] = field(default_factory=list)  # parameter defaults that are secrets
    literal_secrets: dict[str, str] = field(default_factory=dict)  # Airflow variable id -> value (memory only)
    seen_secrets: set[str] = field(default_factory=set)  # every secret value found so far (memory only)
    timezone: str = "UTC"  # Jenkins' default time zone for cron specs without TZ= (--timezone)
    timezone_given: bool = False  # the user gave it (else UTC is assumed, and said so)
    at: Span | None = None  # the element being converted (set by the walker and the plugin loop)
    task_spans: dict[str, Span] = field(default_factory=dict)  # task id -> the element that made it (convert.lint)
    aside: set[str] = field(default_factory=set)  # draft tasks beside the graph (placeholders that are no step)
    # per step being converted: (start, end) scopes of the bodies it converted (the walker carries their assignments)
    body_ends: list[list[tuple[Scope, Scope]]] = field(default_factory=list)
    dagrun_timeout: int | None = None  # PipelineSpec.dagrun_timeout_seconds (the whole build's limit)
    results: list[dict[str, Any]] = field(default_factory=list)  # build results set on the way (convert.regions)
    open_retries: list[Any] = field(default_factory=list)  # retry bodies not yet judged (convert.regions)
    open_limits: dict[str, Any] = field(default_factory=dict)  # timeout groups being converted (convert.regions)
    unstable_sources: list[unstable.Source] = field(default_factory=list)  # what can make the build UNSTABLE
    pending_unstable: list[unstable.Pending] = field(default_factory=list)  # true only without such a source

    def walk(self, steps: Sequence[Step], scope: Scope) -> Scope:
        """Convert `steps` in order after the frontier (a handler converting its body); returns the scope the
        body ended with (its assignments), which the walker carries on after the handler's step unless the handler
        returns a scope of its own."""
        if self.walker is None:
            raise RuntimeError("Ctx.walker is not set: build the Ctx with walker=convert.walker.walk.")
        end = self.walker(steps, self, scope)
        if self.body_ends:
            self.body_ends[-1].append((scope, end))
        return end

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

    def unstable_source(self, what: str, span: Span, run: unstable.Run = "on") -> None:
        """`what` (one of convert.unstable.SOURCES) can make Jenkins' build UNSTABLE; `run`: what the Airflow run
        does there (goes `on` to success, or `fails`)."""
        self.unstable_sources.append(unstable.Source(what, span, run))

    def unless_unstable(self, consequence: str, element: str, span: Span, key: str = "", *,
                        runs: tuple[unstable.Run, ...] = ("on",), recorded: bool = True) -> None:
        """The ledger entry just recorded for `element` (`recorded`; else none) holds only while the job has no
        UNSTABLE source of the kinds `runs`: with one, it becomes an approximation saying `consequence`, decided
        when the whole job is converted (convert.unstable.settle)."""
        index = len(self.conv.ledger) - 1 if recorded else None
        self.pending_unstable.append(unstable.Pending(index, element, span, key, consequence, runs))

    def note(self, message: str, span: Span, level: str = "warning") -> None:
        self.conv.diagnostics.append(Diagnostic(level, message, span))  # type: ignore[arg-type]

    def placeholder(self, element: str, span: Span, reason: str, scope: Scope, *, key: str = "", source: str = "",
                    fallback: bool = True) -> None:
        """An element we cannot convert: a diagnostic, a ledger entry, and in the draft a task that fails loudly
        naming it (NOT_CONVERTED_TASK). The job becomes jenkins_only: its pipeline runs the whole Jenkins job and
        keeps these tasks as a draft (convert.job). With `fallback` (a step of the graph) that task takes the
        element's place; without (a trigger, an option, a binding: no step of the graph) it stands beside the graph,
        depending on nothing, so the draft still fails loudly and its shape is unchanged."""
        self.record(element, "placeholder", span, reason, key)
        self.note(f"{element}: {reason}", span)
        source = self.masked(source or self.excerpt(span))
        bindings = {"element": element, "at": str(span), "reason": reason, "source": source[:4000]}
        # one task, not one per matrix cell; no environment or secret: it runs nothing
        bare = scope.changed(matrix=(), ev=Evaluator(), cwd_env=(), cell_condition=None, bindings=(), secrets=(),
                       image="")
        label, title = f"not_converted_{key or 'step'}", f"not converted: {self.masked(element)}"
        if fallback:
            self.emit(NOT_CONVERTED_TASK, NOT_CONVERTED_SPEC, bare, label=label, bindings=bindings, named=True,
                      span=span, title=title)
            return
        frontier, pending, after = self.frontier, self.pending_rule, self.after_conditional
        self.aside.add(self.emit(NOT_CONVERTED_TASK, NOT_CONVERTED_SPEC, bare, label=label, bindings=bindings,
                                 named=True, span=span, depends_on=[], trigger_rule="all_success", title=title))
        self.frontier, self.pending_rule, self.after_conditional = frontier, pending, after

    def masked(self, text: str) -> str:
        """Source text (an excerpt, a plugin's fields) with the secrets it shows masked: those found by their shape
        or name, and every value already found in this job."""
        text = mask(text, fields=True)
        for value in sorted(self.seen_secrets, key=len, reverse=True):
            text = text.replace(value, "<masked secret>") if len(value) >= 4 else text
        return text

    def excerpt(self, span: Span, max_lines: int = 12) -> str:
        """The lines of a Jenkinsfile that `span` covers (at most `max_lines`), '' when the job has no such text."""
        if self.job.root_tag != "Jenkinsfile" or not self.job.script or span.line < 1:
            return ""
        lines = self.job.script.splitlines()
        end = min(max(span.end_line, span.line), span.line + max_lines - 1)
        return "\n".join(lines[span.line - 1:end])

    # ---- tasks ------------------------------------------------------------------------------------------------

    def add_doc(self, kind: str, name: str, spec: dict[str, Any]) -> model.Ref:
        if name not in self.docs:
            doc = document(kind, name, spec)
            self.docs[name] = doc
            if kind == "parameter_template":
                self.conv.templates.append(doc)
            else:
                self.conv.tasks.append(doc)
        return model.Ref(kind=kind, name=name, version=0)  # type: ignore[arg-type]

    def new_id(self, scope: Scope, label: str = "") -> str:
        base = task_id(scope.stage or label or "step") + re.sub(r"[^A-Za-z0-9_.\-]+", "_", scope.id_suffix)
        if label and scope.stage and label.startswith(("gate", "not_converted", "trigger", "wait", "copy", "input",
                                                         "enter", "catch", "finally", "end", "timeout", "result",
                                                         "notify")):
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
             depends_on: list[str] | None = None, trigger_rule: str = "", span: Span | None = None,
             env: dict[str, Any] | None = None, outputs: Sequence[str] = (), title: str = "") -> str:
        """Add a task (its concrete/view document named by content, reused when identical) after the frontier.

        A `named` task (a runtime callable: gate, trigger, not_converted) has one spec whatever the job, so that
        saving many jobs never makes it a new version: the scope's secrets are not added to it (those callables
        read none). `span`: the element that made the task, by default the one being converted (Ctx.at).
        A concrete task gets the scope's environment (and `env`: the run-time values its script reads) and records
        `outputs` (stdout, status) for later tasks. A task reading an output runs after its producer: values
        follow the conversion order, and a value a parallel branch sets is not known in another (Scope.join).
        `title`: what the step does, in words (default: the kind of a named task, the first line of a script);
        the task's title adds its stage."""
        if kind == "concrete_task" and scope.secrets and not named:
            # param_default and as_file are dumped only when set, so that tasks named by content keep their names
            spec = {**spec, "secrets": [s.model_dump(exclude={k for k in ("param_default", "as_file")
                                                              if not getattr(s, k)}) for s in scope.secrets]}
        if kind == "concrete_task" and scope.ssh_keys and spec.get("type") == "shell":
            spec = {**spec, "ssh_agent": list(scope.ssh_keys)}
        if kind == "concrete_task" and scope.image and spec.get("type") == "shell":
            spec = {**spec, "type": "container", "image": scope.image}
        name = prefix if named else content_name(prefix, spec, text or spec.get("command", "") or spec.get("sql", ""))
        ref = self.add_doc(kind, name, spec)
        all_bindings = dict(scope.bindings)
        all_bindings.update(bindings or {})
        task_env = {**scope.task_env(), **(env or {})} if kind == "concrete_task" else {}
        condition = scope.cell_condition if kind == "concrete_task" else None
        tid = self.new_id(scope, label)
        self.task_spans[tid] = span or self.at or self.job.span
        rule = trigger_rule or self.pending_rule or ("none_failed" if self.after_conditional else "all_success")
        self.after_conditional = False
        self.pending_rule = ""
        if not title:
            title = prefix.rsplit(".", 1)[-1].replace("-", " ") if named else \
                f"{prefix}: {first_line(text or spec.get('command', '') or spec.get('sql', ''))}"
        self.tasks.append(model.PipelineTask(
            id=tid, title=task_title(scope.stage, title), uses=ref, bindings=all_bindings,
            depends_on=list(self.frontier if depends_on is None else depends_on),
            trigger_rule=rule, retries=scope.retries, timeout_seconds=scope.timeout,
            executor="fargate" if scope.image else scope.executor,  # type: ignore[arg-type]
            queue=scope.queue, pool=scope.pool, matrix=[dict(cell) for cell in scope.matrix],
            deadlines=list(scope.deadlines), env=task_env, outputs=list(outputs), condition=condition,  # type: ignore[arg-type]
            stage=scope.stage_name,
        ))
        self.frontier = [tid]
        return tid

    def pool(self, name: str, slots: int | None) -> None:
        """Record an Airflow pool the tasks of a scope take, with its slots when the conversion knows them (a lock:
        1; an agent rule names a pool, not its size: None). A size once known is kept."""
        if name and self.conv.pools.get(name) is None:
            self.conv.pools[name] = slots

    def literal_secret(self, name: str, value: str, kind: str, span: Span, where: str, *,
                       param_default: bool = False, held: str = "holds a secret in clear") -> model.SecretRef:
        """A secret written in clear in the job (environment, parameter default, EnvInject) is never copied: it
        becomes a reference to an Airflow variable the user creates, listed in the credentials plan, with a warning
        at its place. One variable per job and name (`<pipeline>.<NAME>`, `_2`... for another value)."""
        base = re.sub(r"[^A-Za-z0-9_.\-]+", "_", f"{self.conv.pipeline_name}.{name}")
        airflow_id, n = base, 1
        self.seen_secrets.add(value)
        while self.literal_secrets.setdefault(airflow_id, value) != value:
            n += 1
            airflow_id = f"{base}_{n}"
        self.conv.credentials.append(CredentialUse(airflow_id, self.job.full_name, span, f"literal {where} ({kind})",
                                                   (name,), "variable", airflow_id))
        self.note(f"{where} {name} {held} ({kind}); it is not copied: create the Airflow variable "
                  f"{airflow_id!r} with that value (see the credentials plan).", span)
        return model.SecretRef(env=name, source="variable", id=airflow_id, param_default=param_default)

    def credential(self, credentials_id: str, binding: str, env: list[str], source: str, span: Span,
                   fields: list[str] | None = None, kind: str = "") -> list[model.SecretRef]:
        """Secret references for a Jenkins credential (never its value), recorded in the credentials plan."""
        airflow_id = re.sub(r"[^A-Za-z0-9_.\-]+", "_", credentials_id).strip("_") or "credential"
        refs = [model.SecretRef(env=e, source=source, id=airflow_id, field=(fields[i] if fields else ""))  # type: ignore[arg-type]
                for i, e in enumerate(env) if e]
        self.conv.credentials.append(CredentialUse(credentials_id, self.job.full_name, span, binding,
                                                   tuple(e for e in env if e), source, airflow_id, kind))
        return refs

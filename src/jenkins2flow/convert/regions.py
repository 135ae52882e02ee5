"""Blocks whose outcome another block decides, and limits a group of tasks shares (docs/control-flow.md).

A *region* is a body of tasks whose failure something handles: a `try` (catch, finally), a `catchError`, a stage or
pipeline with `post` conditions. Its tasks are laid out as

    [enter] -> body... -> [gate -> catch/finally/post block...] -> end -> what follows (all_success)

- `enter` (only when something ran before the region): its state says whether Jenkins entered the block at all;
- a gate (`block_gate`, all_done) before each block that runs on an outcome (catch: the body failed; finally and
  post `always`: whenever the region was entered; post `success`/`failure`);
- the end task (`region_end`, all_done) fails when Jenkins' build would fail there and succeeds when the failure was
  handled, so the tasks after a region depend on it with the ordinary `all_success`: no trigger rule leaks out.
Those tasks call jenkins2flow_runtime.control, which reads the region's task states at run time.

Timeout groups (a stage's `options { timeout }`, `timeout {}`): a clock task (`enter`) before the group, and every
task of the group carries a Deadline: at run time it gets what is left of the limit (model.Deadline). A group of
one task (retried only by a retry around the timeout) becomes that task's own timeout instead.

Retry bodies: Jenkins re-runs the whole body; Airflow retries each failed task on its own. The same thing when the
body is one task, an approximation (flagged) otherwise: `open_retries` / `close_retries` judge it once the body is
converted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Evaluator, Static
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Span, Step

CONTROL = "jenkins2flow_runtime.control"
# kind -> (task document, callable, description)
_DOCS = {
    "enter": ("airflow.enter", "enter", "Marks that Jenkins entered a block (the gates and end of the block ask); its "
              "start time is the clock of a timeout group."),
    "gate": ("airflow.block-gate", "block_gate", "Runs a Jenkins catch, finally or post block, or skips it, by how "
             "the block it follows ended."),
    "end": ("airflow.block-end", "region_end", "Ends a Jenkins try, catchError or block with post conditions: fails "
            "when Jenkins' build would fail there, succeeds when the failure was handled."),
    "result": ("airflow.build-result", "build_result", "Fails the run at its end when the build result was set to "
               "FAILURE on the way (catchError, currentBuild.result), as Jenkins ends such a build."),
}
REGION_TASKS = frozenset(doc for doc, _, _ in _DOCS.values())  # the documents of the tasks this module adds
# tasks that only decide or record (they run no Jenkins step): not counted as a retry or timeout body's work
CONTROL_TASKS = REGION_TASKS | {"airflow.when-gate", "airflow.post-gate"}
# catch clause types that catch every error a step can raise (untyped `catch (e)` is Exception in Groovy)
CATCH_ALL = frozenset({"", "Exception", "Throwable", "java.lang.Exception", "java.lang.Throwable"})
# ...and those that catch a failed step only (`sh` exiting non-zero, `error`: hudson.AbortException, an IOException)
STEP_ERRORS = frozenset({"AbortException", "hudson.AbortException", "IOException", "java.io.IOException"})
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")


def control_task(ctx: Ctx, scope: Scope, kind: str, label: str, bindings: dict[str, Any] | None = None,
                 trigger_rule: str = "", depends_on: list[str] | None = None) -> str:
    """A control task after the frontier (or `depends_on`): no environment, secrets, image or limits of the steps
    around it, never retried (a region's end must fail at once)."""
    doc, fn, description = _DOCS[kind]
    spec = {"type": "python", "callable": f"{CONTROL}:{fn}", "description": description}
    bare = Scope(stage=scope.stage or "main", id_suffix=scope.id_suffix, retries=0)
    return ctx.emit(doc, spec, bare, label=label, named=True, bindings=bindings or {}, trigger_rule=trigger_rule,
                    depends_on=depends_on)


def task(ctx: Ctx, tid: str) -> model.PipelineTask:
    return next(t for t in ctx.tasks if t.id == tid)


def remove_task(ctx: Ctx, tid: str, restore: bool = False) -> None:
    """Drop a control task that turned out useless: its dependents take its dependencies; a frontier that ended on
    it ends where it started. `restore` (an entry or clock, which took the trigger rule of the region's first task):
    that rule goes back to whatever comes next."""
    gone = task(ctx, tid)
    out: list[model.PipelineTask] = []
    for t in ctx.tasks:
        if t.id == tid:
            continue
        if tid in t.depends_on:
            deps = [d for d in t.depends_on if d != tid]
            deps += [d for d in gone.depends_on if d not in deps]
            update: dict[str, Any] = {"depends_on": deps}
            if restore and t.depends_on == [tid] and t.trigger_rule == "all_success":
                update["trigger_rule"] = gone.trigger_rule
            t = t.model_copy(update=update)
        out.append(t)
    ctx.tasks = out
    ctx.task_spans.pop(tid, None)
    if not any(t.uses.name == gone.uses.name for t in out):  # its document too, when no other task uses it
        ctx.docs.pop(gone.uses.name, None)
        ctx.conv.tasks = [d for d in ctx.conv.tasks if d.name != gone.uses.name]
    if tid in ctx.frontier:
        ctx.frontier = [d for d in ctx.frontier if d != tid] + [d for d in gone.depends_on if d not in ctx.frontier]
        if restore and ctx.frontier == gone.depends_on and gone.trigger_rule != "all_success":
            ctx.pending_rule = gone.trigger_rule


def referenced(ctx: Ctx, tid: str) -> bool:
    """Whether a control task names `tid` in its bindings (e.g. as the entry of its region)."""
    return any(t.bindings.get("entry_task") == tid for t in ctx.tasks)


def work(tasks: Sequence[model.PipelineTask]) -> list[model.PipelineTask]:
    """The tasks that run Jenkins steps (not control tasks)."""
    return [t for t in tasks if t.uses.name not in CONTROL_TASKS]


def _dedupe(*lists: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(t for ids in lists for t in ids))


# ---- regions ----------------------------------------------------------------------------------------------------

def entry(ctx: Ctx, scope: Scope) -> str:
    """The entry of a region: a task when something ran before it (with the trigger rule the region's first task
    would have had), else "" (the region is always entered)."""
    return control_task(ctx, scope, "enter", "enter") if ctx.frontier else ""


def gate(ctx: Ctx, scope: Scope, runs_on: str, entry_task: str, body: list[str], label: str, id_label: str, *,
         results: bool = False, after: Sequence[str] = ()) -> str:
    """A gate (all_done after the body, and `after`) that runs the block after it on `runs_on` (failure, success,
    always); `results`: a post block, which also counts the build results set so far (catchError...) as failure."""
    bindings: dict[str, Any] = {"runs_on": runs_on, "entry_task": entry_task, "body_tasks": list(body),
                                "control_label": label}
    marks: list[str] = []
    if results and ctx.results:
        bindings["caught_blocks"] = [dict(r) for r in ctx.results]
        marks = [r["end"] for r in ctx.results]
    deps = _dedupe(body, after, marks) or ([entry_task] if entry_task else [])
    return control_task(ctx, scope, "gate", id_label, bindings, "all_done", deps)


def end(ctx: Ctx, scope: Scope, entry_task: str, body: list[str], handled_by: str, catch: list[str],
        after: list[str], label: str) -> str:
    """The end of a region (all_done after everything in it): the frontier becomes this one task."""
    bindings = {"entry_task": entry_task, "body_tasks": list(body), "handled_by": handled_by,
                "catch_tasks": list(catch), "after_tasks": list(after), "control_label": label}
    deps = _dedupe(body, catch, after) or ([entry_task] if entry_task else [])
    return control_task(ctx, scope, "end", "end", bindings, "all_done", deps)


def _unretried(scope: Scope) -> Scope:
    """The scope of a body whose failures are caught: a retry around it never sees them, so no task is retried."""
    return replace(scope, retries=0) if scope.retries else scope


@dataclass(frozen=True, slots=True)
class Catch:
    """One `catch (Type name) { block }` clause."""

    type: str
    name: str
    block: tuple[Step, ...]

    @classmethod
    def of(cls, label: str, block: tuple[Step, ...]) -> Catch:
        parts = label.split()[1:]  # "catch Type name" / "catch name" / "catch A | B name"
        return cls(" ".join(parts[:-1]), parts[-1] if parts else "", block)

    @property
    def label(self) -> str:
        return f"catch ({self.type + ' ' if self.type else ''}{self.name})"

    @property
    def types(self) -> set[str]:
        return {t.strip() for t in self.type.split("|")}

    @property
    def catches_all(self) -> bool:
        return bool(self.types & CATCH_ALL)

    @property
    def catches_steps(self) -> bool:
        """Whether a failed step (what a failed Airflow task stands for) reaches this clause in Jenkins."""
        return self.catches_all or bool(self.types & STEP_ERRORS)


def try_region(ctx: Ctx, scope: Scope, span: Span, body: tuple[Step, ...], catches: list[Catch],
               final: tuple[Step, ...] | None) -> None:
    """`try { body } catch (e) { ... } finally { ... }`: the body's tasks in order; the catch block runs only when
    the body failed, the finally block whenever the try was entered; the end task fails when the body failed with no
    catch (or the catch failed) or the finally block failed, and is what the steps after the try wait for."""
    # the clause a failed step reaches in Jenkins (the first that catches it); else the first one, flagged
    chosen = next((c for c in catches if c.catches_steps), catches[0] if catches else None)
    _record_catches(ctx, span, catches, chosen)
    if scope.matrix:
        ctx.approximated("try", span, "inside a matrix the catch and finally blocks run once for every cell when "
                         "any cell's body failed (Jenkins runs them per cell)", "try")
    entry_task = entry(ctx, scope)
    first = len(ctx.tasks)
    # an enclosing retry never sees a failure the catch handles: the body is not retried for it
    ctx.walk(body, _unretried(scope) if chosen is not None else scope)
    if len(ctx.tasks) == first:  # nothing in the body can fail: no catch runs, finally runs in place
        if entry_task:
            remove_task(ctx, entry_task, restore=True)
        for c in catches:
            ctx.waived(c.label, span, "the try body runs no task in Airflow (nothing there can fail), so the "
                       "catch block never runs", "catch")
        if final:
            ctx.walk(final, scope)
        ctx.mapped("try", span, "try", "the body runs no task: the finally block runs in place")
        return
    body_end, rule_after = list(ctx.frontier), (ctx.pending_rule, ctx.after_conditional)
    catch_end: list[str] = []
    if chosen is not None:
        ctx.frontier = list(body_end)
        catch_gate = gate(ctx, scope, "failure", entry_task, body_end, f"catch ({chosen.name}) at {span}", "catch")
        before = len(ctx.tasks)
        ctx.walk(chosen.block, replace(scope, caught=(*scope.caught, chosen.name)))
        if len(ctx.tasks) == before:
            remove_task(ctx, catch_gate)
        else:
            catch_end = list(ctx.frontier)
    after: list[str] = []
    if final:
        ctx.frontier = _dedupe(body_end, catch_end)
        final_gate = gate(ctx, scope, "always", entry_task, [], f"finally at {span}", "finally", after=ctx.frontier)
        before = len(ctx.tasks)
        ctx.walk(final, scope)
        if len(ctx.tasks) == before:
            remove_task(ctx, final_gate)
        else:
            after = list(ctx.frontier)
    if chosen is None and not after:  # try with an empty finally: the body's failure simply propagates
        ctx.frontier = body_end
        ctx.pending_rule, ctx.after_conditional = rule_after  # as the body left them (e.g. after an `if`)
        if entry_task and not referenced(ctx, entry_task):
            remove_task(ctx, entry_task, restore=True)
        ctx.mapped("try", span, "try", "the body in order (the finally block runs no task)")
        return
    ctx.frontier = _dedupe(body_end, catch_end, after)
    end(ctx, scope, entry_task, body_end, "catch" if chosen is not None else "none", catch_end, after,
        f"try at {span}")
    ctx.mapped("try", span, "try", "the body in order; the catch block runs only when it failed, the finally block "
               "always; an end task decides the outcome and the steps after it wait for it")


def _record_catches(ctx: Ctx, span: Span, catches: list[Catch], chosen: Catch | None) -> None:
    """The ledger of a try's catch clauses: the one that runs on failure, and the others."""
    for i, c in enumerate(catches):
        if c is chosen and c.catches_all:
            ctx.mapped(c.label, span, "catch", "runs when the body failed")
        elif c is chosen and c.catches_steps:
            ctx.approximated(c.label, span, "runs when the body failed; a timeout or an abort reaches it too (Jenkins "
                             f"raises those as FlowInterruptedException, which {c.type} does not catch)", "catch")
        elif c is chosen:
            ctx.approximated(c.label, span, f"runs on any failure of the body; Jenkins runs it only for {c.type} "
                             "errors (e.g. a timeout or an abort), not for a failed step", "catch")
        elif chosen is not None and i > catches.index(chosen) and chosen.catches_all:
            ctx.waived(c.label, span, f"never runs: the clause {chosen.label} before it catches every error", "catch")
        else:
            goes_to = chosen.label if chosen else "none"
            which = (f"{c.type} errors" if chosen is None or i < catches.index(chosen) else
                     f"the errors {goes_to} lets through")
            ctx.approximated(c.label, span, f"Jenkins runs it for {which} (e.g. a timeout or an abort); Airflow "
                             f"tells no error types apart, so every failure goes to {goes_to}", "catch")


def caught_region(ctx: Ctx, scope: Scope, span: Span, element: str, key: str, body: tuple[Step, ...],
                  build_result: Any, stage_result: Any, catch_interruptions: Any) -> None:
    """`catchError(buildResult:, stageResult:) { body }` / `warnError`: a failure of the body is caught and the build
    goes on after it; a build result of FAILURE (or worse) is recorded, and the run fails at its end."""
    build = _result_name(build_result)
    stage = _result_name(stage_result)
    entry_task = entry(ctx, scope)
    first = len(ctx.tasks)
    ctx.walk(body, _unretried(scope))
    if len(ctx.tasks) == first:
        if entry_task:
            remove_task(ctx, entry_task, restore=True)
        ctx.mapped(element, span, key, "the body runs no task: nothing to catch")
        return
    body_end = list(ctx.frontier)
    end_task = end(ctx, scope, entry_task, body_end, "all", [], [], f"{element} at {span}")
    problems: list[str] = []
    if build in ("FAILURE", "NOT_BUILT", "ABORTED"):
        ctx.results.append({"kind": "caught", "end": end_task, "body": body_end, "at": f"{element} at {span}"})
        if build != "FAILURE":
            problems.append(f"build result {build}: Airflow has no such run result, the run ends failed")
    elif build == "UNSTABLE":
        ctx.unstable_source(f"{element} buildResult UNSTABLE", span)
        problems.append("build result UNSTABLE: Airflow has no UNSTABLE run result, the run ends success (the failed "
                        "task stays failed)")
    elif build is None:
        problems.append(f"build result {text(build_result)!r} is not a result name Jenkins knows at conversion time; "
                        "the run goes on as if it were SUCCESS")
    if stage is None:
        problems.append(f"stage result {text(stage_result)!r} is not a literal result name")
    if catch_interruptions is False:
        problems.append("catchInterruptions: false: timeouts and aborts are caught here too (Airflow reports them as "
                        "failures)")
    what = "a failure of the body is caught and the steps after it run"
    if problems:
        ctx.approximated(element, span, f"{what}; " + "; ".join(problems), key)
    else:
        ctx.mapped(element, span, key, f"{what}; build result {build}" + (" (the run fails at its end)" if build ==
                   "FAILURE" else "") + f"; stage result {stage} (the failed task shows it)")


def _result_name(value: Any) -> str | None:
    name = text(value).strip().rsplit(".", 1)[-1].upper() if value is not None else ""
    return name if name in RESULTS else None


def result_assignment(ctx: Ctx, scope: Scope, span: Span, value: Any) -> None:
    """`currentBuild.result = 'FAILURE'`: the build goes on and ends with that result (a result never gets better):
    a marker task where the assignment runs; the run fails at its end when it was reached."""
    element = "currentBuild.result"
    name = _result_name(value) if isinstance(value, str) else None
    if name is None:
        ctx.approximated(element, span, f"the result {text(value)!r} is computed by Groovy; it is not recorded",
                         element)
    elif name == "SUCCESS":
        ctx.mapped(element, span, element, "SUCCESS never improves a build result: nothing to record")
    elif name == "UNSTABLE":
        ctx.approximated(element, span, "Airflow has no UNSTABLE run result: not recorded (the run ends success)",
                         element)
        ctx.unstable_source(f"{element} = 'UNSTABLE'", span)
    else:
        marker = control_task(ctx, scope, "enter", "result")
        ctx.results.append({"kind": "set", "end": marker, "at": f"{element} = {name} at {span}"})
        reason = "a marker task where it is set; the run fails at its end when it ran"
        if name == "FAILURE":
            ctx.mapped(element, span, element, reason)
        else:
            ctx.approximated(element, span, f"{reason} (Airflow has no {name} run result: failed)", element)


def finish(ctx: Ctx) -> None:
    """At the end of a job: judge the retries of the whole build, and end the run failed where Jenkins would end the
    build FAILURE although every step after a caught failure ran (catchError, currentBuild.result)."""
    close_retries(ctx, 0)
    if ctx.results and ctx.tasks:
        marks = [r["end"] for r in ctx.results]
        bindings = {"caught_blocks": [dict(r) for r in ctx.results], "last_tasks": list(ctx.frontier)}
        control_task(ctx, Scope(stage="build"), "result", "result", bindings, "all_done",
                     _dedupe(ctx.frontier, marks))


# ---- timeouts -----------------------------------------------------------------------------------------------------

UNITS = {"NANOSECONDS": 1e-9, "MICROSECONDS": 1e-6, "MILLISECONDS": 1e-3, "SECONDS": 1, "MINUTES": 60,
         "HOURS": 3600, "DAYS": 86400}


@dataclass(frozen=True, slots=True)
class Limit:
    """A Jenkins timeout: whole seconds (rounded up), or None with the reason none applies; `activity`: Jenkins
    counts it from the last log output, not from the start."""

    seconds: int | None
    problem: str = ""
    activity: bool = False


def static_number(ctx: Ctx, value: Any, span: Span, ev: Evaluator | None = None) -> float | None:
    """A number known at conversion time (`3`, `3 * 60`, a `def` constant), else None. `ev`: the scope's evaluator
    (with the values bound before the step), else one that knows only the job's parameters."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    ev = ev or Evaluator(params=frozenset(p.name for p in ctx.job.parameters), path=span.path)
    result = ev.value(value, span)
    if isinstance(result, Static) and isinstance(result.value, int | float | Decimal) and \
            not isinstance(result.value, bool):
        return float(result.value)
    return None


def limit_of(ctx: Ctx, node: Step, amount: Any, unit: Any = None, activity: Any = None,
             ev: Evaluator | None = None) -> Limit:
    """The limit of `timeout(time: 5, unit: 'MINUTES')` (MINUTES when no unit); `ev` the scope's evaluator."""
    number = static_number(ctx, amount, node.span, ev)
    if number is None:
        return Limit(None, f"the time {text(amount)!r} is computed at build time; no limit is set")
    unit_name = text(unit).strip().rsplit(".", 1)[-1].upper() if unit is not None else "MINUTES"
    if unit_name not in UNITS:
        return Limit(None, f"unknown unit {text(unit)!r} (use one of {', '.join(UNITS)}); no limit is set")
    if number <= 0:
        return Limit(None, f"a limit of {number:g} {unit_name}: no limit is set")
    seconds = max(math.ceil(number * UNITS[unit_name]), 1)
    if activity is not None and activity is not False:
        return Limit(seconds, f"activity: true counts {seconds} s without log output; Airflow has no such "
                     "timeout, so no limit is set", activity=True)
    return Limit(seconds)


@dataclass(frozen=True, slots=True)
class OpenLimit:
    """A timeout group being converted: the Jenkins element it comes from and the retries around it."""

    element: str
    span: Span
    key: str
    outer_retries: int | None


def open_deadline(ctx: Ctx, scope: Scope, seconds: int, what: str, label: str, element: str, span: Span,
                  key: str) -> Scope:
    """Start a timeout group: a clock task after the frontier; the scope whose tasks carry its Deadline."""
    clock = control_task(ctx, scope, "enter", "timeout", {"timeout_seconds": seconds, "control_label": label})
    ctx.open_limits[clock] = OpenLimit(element, span, key, scope.retries)
    deadline = model.Deadline(clock=clock, seconds=seconds, what=what, label=label)  # type: ignore[arg-type]
    return replace(scope, deadlines=(*scope.deadlines, deadline))


PER_CELL = ("inside a matrix the tasks of every cell share one clock (Jenkins counts the limit per cell, from the "
            "cell's start)")


def close_deadline(ctx: Ctx, deadline: model.Deadline, matrix: bool = False) -> None:
    """End a timeout group once its body is converted, and record what it became. A group of one task (retried, if
    at all, only by a retry around the timeout, so that each attempt gets the whole limit) becomes that task's own
    timeout and the clock goes; an empty group loses its clock; the tasks of a larger group share the clock."""
    opened: OpenLimit = ctx.open_limits.pop(deadline.clock)
    clock = deadline.clock  # its members come after it: the group opened with it (clock first: a Deadline's
    # equality compares every field)
    after = next((i for i in range(len(ctx.tasks) - 1, -1, -1) if ctx.tasks[i].id == clock), 0)
    members = [t for t in ctx.tasks[after:] if any(d.clock == clock and d == deadline for d in t.deadlines)]
    real = work(members)
    if len(real) > 1 or (real and (real[0].retries or 0) != (opened.outer_retries or 0)):
        became = (f"the {len(real)} tasks share" if len(real) > 1 else "its one task and the task's retries share")
        became += f" {deadline.seconds} s from the start of the {deadline.what}"
        if matrix:
            ctx.approximated(opened.element, opened.span, f"{became}; {PER_CELL}", opened.key)
        else:
            ctx.mapped(opened.element, opened.span, opened.key, became)
        return
    member_ids = {t.id for t in members}
    ctx.tasks = [t.model_copy(update={
        "deadlines": [d for d in t.deadlines if d != deadline],
        "timeout_seconds": min(t.timeout_seconds or deadline.seconds, deadline.seconds) if t in real
        else t.timeout_seconds}) if t.id in member_ids else t for t in ctx.tasks]
    if not referenced(ctx, deadline.clock):
        remove_task(ctx, deadline.clock, restore=True)
    ctx.mapped(opened.element, opened.span, opened.key,
               f"{deadline.seconds} s as the timeout of its one task" if real else "no task to limit")


def timeout_block(ctx: Ctx, scope: Scope, node: Step, limit: Limit, body: tuple[Step, ...],
                  convert: Callable[[tuple[Step, ...], Scope], object]) -> None:
    """`timeout(...) { body }`: the body's tasks share the limit, counted from the start of the block."""
    element = f"step {node.name}"
    if limit.seconds is None or limit.activity:
        ctx.approximated(element, node.span, limit.problem, node.name)
        convert(body, scope)
        return
    inner = open_deadline(ctx, scope, limit.seconds, "block", f"timeout at {node.span}", element, node.span,
                          node.name)
    convert(body, inner)
    close_deadline(ctx, inner.deadlines[-1], bool(scope.matrix))


# ---- retries -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OpenRetry:
    """A body Jenkins re-runs whole on failure, judged once converted (close_retries)."""

    element: str
    span: Span
    key: str
    count: int
    first: int  # index in ctx.tasks where the body starts
    whole: str = ""  # "the whole pipeline", "the stage"...: what Jenkins re-runs
    problem: str = ""  # a reason it is an approximation whatever the body


def retry_count(ctx: Ctx, value: Any, span: Span, ev: Evaluator | None = None) -> tuple[int | None, str]:
    """The number of attempts of `retry(n)` / `retry(count: n)`, or None and why; `ev` the scope's evaluator."""
    number = static_number(ctx, value, span, ev)
    if number is None or number != int(number):
        return None, f"the count {text(value)!r} is not a number known at conversion time; the tasks are not retried"
    return max(int(number), 1), ""


def open_retries(ctx: Ctx, scope: Scope, element: str, span: Span, key: str, count: int, whole: str,
                 problem: str = "") -> Scope:
    """A body re-run up to `count` times: its tasks get `count - 1` Airflow retries; judged by close_retries."""
    ctx.open_retries.append(OpenRetry(element, span, key, count, len(ctx.tasks), whole, problem))
    return replace(scope, retries=count - 1)


def close_retries(ctx: Ctx, mark: int) -> None:
    """Judge the retry bodies opened since `mark`: faithful when the body is one task (Jenkins re-runs it, Airflow
    retries it), an approximation when it has several (Airflow retries only the failed one)."""
    while len(ctx.open_retries) > mark:
        r: OpenRetry = ctx.open_retries.pop()
        tasks = work(ctx.tasks[r.first:])
        retried = f"{r.count} attempts -> {r.count - 1} {'retry' if r.count == 2 else 'retries'}"
        if r.problem:
            ctx.approximated(r.element, r.span, f"{retried} of each task; {r.problem}", r.key)
        elif len(tasks) <= 1:
            ctx.mapped(r.element, r.span, r.key, f"{retried} of its one task" if tasks else "no task to retry")
        else:
            ctx.approximated(r.element, r.span, f"Jenkins re-runs {r.whole} ({len(tasks)} tasks) up to {r.count} "
                             f"times; Airflow retries each failed task on its own ({retried} each, the tasks "
                             "before it are not run again)", r.key)

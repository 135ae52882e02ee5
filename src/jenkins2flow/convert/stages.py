"""Declarative pipeline structure -> task graph: stages (sequential, parallel, matrix) with their agent,
environment, options, tools, `when` gate, `input` and post conditions."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

from jenkins2flow.convert import regions
from jenkins2flow.convert.agents import agent_scope
from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.environment import env_scope
from jenkins2flow.convert.evaluate import Result, Unknown
from jenkins2flow.convert.handlers.blocks import FAIL_FAST
from jenkins2flow.convert.handlers.gates import manual_gate
from jenkins2flow.convert.options import option_scope
from jenkins2flow.convert.post import post
from jenkins2flow.convert.scripted import either, in_parallel
from jenkins2flow.convert.tools import tools_scope
from jenkins2flow.convert.values import text
from jenkins2flow.convert.walker import walk
from jenkins2flow.convert.when import cell_gate, gate
from jenkins2flow.ir import Matrix, Stage

MAX_COMBINATIONS = 256


def stages(items: tuple[Stage, ...], ctx: Ctx, scope: Scope) -> Scope:
    """The stages in order; returns the scope after them (what their steps assigned: `env.X = ...`, globals)."""
    for st in items:
        scope = stage(st, ctx, scope)
    return scope


def stage(st: Stage, ctx: Ctx, scope: Scope) -> Scope:
    """One stage; returns the scope after it (what its steps assigned, not what it set up for them)."""
    outer = scope
    ctx.at = st.span  # its gate and input tasks come from the stage (convert.lint)
    scope = scope.changed(stage=st.name, stage_name=st.name, id_suffix="")
    ctx.mapped("stage", st.span, "stage", st.name)
    before = scope
    scope = agent_scope(st.agent, ctx, scope)
    scope = tools_scope(st.tools, ctx, scope)
    scope = env_scope(st.environment, ctx, scope)
    retries_mark = len(ctx.open_retries)
    limits = len(scope.deadlines)
    scope = option_scope(st.options, ctx, scope)  # a timeout option puts the group's clock first
    input_first = st.input is not None and st.when is not None and not (st.when.before_input or
                                                                       st.when.before_options)
    if input_first:
        _input(st, ctx, scope)
    condition: Result | None = None
    if st.when is not None:
        gated, condition = gate(st, ctx, scope, before)
        if gated is None:  # false whatever the run: the stage has no task (nor its post)
            _close(st, ctx, scope, limits, retries_mark)
            if input_first:
                ctx.after_conditional = True
            return outer
        scope = gated
    # the task whose success means the stage runs (its post blocks ask): the when gate, the timeout clock, or one
    # added for them when something ran before the stage
    entry = ctx.frontier[0] if condition is not None or len(scope.deadlines) > limits else ""
    own_entry = regions.entry(ctx, scope) if st.post and not entry else ""
    entry = entry or own_entry
    if st.input is not None and not input_first:
        _input(st, ctx, scope)
    start = list(ctx.frontier)
    if st.steps:
        # a stage with steps has no parallel, stages or matrix directive of its own: the parallel branches and
        # stages the parser lists for it (a scripted `parallel`/`stage` among its steps, for the stage view) are
        # converted where they are written, with every step around them
        end = walk(st.steps, ctx, scope)
    elif st.parallel:
        ends: list[str] = []
        arms: list[Scope] = []
        rule_in = (ctx.pending_rule, ctx.after_conditional)  # every branch starts as the first one does
        for branch in st.parallel:
            ctx.frontier = list(start)
            ctx.pending_rule, ctx.after_conditional = rule_in
            arms.append(stage(branch, ctx, scope))
            ends += [t for t in ctx.frontier if t not in ends]
        ctx.frontier = ends
        end = scope.join(arms, in_parallel(st.span))
        ctx.mapped("parallel", st.span, "parallel", f"{len(st.parallel)} branches fan out")
        if st.fail_fast:
            ctx.approximated("parallel failFast", st.span, FAIL_FAST, "failFast")
    elif st.matrix is not None:
        end = matrix(st.matrix, ctx, scope)  # (values assigned per cell are Unknown after it)
    else:
        end = stages(st.stages, ctx, scope)
    if st.post:
        post(st.post, ctx, end, start, entry)
        if own_entry and not regions.referenced(ctx, own_entry):  # no post block runs a task: no need to ask
            regions.remove_task(ctx, own_entry, restore=True)
    _close(st, ctx, scope, limits, retries_mark)
    after = outer.carry(end, start=scope)  # not what the stage set up for its steps (environment, tools)
    if condition is not None:
        ctx.after_conditional = True  # a skipped stage must not skip the stages after it
        return outer.join([after, outer], either(condition, st.span))  # what it assigned holds when it ran
    return after


def _close(st: Stage, ctx: Ctx, scope: Scope, limits: int, retries_mark: int) -> None:
    """The timeout groups and retried bodies the stage's options opened."""
    for deadline in reversed(scope.deadlines[limits:]):
        regions.close_deadline(ctx, deadline, bool(scope.matrix) or st.matrix is not None)
    regions.close_retries(ctx, retries_mark)


def _input(st: Stage, ctx: Ctx, scope: Scope) -> None:
    assert st.input is not None
    manual_gate(ctx, scope, text(st.input.kwarg("message") or "Proceed?"), text(st.input.kwarg("ok") or ""),
                text(st.input.kwarg("submitter") or ""))
    ctx.mapped("stage input", st.input.span, "input", "a manual gate before the stage")


def matrix(mx: Matrix, ctx: Ctx, scope: Scope) -> Scope:
    """The axes' combinations minus the excludes (resolved here, at convert time) become the `matrix` of ONE
    task per step of the inner stages; Airflow maps it, one instance per cell, the cells in parallel. The inner
    stages follow each other (each waits for every cell of the one before) and what follows the matrix waits for
    every cell, as in Jenkins (docs/matrix.md). The axis values are environment variables of each cell; a `when`
    (of the matrix or of an inner stage) is decided per cell (convert.when). Values the cells assign are not known
    after the matrix (each cell has its own)."""
    names_ = [a.name for a in mx.axes]
    combos = [dict(zip(names_, values, strict=True)) for values in itertools.product(*(a.values for a in mx.axes))]
    combos = [c for c in combos if not any(_excluded(c, ex) for ex in mx.excludes)]
    if len(combos) > MAX_COMBINATIONS:
        ctx.placeholder("matrix", mx.span, f"{len(combos)} combinations exceed {MAX_COMBINATIONS}", scope,
                        key="matrix")
        return scope
    if not combos:
        ctx.mapped("matrix", mx.span, "matrix", "every combination is excluded: nothing runs, as in Jenkins")
        return scope
    ctx.mapped("matrix", mx.span, "matrix",
               f"{len(combos)} combinations ({len(mx.excludes)} excludes honoured) as mapped tasks, one per cell")
    inner = agent_scope(mx.agent, ctx, scope)
    ev = replace(inner.ev, known_env=inner.ev.known_env | set(names_))
    inner = replace(inner, ev=ev, matrix=tuple(tuple(c.items()) for c in combos))
    inner = env_scope(mx.environment, ctx, inner)
    condition: Result | None = None
    if mx.when is not None:
        gated, condition = cell_gate(mx.when, ctx, inner, inner, "matrix", "matrix")
        if gated is None:
            return scope
        inner = gated
    end = stages(mx.stages, ctx, inner)
    if condition is not None:
        ctx.after_conditional = True  # a skipped matrix must not skip what follows it
    return scope.join([scope.carry(end, start=inner), scope], in_matrix(mx))


def in_matrix(mx: Matrix) -> Callable[[str, list[Result]], Result]:
    def pick(name: str, values: list[Result]) -> Result:
        return Unknown(f"{name!r} is set inside a matrix: each cell sets its own", mx.span)
    return pick


def _excluded(combo: dict[str, str], exclude: tuple) -> bool:  # type: ignore[type-arg]
    for axis in exclude:
        values = set(axis.values)
        negate = bool(getattr(axis, "negated", False)) or axis.kind == "notValues"
        if axis.name not in combo:
            return False
        hit = combo[axis.name] in values
        if hit == negate:
            return False
    return True

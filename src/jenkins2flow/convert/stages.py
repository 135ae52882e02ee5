"""Declarative pipeline structure -> task graph: stages (sequential, parallel, matrix) with their agent,
environment, options, tools, `when` gate, `input` and post conditions."""

from __future__ import annotations

import itertools
from dataclasses import replace

from jenkins2flow.convert.agents import agent_scope
from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.environment import env_scope
from jenkins2flow.convert.handlers.gates import manual_gate
from jenkins2flow.convert.options import option_scope
from jenkins2flow.convert.post import post
from jenkins2flow.convert.tools import tools_scope
from jenkins2flow.convert.values import text
from jenkins2flow.convert.walker import walk
from jenkins2flow.convert.when import gate
from jenkins2flow.ir import Matrix, Stage

MAX_COMBINATIONS = 256


def stages(items: tuple[Stage, ...], ctx: Ctx, scope: Scope) -> None:
    for st in items:
        stage(st, ctx, scope)


def stage(st: Stage, ctx: Ctx, scope: Scope) -> None:
    ctx.at = st.span  # its gate and input tasks come from the stage (convert.lint)
    scope = replace(scope, stage=st.name, id_suffix="")
    ctx.mapped("stage", st.span, "stage", st.name)
    scope = agent_scope(st.agent, ctx, scope)
    scope = tools_scope(st.tools, ctx, scope)
    scope = env_scope(st.environment, ctx, scope)
    scope = option_scope(st.options, ctx, scope)
    conditional = False
    if st.when is not None:
        gate(st, ctx, scope)
        conditional = True
    if st.input is not None:
        manual_gate(ctx, scope, text(st.input.kwarg("message") or "Proceed?"), text(st.input.kwarg("ok") or ""),
                    text(st.input.kwarg("submitter") or ""))
        ctx.mapped("stage input", st.input.span, "input", "a manual gate before the stage")
    start = list(ctx.frontier)
    if st.parallel:
        ends: list[str] = []
        for branch in st.parallel:
            ctx.frontier = list(start)
            stage(branch, ctx, scope)
            ends += [t for t in ctx.frontier if t not in ends]
        ctx.frontier = ends
        ctx.mapped("parallel", st.span, "parallel", f"{len(st.parallel)} branches fan out")
    elif st.matrix is not None:
        matrix(st.matrix, ctx, scope)
    elif st.stages:
        stages(st.stages, ctx, scope)
    else:
        walk(st.steps, ctx, scope)
    if st.post:
        post(st.post, ctx, scope, start)
    if conditional:
        ctx.after_conditional = True  # a skipped stage must not skip the stages after it


def matrix(mx: Matrix, ctx: Ctx, scope: Scope) -> None:
    """The axes' combinations minus the excludes (resolved here, at convert time) become the `matrix` of ONE
    task per step of the inner stages; Airflow maps it, one instance per cell, the cells in parallel. The inner
    stages follow each other (each waits for every cell of the one before) and what follows the matrix waits for
    every cell, as in Jenkins (docs/matrix.md)."""
    names = [a.name for a in mx.axes]
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*(a.values for a in mx.axes))]
    combos = [c for c in combos if not any(_excluded(c, ex) for ex in mx.excludes)]
    if len(combos) > MAX_COMBINATIONS:
        ctx.placeholder("matrix", mx.span, f"{len(combos)} combinations exceed {MAX_COMBINATIONS}", scope,
                        key="matrix")
        return
    if not combos:
        ctx.mapped("matrix", mx.span, "matrix", "every combination is excluded: nothing runs, as in Jenkins")
        return
    ctx.mapped("matrix", mx.span, "matrix",
               f"{len(combos)} combinations ({len(mx.excludes)} excludes honoured) as mapped tasks, one per cell")
    gated = [st.name for st in mx.stages if st.when is not None]
    if gated:
        ctx.note(f"matrix stage(s) {', '.join(map(repr, gated))}: `when` is evaluated per cell, but a cell whose "
                 "gate is false skips the stage's next task in every cell (Airflow maps tasks, not chains).",
                 mx.span)
    inner = agent_scope(mx.agent, ctx, scope)
    stages(mx.stages, ctx, replace(inner, matrix=tuple(tuple(c.items()) for c in combos)))


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

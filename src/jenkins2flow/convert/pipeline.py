"""Declarative pipeline structure -> task graph: agents, environment, options, stages (sequential, parallel,
matrix), when gates, stage input, and post conditions (see docs/post-conditions.md)."""

from __future__ import annotations

import itertools
from dataclasses import replace

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.registry import handler
from jenkins2flow.convert.steps import apply, manual_gate, seconds_of, secret_refs, walk
from jenkins2flow.convert.values import literal, text
from jenkins2flow.ir import Agent, EnvVar, Matrix, PostBlock, Stage, Step, When

MAX_COMBINATIONS = 256


def agent_scope(agent: Agent | None, ctx: Ctx, scope: Scope) -> Scope:
    """Where tasks run: docker -> Fargate with the image; label -> a queue from mappings/agents; none/any -> as is."""
    if agent is None:
        return scope
    span = agent.span or ctx.job.span
    if agent.kind == "docker" and agent.image:
        ctx.mapped("agent docker", span, "agent", f"runs on Fargate in image {agent.image!r}")
        return replace(scope, image=agent.image, executor="fargate")
    if agent.kind in ("label", "node") and agent.label:
        table = ctx.rules.table("agents")
        labels = table.get("labels") or {}
        target = labels.get(agent.label) or table.get("default") or {}
        if target.get("image"):
            ctx.mapped("agent label", span, "agent", f"label {agent.label!r} -> Fargate image {target['image']!r}")
            return replace(scope, image=str(target["image"]), executor="fargate")
        queue = str(target.get("queue", "")).replace("{label}", agent.label)
        ctx.mapped("agent label", span, "agent", f"label {agent.label!r} -> queue {queue!r}" if queue
                   else f"label {agent.label!r} -> the default queue (map it in mappings/agents)")
        return replace(scope, queue=queue)
    if agent.kind in ("dockerfile", "kubernetes"):
        ctx.placeholder(f"agent {agent.kind}", span, f"a {agent.kind} agent builds its executor in CI; set an image "
                        "in mappings/agents or on the task", scope, key=f"agent {agent.kind}", fallback=False)
        return scope
    ctx.mapped(f"agent {agent.kind}", span, "agent", "the default executor")
    return scope


def env_scope(env: tuple[EnvVar, ...], ctx: Ctx, scope: Scope) -> Scope:
    from jenkins2flow.convert.shell import to_shell

    pairs: list[tuple[str, str]] = []
    for var in env:
        if var.credential:
            script = ctx.job.script
            uses_parts = f"{var.name}_USR" in script or f"{var.name}_PSW" in script
            refs = ctx.credential(var.credential, "environment", [var.name], "variable", var.span)
            if uses_parts:
                refs += ctx.credential(var.credential, "environment", [f"{var.name}_USR", f"{var.name}_PSW"],
                                       "connection", var.span, ["login", "password"])
            scope = scope.with_secrets(refs)
            ctx.mapped(f"environment {var.name}", var.span, "credentials", f"secret {var.credential!r} by reference")
            continue
        plain = isinstance(var.value, int | float | bool)
        value, unresolved = (text(var.value), []) if plain else to_shell(var.value)
        if unresolved:
            ctx.note(f"environment {var.name}: Groovy expression(s) {', '.join(unresolved)} are left as text.",
                     var.span)
        pairs.append((var.name, value))
        ctx.mapped(f"environment {var.name}", var.span, "environment")
    return scope.with_env(pairs) if pairs else scope


def option_scope(options: tuple[Step, ...], ctx: Ctx, scope: Scope) -> Scope:
    for opt in options:
        rule = ctx.rules.rule("options", opt.name)
        element = f"option {opt.name}"
        if rule is None:
            ctx.placeholder(element, opt.span, ctx.rules.unknown("options", opt.name, "option"), scope, key=opt.name,
                            fallback=False)
        elif rule.waive or rule.hook:
            apply(rule, opt, ctx, scope, element)
        elif rule.handler == "max_active_runs":
            ctx.max_active_runs = int(rule.get("value", 1))
            ctx.mapped(element, opt.span, opt.name, "max_active_runs 1")
        elif rule.handler == "retries":
            try:
                scope = replace(scope, retries=max(int(text(opt.args[0] if opt.args else opt.kwarg("count"))) - 1, 0))
                ctx.mapped(element, opt.span, opt.name, f"retries {scope.retries} on each task")
            except (ValueError, TypeError):
                ctx.placeholder(element, opt.span, "the count is not a number", scope, key=opt.name, fallback=False)
        elif rule.handler == "timeout":
            seconds = seconds_of(opt)
            scope = replace(scope, timeout=seconds or scope.timeout)
            ctx.mapped(element, opt.span, opt.name, f"timeout {seconds}s on each task")
        elif rule.handler == "quiet_period":
            ctx.tags.append(f"jenkins-quiet-period:{text(opt.args[0] if opt.args else '')}")
            ctx.mapped(element, opt.span, opt.name, "kept as a tag: Airflow starts a run when it is due")
        else:
            apply(rule, opt, ctx, scope, element)
    return scope


def stages(items: tuple[Stage, ...], ctx: Ctx, scope: Scope) -> None:
    for st in items:
        stage(st, ctx, scope)


def stage(st: Stage, ctx: Ctx, scope: Scope) -> None:
    scope = replace(scope, stage=st.name, id_suffix="")
    ctx.mapped("stage", st.span, "stage", st.name)
    scope = agent_scope(st.agent, ctx, scope)
    scope = env_scope(st.environment, ctx, scope)
    scope = option_scope(st.options, ctx, scope)
    for tool, _ in st.tools:
        ctx.waived(f"tool {tool}", st.span, "tool installers are an agent concern; the executor provides them", tool)
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


def _when_dict(w: When) -> dict[str, object]:
    return {"kind": w.kind, "args": literal(list(w.args)), "kwargs": {k: literal(v) for k, v in w.kwargs},
            "children": [_when_dict(c) for c in w.children]}


def gate(st: Stage, ctx: Ctx, scope: Scope) -> None:
    assert st.when is not None
    unknown = [w.kind for w in _all_when(st.when.conditions) if ctx.rules.rule("when", w.kind) is None]
    if unknown:
        ctx.placeholder(f"when {unknown[0]}", st.when.span, ctx.rules.unknown("when", unknown[0], "when condition"),
                        scope, key=f"when {unknown[0]}", fallback=False)
    spec = {"type": "python", "callable": f"{RUNTIME}:when_gate",
            "description": "Skips the stage's tasks when its Jenkins `when` conditions are false (short-circuit)."}
    ctx.emit("airflow.when-gate", spec, scope, label="gate", named=True,
             bindings={"conditions": [_when_dict(w) for w in st.when.conditions], "stage": st.name})
    ctx.mapped("when", st.when.span, "when", "a gate task that skips the stage when false; later stages still run")


def _all_when(items: tuple[When, ...]) -> list[When]:
    out: list[When] = []
    for w in items:
        out.append(w)
        out += _all_when(w.children)
    return out


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


def post(blocks: tuple[PostBlock, ...], ctx: Ctx, scope: Scope, start: list[str]) -> None:
    """Post conditions: each block's steps run after the body with the condition's trigger rule; notification
    steps become callbacks. Cleanup runs last."""
    body_end = list(ctx.frontier)
    if not body_end:
        body_end = list(start)
    ordered = sorted(blocks, key=lambda b: bool((ctx.rules.rule("post", b.condition) or _NONE).get("last")))
    post_ends: list[str] = []
    for block in ordered:
        rule = ctx.rules.rule("post", block.condition)
        if rule is None:
            ctx.placeholder(f"post {block.condition}", block.span,
                            ctx.rules.unknown("post", block.condition, "post condition"), scope,
                            key=f"post {block.condition}", fallback=False)
            continue
        if rule.waive:
            ctx.waived(f"post {block.condition}", block.span, rule.waive, f"post {block.condition}")
            continue
        ctx.notify_on = str(rule.get("notify_on", "always"))
        if rule.get("gate"):
            post_ends += _gated_post(block, str(rule.get("gate")), ctx, scope, body_end)
            ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("note") or "a post_gate task"))
            continue
        if rule.get("placeholder"):
            notes = [s for s in block.steps if (ctx.rules.rule("steps", s.name) or _NONE).handler == "notify"]
            for s in notes:
                walk((s,), ctx, scope)
            rest = [s for s in block.steps if s not in notes]
            if rest:
                ctx.placeholder(f"post {block.condition}", block.span, str(rule.get("placeholder")), scope,
                                key=f"post {block.condition}", fallback=False)
            else:
                ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("placeholder")))
            ctx.notify_on = ""
            continue
        tr = str(rule.get("trigger_rule", "all_done"))
        ctx.frontier = list(body_end) + (post_ends if rule.get("last") else [])
        before = len(ctx.tasks)
        ctx.pending_rule = tr
        walk(block.steps, ctx, replace(scope, stage=scope.stage or "post", id_suffix=f"_post_{block.condition}"))
        ctx.pending_rule = ""
        ctx.notify_on = ""
        if len(ctx.tasks) > before:
            post_ends += [t for t in ctx.frontier if t not in post_ends]
        ctx.mapped(f"post {block.condition}", block.span, "post",
                   f"trigger rule {tr}" + (f"; {rule.get('note')}" if rule.get("note") else ""))
    ctx.frontier = body_end + [t for t in post_ends if t not in body_end]
    if post_ends:
        ctx.after_conditional = True  # post tasks skipped by their rule must not skip what follows


def _gated_post(block: PostBlock, condition: str, ctx: Ctx, scope: Scope, body_end: list[str]) -> list[str]:
    """changed/fixed/regression: a `post_gate` task (all_done after the body) skips the block's tasks unless the
    condition holds against the previous completed run; the block's notifications carry the condition."""
    notes = [s for s in block.steps if (ctx.rules.rule("steps", s.name) or _NONE).handler == "notify"]
    first_note = len(ctx.notifications)
    ctx.frontier = list(body_end)
    ends: list[str] = []
    sc = replace(scope, stage=scope.stage or "post", id_suffix=f"_post_{block.condition}")
    if len(notes) < len(block.steps):
        spec = {"type": "python", "callable": f"{RUNTIME}:post_gate",
                "description": "Runs a Jenkins post changed/fixed/regression block only when the condition holds "
                               "against the previous completed run (skips it otherwise)."}
        ctx.emit("airflow.post-gate", spec, sc, label="gate", named=True, trigger_rule="all_done",
                 bindings={"post_condition": condition, "body_tasks": list(body_end)})
        walk(block.steps, ctx, sc)  # after the gate with all_success: a skipped gate skips them
        ends = list(ctx.frontier)
    else:
        walk(block.steps, ctx, sc)
    ctx.notifications[first_note:] = [n.model_copy(update={"condition": condition})
                                      for n in ctx.notifications[first_note:]]
    ctx.notify_on = ""
    ctx.frontier = list(body_end)
    return ends


@handler("quiet_period")
def quiet_period(node: Step, rule: object, ctx: Ctx, scope: Scope) -> None:
    ctx.tags.append(f"jenkins-quiet-period:{text(node.args[0] if node.args else '')}")
    ctx.mapped(f"option {node.name}", node.span, node.name, "kept as a tag: Airflow starts a run when it is due")


class _NoRule:
    handler = ""

    def get(self, key: str, default: object = None) -> object:
        return default


_NONE = _NoRule()

__all__ = ["agent_scope", "env_scope", "option_scope", "stages", "post", "secret_refs", "model"]

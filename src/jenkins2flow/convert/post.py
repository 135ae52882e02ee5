"""Post conditions (pipeline and stage `post {}`), by the rules in mappings `post:` (see docs/post-conditions.md).

A rule waives the block, or its first key found in KINDS says how the block converts (`gate`: a post_gate task
decides against the previous run; `placeholder`: only the block's notifications convert); any other rule runs the
block's steps after the body with the rule's `trigger_rule`. Notification steps inside carry the rule's `notify_on`.
`last: true` blocks (cleanup) run after every other block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.walker import walk
from jenkins2flow.ir import PostBlock, Step

# (block, rule, ctx, scope, body_end, post_ends) -> the tasks that end the block, added to post_ends
Kind = Callable[[PostBlock, Rule, Ctx, Scope, list[str], list[str]], list[str]]


def _notifies(step: Step, ctx: Ctx) -> bool:
    rule = ctx.rules.rule("steps", step.name)
    return rule is not None and rule.handler == "notify"


def _block_scope(block: PostBlock, scope: Scope) -> Scope:
    return replace(scope, stage=scope.stage or "post", id_suffix=f"_post_{block.condition}")


def _gated(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, body_end: list[str], _: list[str]) -> list[str]:
    """changed/fixed/regression: a `post_gate` task (all_done after the body) skips the block's tasks unless the
    condition holds against the previous completed run; the block's notifications carry the condition."""
    condition = str(rule.get("gate"))
    notes = [s for s in block.steps if _notifies(s, ctx)]
    first_note = len(ctx.notifications)
    ctx.frontier = list(body_end)
    ends: list[str] = []
    sc = _block_scope(block, scope)
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
    ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("note") or "a post_gate task"))
    return ends


def _placeholder(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, *_: list[str]) -> list[str]:
    """A condition Airflow cannot express: its notifications convert, anything else is a placeholder."""
    notes = [s for s in block.steps if _notifies(s, ctx)]
    for s in notes:
        walk((s,), ctx, scope)
    rest = [s for s in block.steps if s not in notes]
    if rest:
        ctx.placeholder(f"post {block.condition}", block.span, str(rule.get("placeholder")), scope,
                        key=f"post {block.condition}", fallback=False)
    else:
        ctx.mapped(f"post {block.condition}", block.span, "post", str(rule.get("placeholder")))
    ctx.notify_on = ""
    return []


def _run(block: PostBlock, rule: Rule, ctx: Ctx, scope: Scope, body_end: list[str], post_ends: list[str]
         ) -> list[str]:
    """The block's steps after the body (after the other blocks when `last`), with the rule's trigger rule."""
    tr = str(rule.get("trigger_rule", "all_done"))
    ctx.frontier = list(body_end) + (post_ends if rule.get("last") else [])
    before = len(ctx.tasks)
    ctx.pending_rule = tr
    walk(block.steps, ctx, _block_scope(block, scope))
    ctx.pending_rule = ""
    ctx.notify_on = ""
    ends = [t for t in ctx.frontier if t not in post_ends] if len(ctx.tasks) > before else []
    ctx.mapped(f"post {block.condition}", block.span, "post",
               f"trigger rule {tr}" + (f"; {rule.get('note')}" if rule.get("note") else ""))
    return ends


# rule key -> how the block converts, the first key the rule has; a rule with none of them: _run
KINDS: dict[str, Kind] = {"gate": _gated, "placeholder": _placeholder}


def _last(block: PostBlock, ctx: Ctx) -> bool:
    rule = ctx.rules.rule("post", block.condition)
    return rule is not None and bool(rule.get("last"))


def post(blocks: tuple[PostBlock, ...], ctx: Ctx, scope: Scope, start: list[str]) -> None:
    """Post conditions: each block's steps run after the body with the condition's trigger rule; notification
    steps become callbacks. Cleanup runs last."""
    body_end = list(ctx.frontier)
    if not body_end:
        body_end = list(start)
    post_ends: list[str] = []
    for block in sorted(blocks, key=lambda b: _last(b, ctx)):
        ctx.at = block.span
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
        kind = next((fn for name, fn in KINDS.items() if rule.get(name)), _run)
        post_ends += kind(block, rule, ctx, scope, body_end, post_ends)
    ctx.frontier = body_end + [t for t in post_ends if t not in body_end]
    if post_ends:
        ctx.after_conditional = True  # post tasks skipped by their rule must not skip what follows

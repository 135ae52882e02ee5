"""The walker: converts a list of Jenkinsfile statements in order, each after the frontier of the task graph.

A statement is, in this order: a Groovy statement (if, try, for, def... -> registry.STATEMENTS), a call of a function
the script defines (its body converted in place), or a step converted by its rule in mappings `steps:` (waiver,
hook or handler, through registry.apply). A step no rule covers is a placeholder (the original job runs it) and its
body, if any, is still converted. Handlers convert the bodies they enclose through `ctx.walk`, which is `walk`.
"""

from __future__ import annotations

from collections.abc import Sequence

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.registry import STATEMENTS, apply
from jenkins2flow.convert.rules import Rule
from jenkins2flow.ir import Step

MAX_DEPTH = 20  # nested calls of the script's own functions converted in place


def walk(steps: Sequence[Step], ctx: Ctx, scope: Scope) -> None:
    """Convert steps in order; each either emits tasks after the frontier, changes scope, or is recorded."""
    for step in steps:
        scope = convert_step(step, ctx, scope)


def convert_step(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    """Convert one step; returns the scope for the steps after it (a variable definition changes it)."""
    statement = STATEMENTS.get(step.name)
    if statement is not None:
        after = statement(step, Rule(step.name), ctx, scope)
        return scope if after is None else after
    if step.name in ctx.functions and ctx.depth < MAX_DEPTH:
        fn = ctx.functions[step.name]
        ctx.mapped(f"call {step.name}()", step.span, step.name, "the function body is converted in place")
        ctx.depth += 1
        walk(fn.body or (), ctx, scope)
        ctx.depth -= 1
        return scope
    rule = ctx.rules.rule("steps", step.name)
    if rule is None:
        ctx.placeholder(f"step {step.name}", step.span, ctx.rules.unknown("steps", step.name, "step"), scope,
                        key=step.name, source=step.raw)
        if step.body:
            walk(step.body, ctx, scope)
        return scope
    after = apply(rule, step, ctx, scope, f"step {step.name}")
    return scope if after is None else after

"""The walker: converts a list of Jenkinsfile statements in order, each after the frontier of the task graph.

A statement is, in this order: a Groovy statement (if, try, for, def... -> registry.STATEMENTS), a call of a function
the script defines (its body converted in place), or a step converted by its rule in mappings `steps:` (waiver,
hook or handler, through registry.apply). A step no rule covers is a placeholder (the job then runs on Jenkins as a
whole; the draft keeps a task that fails loudly in its place) and its body, if any, is still converted. Handlers
convert the bodies they enclose through `ctx.walk`, which is `walk`.

`return` ends the list being walked, as it ends the script, the function or the closure it is written in: what
follows it in the same list never runs (waived as unreachable). A `return` nested in an if/try/loop/switch ends the
enclosing body on some paths only; when statements follow that construct, they would run in Airflow on every path,
so the return is a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Result, Unknown
from jenkins2flow.convert.registry import STATEMENTS, apply
from jenkins2flow.convert.rules import Rule
from jenkins2flow.ir import Step

MAX_DEPTH = 20  # nested calls of the script's own functions converted in place
# Groovy statements whose blocks belong to the enclosing body (a `return` inside ends that body, not the block)
_COMPOUND = frozenset({"if", "try", "for", "while", "switch", "block"})


def walk(steps: Sequence[Step], ctx: Ctx, scope: Scope) -> Scope:
    """Convert steps in order; each either emits tasks after the frontier, changes scope, or is recorded. Returns
    the scope after the last one (what the statements assigned)."""
    for i, step in enumerate(steps):
        scope = convert_step(step, ctx, scope)
        rest = steps[i + 1:]
        if not rest:
            break
        if step.name == "return":
            for s in rest:
                ctx.waived(f"unreachable {s.name}", s.span, f"after the `return` at {step.span.line}:{step.span.col}"
                           ": Groovy never runs it", s.name)
            break
        early = next(_returns_in(step), None) if step.name in _COMPOUND else None
        if early is not None:
            ctx.placeholder("conditional return", early.span, f"this `return` ends the enclosing body on some paths "
                            f"only; the {len(rest)} statement(s) after the {step.name} would run on every path",
                            scope, key="return")
    return scope


def _returns_in(step: Step) -> Iterator[Step]:
    """The `return` statements of a compound statement's blocks (not inside closures or function definitions)."""
    for block in (step.body or (), *(b for _, b in step.children)):
        for s in block:
            if s.name == "return":
                yield s
            elif s.name in _COMPOUND:
                yield from _returns_in(s)


def convert_step(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    """Convert one step; returns the scope for the steps after it: a variable definition changes it, and what the
    bodies a handler converts assign carries on (unless the handler returns the scope after it itself)."""
    outer, ctx.at = ctx.at, step.span
    ctx.body_ends.append([])
    try:
        after = _convert(step, ctx, scope)
    finally:
        ctx.at = outer
        ends = ctx.body_ends.pop()
    if after is not None:
        return after
    for start, end in ends:
        scope = scope.carry(end, start=start)
    return scope


def _convert(step: Step, ctx: Ctx, scope: Scope) -> Scope | None:
    statement = STATEMENTS.get(step.name)
    if statement is not None:
        return statement(step, Rule(step.name), ctx, scope)
    if step.name in ctx.functions and ctx.depth < MAX_DEPTH:
        fn = ctx.functions[step.name]
        ctx.mapped(f"call {step.name}()", step.span, step.name, "the function body is converted in place")
        ctx.depth += 1
        try:
            end = walk(fn.body or (), ctx, call_scope(fn, step, scope))
        finally:
            ctx.depth -= 1
        return returned(end, scope)
    rule = ctx.rules.rule("steps", step.name)
    if rule is None:
        ctx.placeholder(f"step {step.name}", step.span, ctx.rules.unknown("steps", step.name, "step"), scope,
                        key=step.name, source=step.raw)
        if step.body:
            ctx.walk(step.body, scope)
        return None
    return apply(rule, step, ctx, scope, f"step {step.name}")


def call_scope(fn: Step, call: Step, scope: Scope) -> Scope:
    """The scope a function body starts with: the script's globals (not the caller's locals) and its parameters
    bound to the call's arguments (evaluated where the call is), else their defaults."""
    ev = scope.ev
    inner = scope.changed(ev=ev.changed(variables={k: v for k, v in ev.variables.items()
                                                     if k not in scope.declared}), declared=frozenset())
    params = fn.kwarg("params") or ()
    params = params if isinstance(params, tuple) else ()
    defaults = fn.kwarg("defaults") or {}
    # f(a: 1, b: 2): Groovy collects named arguments into a map, the first parameter; the others follow it
    args: list[Any] = ([{k: v for k, v in call.kwargs}] if call.kwargs else []) + list(call.args)
    closure = call.body is not None and len(params) == len(args) + 1  # f(a) { ... }: the closure is last
    for i, name in enumerate(params):
        value: Result
        if closure and i == len(params) - 1:
            value = Unknown(f"{name!r} is the closure given to {fn.kwarg('name')}(), run by Groovy", call.span)
        elif i < len(args):
            value = ev.value(args[i], call.span)
        elif isinstance(defaults, dict) and name in defaults:
            value = inner.ev.value(defaults[name], fn.span)
        else:
            value = Unknown(f"{fn.kwarg('name')}() is called without its parameter {name!r}", call.span)
        inner = inner.bind(str(name), value, declare=True)
    return inner


def returned(end: Scope, caller: Scope) -> Scope:
    """The caller's scope after a function body: the globals the body assigned, the caller's own locals kept."""
    variables = {k: v for k, v in end.ev.variables.items() if k not in end.declared}
    variables.update({k: v for k, v in caller.ev.variables.items() if k in caller.declared})
    ev = caller.ev.changed(variables=variables, env=end.ev.env, outputs={**caller.ev.outputs, **end.ev.outputs})
    return caller.changed(ev=ev)

"""The declarative `options {}` directive (pipeline and stage), by the rules in mappings `options:`.

Three rule handlers mean something else for an option than for a step or plugin of the same handler name: `retries`
(the option's count of attempts, not Naginator's reschedules), `timeout` (no body: the limit applies to every task
after it) and `max_active_runs` (the rule's value). OPTIONS holds those; every other option rule (waivers, hooks,
`quiet_period`, user handlers) goes through the registry like a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Unknown
from jenkins2flow.convert.handlers.blocks import seconds_of
from jenkins2flow.convert.registry import apply
from jenkins2flow.convert.rules import Rule
from jenkins2flow.ir import Step


def _max_active_runs(opt: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    ctx.max_active_runs = int(rule.get("value", 1))
    ctx.mapped(f"option {opt.name}", opt.span, opt.name, "max_active_runs 1")
    return scope


def _retries(opt: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    count = scope.static_int(opt.args[0] if opt.args else opt.kwarg("count"), opt.span)
    if isinstance(count, Unknown):
        ctx.placeholder(f"option {opt.name}", opt.span, f"the count is not converted: {count}", scope, key=opt.name,
                        fallback=False)
        return scope
    scope = replace(scope, retries=max(count - 1, 0))
    ctx.mapped(f"option {opt.name}", opt.span, opt.name, f"retries {scope.retries} on each task")
    return scope


def _timeout(opt: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    seconds = seconds_of(opt, scope)
    if isinstance(seconds, Unknown):
        ctx.placeholder(f"option {opt.name}", opt.span, f"the time limit is not converted: {seconds}", scope,
                        key=opt.name, fallback=False)
        return scope
    ctx.mapped(f"option {opt.name}", opt.span, opt.name, f"timeout {seconds}s on each task")
    return replace(scope, timeout=seconds or scope.timeout)


# rule handler -> the option's effect on the scope of every task after it
OPTIONS: dict[str, Callable[[Step, Rule, Ctx, Scope], Scope]] = {
    "max_active_runs": _max_active_runs, "retries": _retries, "timeout": _timeout,
}


def option_scope(options: tuple[Step, ...], ctx: Ctx, scope: Scope) -> Scope:
    for opt in options:
        rule = ctx.rules.rule("options", opt.name)
        element = f"option {opt.name}"
        if rule is None:
            ctx.placeholder(element, opt.span, ctx.rules.unknown("options", opt.name, "option"), scope, key=opt.name,
                            fallback=False)
        elif not (rule.waive or rule.hook) and rule.handler in OPTIONS:
            scope = OPTIONS[rule.handler](opt, rule, ctx, scope)
        else:
            after = apply(rule, opt, ctx, scope, element)
            scope = scope if after is None else after
    return scope

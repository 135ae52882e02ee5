"""The declarative `options {}` directive (pipeline and stage), by the rules in mappings `options:`.

Three rule handlers mean something else for an option than for a step or plugin of the same handler name: `retries`
(the option's count of attempts of the whole pipeline or stage, not Naginator's reschedules), `timeout` (no body:
the pipeline's run limit, or a limit the stage's tasks share) and `max_active_runs` (the rule's value). OPTIONS holds
those; every other option rule (waivers, hooks, `quiet_period`, user handlers) goes through the registry like a step.
A stage's timeout and retry are open until the stage is converted: convert.stages closes them (convert.regions).
"""

from __future__ import annotations

from collections.abc import Callable

from jenkins2flow.convert import regions
from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.registry import apply
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg
from jenkins2flow.ir import Step


def _max_active_runs(opt: Step, rule: Rule, ctx: Ctx, scope: Scope, pipeline: bool) -> Scope:
    ctx.max_active_runs = int(rule.get("value", 1))
    ctx.mapped(f"option {opt.name}", opt.span, opt.name, "max_active_runs 1")
    return scope


def _retries(opt: Step, rule: Rule, ctx: Ctx, scope: Scope, pipeline: bool) -> Scope:
    """Jenkins runs the whole pipeline (or stage) again after a failure: its tasks get Airflow retries, judged once
    the body is converted (faithful for one task)."""
    element = f"option {opt.name}"
    count, problem = regions.retry_count(ctx, arg(opt, "count", None), opt.span, scope.ev)
    if count is None:
        ctx.approximated(element, opt.span, problem, opt.name)
        return scope
    whole = "the whole pipeline (every stage and post block)" if pipeline else "the whole stage"
    return regions.open_retries(ctx, scope, element, opt.span, opt.name, count, whole)


def _timeout(opt: Step, rule: Rule, ctx: Ctx, scope: Scope, pipeline: bool) -> Scope:
    """Pipeline level: the limit of the whole run (dagrun_timeout). Stage level: the stage's tasks share it, counted
    from the start of the stage (a clock task now; convert.stages closes the group)."""
    element = f"option {opt.name}"
    limit = regions.limit_of(ctx, opt, arg(opt, "time", None), opt.kwarg("unit"), opt.kwarg("activity"), scope.ev)
    if limit.seconds is None or limit.activity:
        ctx.approximated(element, opt.span, limit.problem, opt.name)
        return scope
    if pipeline:
        ctx.dagrun_timeout = limit.seconds
        ctx.mapped(element, opt.span, opt.name, f"the run's dagrun_timeout: {limit.seconds} s")
        return scope
    return regions.open_deadline(ctx, scope, limit.seconds, "stage", f"stage {scope.stage!r}", element, opt.span,
                                 opt.name)


def _approximated(opt: Step, rule: Rule, ctx: Ctx, scope: Scope, pipeline: bool) -> Scope:
    ctx.approximated(f"option {opt.name}", opt.span, str(rule.get("reason", "")), opt.name)
    return scope


# rule handler -> the option's effect on the scope of every task after it (`pipeline`: a pipeline-level option)
OPTIONS: dict[str, Callable[[Step, Rule, Ctx, Scope, bool], Scope]] = {
    "max_active_runs": _max_active_runs, "retries": _retries, "timeout": _timeout, "approximated": _approximated,
}


def option_scope(options: tuple[Step, ...], ctx: Ctx, scope: Scope, pipeline: bool = False) -> Scope:
    for opt in options:
        rule = ctx.rules.rule("options", opt.name)
        element = f"option {opt.name}"
        if rule is None:
            ctx.placeholder(element, opt.span, ctx.rules.unknown("options", opt.name, "option"), scope, key=opt.name,
                            fallback=False)
        elif not (rule.waive or rule.hook) and rule.handler in OPTIONS:
            scope = OPTIONS[rule.handler](opt, rule, ctx, scope, pipeline)
        else:
            after = apply(rule, opt, ctx, scope, element)
            scope = scope if after is None else after
    return scope

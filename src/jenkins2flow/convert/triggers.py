"""A job's triggers -> the pipeline's schedule, by the rules in mappings `triggers:` (keyed by trigger kind, or by
plugin class for kind `other`): a rule waives the trigger or names a trigger handler (handlers.triggers), which
collects cron specs and upstream links on the Ctx; the cron specs then resolve into one schedule, with Jenkins' `H`
hash of the job's full name."""

from __future__ import annotations

from jenkins2flow_runtime import model
from jenkins2flow_runtime.model.specs import Upstream

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.handlers import triggers as trigger_handlers
from jenkins2flow.convert.handlers.triggers import rule_key
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.ir import Job, Span
from jenkins2flow.schedule.cron import CronError, resolve

TRIGGER_HANDLERS = frozenset(trigger_handlers.HANDLERS)  # the rule handlers that apply to a trigger


def schedule_of(job: Job, ctx: Ctx, scope: Scope) -> model.Schedule | None:
    for trig in job.triggers:
        key = rule_key(trig)
        rule = ctx.rules.rule("triggers", key)
        element = f"trigger {key}"
        if rule is None:
            ctx.placeholder(element, trig.span, ctx.rules.unknown("triggers", key, "trigger"), scope, key=key,
                            fallback=False)
        elif rule.waive:
            ctx.waived(element, trig.span, rule.waive, key)
        elif rule.handler in TRIGGER_HANDLERS:
            HANDLERS[rule.handler](trig, rule, ctx, scope)
        else:
            ctx.placeholder(element, trig.span, f"handler {rule.handler!r} does not apply to triggers", scope,
                            key=key, fallback=False)
    schedule = _cron(job, ctx, scope)
    upstream = list(ctx.upstream)
    if ctx.links is not None:
        upstream += ctx.links.upstream.get(ctx.conv.pipeline_name, [])
    if upstream:
        ups = [Upstream(pipeline=p, on=on) for p, on in dict.fromkeys(upstream)]  # type: ignore[arg-type]
        schedule = (schedule or model.Schedule()).model_copy(update={"upstream": ups})
    return schedule


def _cron(job: Job, ctx: Ctx, scope: Scope) -> model.Schedule | None:
    """The cron specs the schedule handler collected, resolved as one Jenkins spec (one line per spec line)."""
    crons = ctx.crons
    if not crons:
        return None
    text_ = "\n".join(t.spec for t in crons if t.spec.strip())
    try:
        resolved = resolve(text_, job.full_name)
    except CronError as exc:
        span = crons[0].span
        ctx.placeholder("trigger cron", Span(span.path, span.line + exc.line - 1, span.col),
                        f"cron spec {text_!r}: {exc}", scope, key="cron", fallback=False)
        return None
    schedule = model.Schedule(cron=resolved.cron, timezone=resolved.timezone, jenkins_spec=text_,
                              and_dom_dow=resolved.and_dom_dow)
    for t in crons:
        ctx.mapped(f"trigger {t.kind}", t.span, t.kind, f"schedule {resolved.cron} {resolved.timezone}")
    for n in resolved.notes:
        ctx.note(n, crons[0].span, "info")
    return schedule

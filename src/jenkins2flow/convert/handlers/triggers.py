"""Trigger rules: `schedule` (cron, parameterized cron) collects the job's cron specs, resolved into one schedule by
convert.triggers; `upstream` (ReverseBuildTrigger, `upstream(...)`) schedules the pipeline on its upstream pipelines'
assets (convert.links)."""

from __future__ import annotations

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.links import asset_on
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rule
from jenkins2flow.ir import Trigger


def rule_key(trig: Trigger) -> str:
    """The key of a trigger's rule in mappings `triggers:`: its kind, or its plugin class for kind `other`."""
    return trig.kind if trig.kind != "other" else trig.plugin


def schedule(trig: Trigger, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    if dict(trig.extra).get("computed"):
        ctx.placeholder(f"trigger {rule_key(trig)}", trig.span, f"the cron spec is computed by Groovy ({trig.spec!r}) "
                        "and cannot be resolved outside Jenkins: set the pipeline's schedule by hand", scope,
                        key=rule_key(trig), fallback=False)
        return
    ctx.crons.append(trig)


def upstream(trig: Trigger, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    key = rule_key(trig)
    on = asset_on(trig.threshold)
    if on is None:
        ctx.placeholder(f"trigger {key}", trig.span, f"threshold {trig.threshold!r} has no asset event", scope,
                        key=key, fallback=False)
        return
    ctx.upstream += [(safe_name(up.strip("/")), on) for up in trig.upstream]
    ctx.mapped(f"trigger {key}", trig.span, key, f"scheduled on the assets of {', '.join(trig.upstream)} ({on})")
    missing = [up for up in trig.upstream if ctx.links is not None
               and safe_name(up.strip("/")) not in ctx.links.pipelines]
    if ctx.links is None or missing:
        ctx.note(f"Upstream pipeline(s) {', '.join(missing or trig.upstream)} must publish their asset "
                 "(asset_events) for this trigger to fire: convert them in the same run.", trig.span, "info")


HANDLERS: dict[str, Handler] = {"schedule": schedule, "upstream": upstream}

"""A job's triggers -> the pipeline's schedule, by the rules in mappings `triggers:` (keyed by trigger kind, or by
plugin class for kind `other`): a rule waives the trigger or names a trigger handler (handlers.triggers), which
collects cron specs and upstream links on the Ctx; the cron specs then resolve into one schedule, with Jenkins' `H`
hash of the job's full name.

`merge` is the one place where triggers from two sources meet (a flow-definition's config.xml and its inline script
or its Jenkinsfile from SCM): Jenkins records the Jenkinsfile's `pipelineTriggers` into the job's config.xml, so the
same trigger in both is one trigger, not two schedules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.model.specs import Upstream

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.handlers import triggers as trigger_handlers
from jenkins2flow.convert.handlers.triggers import rule_key
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.ir import Job, Span, Trigger, span_of
from jenkins2flow.schedule.cron import CronError, resolve, uses_hash

TRIGGER_HANDLERS = frozenset(trigger_handlers.HANDLERS)  # the rule handlers that apply to a trigger
Identity = tuple[str, tuple[str, ...], frozenset[str], str, str]


def identity(trig: Trigger) -> Identity:
    """What makes two triggers the same: kind, spec (lines with whitespace runs collapsed, blank lines dropped),
    upstream jobs as a set, threshold and plugin. Spans differ between files and do not count. The plugin counts
    for kind `other` only: for the other kinds the kind names the class, which config.xml records and a Jenkinsfile
    does not; an upstream trigger without a threshold has Jenkins' default, SUCCESS."""
    lines = tuple(" ".join(line.split()) for line in trig.spec.splitlines() if line.strip())
    threshold = trig.threshold.strip().upper() or ("SUCCESS" if trig.kind == "upstream" else "")
    plugin = trig.plugin if trig.kind == "other" else ""
    return (trig.kind, lines, frozenset(u.strip() for u in trig.upstream), threshold, plugin)


def merge(triggers: Iterable[Trigger]) -> tuple[list[Trigger], list[tuple[Trigger, Trigger]]]:
    """The distinct triggers in their order, and each repeat paired with the earlier trigger it is the same as."""
    first: dict[Identity, Trigger] = {}
    kept: list[Trigger] = []
    repeats: list[tuple[Trigger, Trigger]] = []
    for trig in triggers:
        same = first.setdefault(identity(trig), trig)
        if same is trig:
            kept.append(trig)
        else:
            repeats.append((trig, same))
    return kept, repeats


def schedule_of(job: Job, ctx: Ctx, scope: Scope) -> model.Schedule | None:
    kept, repeats = merge(job.triggers)
    for trig in kept:
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
    for trig, same in repeats:
        ctx.mapped(f"trigger {rule_key(trig)}", trig.span, rule_key(trig), f"the same trigger as at {same.span}: "
                   "converted once (Jenkins records the Jenkinsfile's triggers in the job's config.xml)")
    schedule = _cron(job, ctx, scope)
    upstream = list(ctx.upstream)
    if ctx.links is not None:
        upstream += ctx.links.upstream.get(ctx.conv.pipeline_name, [])
    if upstream:
        ups = [Upstream(pipeline=p, on=on) for p, on in dict.fromkeys(upstream)]  # type: ignore[arg-type]
        schedule = (schedule or model.Schedule()).model_copy(update={"upstream": ups})
    return schedule


def _cron(job: Job, ctx: Ctx, scope: Scope) -> model.Schedule | None:
    """The cron specs the schedule handler collected, each resolved on its own (Jenkins gives every trigger its own
    CronTabList, with a fresh hash of the job's full name), merged into one schedule. A spec without `TZ=` runs in
    Jenkins' default time zone (`ctx.timezone`, the --timezone option)."""
    resolved: list[tuple[Trigger, Any]] = []
    for trig in ctx.crons:
        if not trig.spec.strip():
            continue
        try:
            resolved.append((trig, resolve(trig.spec, job.full_name, ctx.timezone)))
        except CronError as exc:
            span = trig.span
            ctx.placeholder("trigger cron", Span(span.path, span.line + exc.line - 1, span.col),
                            f"cron spec {trig.spec!r}: {exc}", scope, key="cron", fallback=False)
    if not resolved:
        return None
    zone = resolved[0][1].timezone
    for trig, res in resolved:
        origin = zone_origin(res.tz_line, ctx.timezone_given)
        reason = f"schedule {', '.join(res.cron) or '(none)'} in {res.timezone} ({origin})"
        if res.timezone != zone:
            ctx.approximated(f"trigger {trig.kind}", trig.span, f"{reason}: the pipeline has one time zone and "
                             f"runs this spec in {zone}, the zone of the first trigger; split the job's triggers "
                             "into pipelines of their own to keep both", trig.kind)
        elif uses_hash(trig.spec) and job.name_guessed:
            ctx.approximated(f"trigger {trig.kind}", trig.span, f"{reason}; H is the hash of the job's full name, "
                             f"which a loose file does not give: {job.full_name!r} is guessed from the file name. "
                             "Give the real one (FOLDER/JOB) with --job-name", trig.kind)
        else:
            ctx.mapped(f"trigger {trig.kind}", trig.span, trig.kind, reason)
        for n in res.notes:
            ctx.note(n, trig.span, "info")
    if not any(res.tz_line for _, res in resolved) and not ctx.timezone_given:
        ctx.note(f"The schedule runs in {zone}: Jenkins runs a spec without TZ= in its JVM's default time zone; "
                 "give that zone with --timezone ZONE if it is not UTC.", resolved[0][0].span, "info")
    return model.Schedule(cron=[c for _, res in resolved for c in res.cron], timezone=zone,
                          jenkins_spec="\n".join(t.spec for t, _ in resolved),
                          and_dom_dow=any(res.and_dom_dow for _, res in resolved))


def disabled(job: Job, ctx: Ctx) -> None:
    """A disabled Jenkins job (`<disabled>true</disabled>`) starts no build, on its triggers, an upstream's or a
    user's: the pipeline gets no schedule (cron or upstream) and its DAG is created paused (convert.job); each
    trigger is waived with why, and the ledger says so."""
    for trig in job.triggers:
        ctx.waived(f"trigger {rule_key(trig)}", trig.span, "the job is disabled: this trigger starts no build",
                   rule_key(trig))
    ctx.mapped("disabled", span_of(job, "disabled"), "disabled", "the Jenkins job is disabled: the DAG is created "
               "paused with no schedule, and builds of upstream jobs do not trigger it. Unpausing it is enabling the "
               "job (convert it again after enabling it in Jenkins to get its triggers)")


def schedule_line(schedule: model.Schedule, given: bool) -> str:
    """A schedule in one line for people: the Airflow cron, its time zone and where the zone comes from."""
    tz_line = any(line.strip().startswith("TZ=") for line in schedule.jenkins_spec.splitlines())
    return (f"{'; '.join(schedule.cron) or '(no time)'} in {schedule.timezone} ({zone_origin(tz_line, given)}); "
            f"Jenkins spec {schedule.jenkins_spec!r}")


def zone_origin(tz_line: bool, given: bool) -> str:
    """Where a schedule's time zone comes from, in words (ledger, dry-run, audit)."""
    if tz_line:
        return "the spec's TZ= line"
    return "Jenkins' default time zone, --timezone" if given else "UTC by default; Jenkins uses its JVM's zone"

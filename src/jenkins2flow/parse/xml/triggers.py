"""Triggers: children of `<triggers>` (and of PipelineTriggersJobProperty) -> `Trigger`.

Each known class names its IR kind and where its spec lives; everything else becomes kind "other" with the
class in `plugin`. All leaf values go to `extra`, and the element stays in `raw`.
"""

from __future__ import annotations

from jenkins2flow.ir.nodes import Trigger, Value
from jenkins2flow.parse.xml.common import (
    Ctx,
    Element,
    F,
    Table,
    apply_table,
    child,
    child_text,
    elements,
    flag,
    generic_fields,
    own_text,
    records,
    threshold,
)

# class -> (kind, element holding the spec, extra fields)
TRIGGER_TYPES: dict[str, tuple[str, str, Table]] = {
    "hudson.triggers.TimerTrigger": ("cron", "spec", ()),
    "hudson.triggers.SCMTrigger": ("pollscm", "spec", (F("ignorePostCommitHooks", conv=flag),)),
    "jenkins.triggers.ReverseBuildTrigger": ("upstream", "spec", ()),
    "com.cloudbees.jenkins.GitHubPushTrigger": ("github-push", "spec", ()),
    "com.dabsquared.gitlabjenkins.GitLabPushTrigger": (
        "gitlab-push", "spec",
        (F("triggerOnPush", conv=flag), F("triggerOnMergeRequest", conv=flag), F("branchFilterType"),
         F("includeBranchesSpec"), F("excludeBranchesSpec"), F("secretToken")),
    ),
    "org.jenkinsci.plugins.gwt.GenericTrigger": (
        "generic-webhook", "spec",
        (F("genericVariables", conv=records), F("genericRequestVariables", conv=records),
         F("genericHeaderVariables", conv=records), F("regexpFilterText"), F("regexpFilterExpression"),
         F("causeString"), F("token"), F("tokenCredentialId"), F("printContributedVariables", conv=flag)),
    ),
    "org.jenkinsci.plugins.parameterizedscheduler.ParameterizedTimerTrigger": (
        "parameterized-cron", "parameterizedSpecification", (),
    ),
}


def parse_trigger(el: Element, ctx: Ctx) -> Trigger:
    cls = el.tag
    kind, spec_tag, table = TRIGGER_TYPES.get(cls, ("other", "spec", ()))
    kids: dict[str, Element] = {}
    texts: dict[str, str] = {}
    extra: dict[str, Value] = generic_fields(el, kids, texts)
    if table:
        apply_table(el, table, ctx, kids, texts, extra)
    if spec_tag in texts:
        spec = texts[spec_tag]
    else:
        found = kids.get(spec_tag)
        spec = "" if found is None else own_text(found, ctx)
    extra.pop(spec_tag, None)
    upstream: tuple[str, ...] = ()
    level = ""
    if kind == "upstream":
        upstream = tuple(p.strip() for p in child_text(el, "upstreamProjects").split(",") if p.strip())
        node = child(el, "threshold")
        level = str(threshold(node, ctx)) if node is not None else "SUCCESS"
        extra.pop("upstreamProjects", None)
    if kind in ("cron", "pollscm", "parameterized-cron") and not spec.strip():
        ctx.report("warning", f"Trigger {cls!r} has an empty schedule; it never fires on its own.", el)
    return Trigger(kind, ctx.span(el), spec=spec, upstream=upstream, threshold=level, plugin=cls,
                   extra=tuple(extra.items()), raw=ctx.raw(el))


def parse_triggers(container: Element, ctx: Ctx) -> tuple[Trigger, ...]:
    return tuple(parse_trigger(t, ctx) for t in elements(container))

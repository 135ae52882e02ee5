"""Convert one IR job into catalog documents through the rules: parameter template, tasks and a pipeline."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.model.specs import Upstream

from jenkins2flow.convert import freestyle, from_scm, orchestration, pipeline, steps  # noqa: F401  (registers handlers)
from jenkins2flow.convert.classify import classify
from jenkins2flow.convert.context import Ctx, Scope, slug
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.links import Links, asset_on
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.registry import HANDLERS, handler
from jenkins2flow.convert.rules import Rules, load_rules
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Diagnostic, GString, Job, Param, Span
from jenkins2flow.schedule.cron import CronError, resolve

PARAM_TYPES = {"string": "string", "text": "text", "boolean": "boolean", "choice": "choice", "password": "password"}
NOT_RUNNABLE = {
    "folder": "a folder holds other jobs; it has nothing to run itself",
    "organization-folder": "an organization folder discovers repositories; convert each repository's Jenkinsfile",
}
DELEGATED = {
    "multibranch": "a multibranch project runs the Jenkinsfile of each branch; until that Jenkinsfile is converted, "
                   "the pipeline triggers the Jenkins job",
    "unsupported": "this job kind is not converted; the pipeline triggers the original Jenkins job",
}
_DEFAULT_RULES: Rules | None = None


def default_rules() -> Rules:
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_rules(handlers=HANDLERS)
    return _DEFAULT_RULES


def convert_job(job: Job, rules: Rules | None = None, workspace: Path | None = None,
                overrides: dict[str, str] | None = None, links: Links | None = None) -> Conversion:
    """Convert `job`; never raises for content problems: they become diagnostics, ledger entries and a status."""
    conv = Conversion(job=job.full_name, pipeline_name=safe_name(job.full_name), kind=job.kind,
                      source=job.source or job.span.path)
    rules = rules or default_rules()
    try:
        _convert(job, rules, workspace, conv, links)
    except Exception as exc:  # one bad job never stops a batch: report it with its place, on one line
        text = " ".join(str(exc).split())
        conv.diagnostics.append(Diagnostic("error", f"internal error while converting: {type(exc).__name__}: {text}",
                                           job.span))
        conv.status, conv.pipeline, conv.reasons = "failed", None, [f"converter error: {text}"]
    conv.classification, conv.class_reasons = classify(job, conv, overrides or {})
    return conv


def _convert(job: Job, rules: Rules, workspace: Path | None, conv: Conversion, links: Links | None = None) -> None:
    script_path = from_scm.script_in_scm(job)
    scm_reason = from_scm.WORKSPACE_HINT.format(path=script_path)
    if script_path is not None and workspace is not None:  # the Jenkinsfile is in the checkout: convert it
        loaded, scm_reason = from_scm.load(job, script_path, workspace)
        if loaded is not None:
            job = loaded
    flow = orchestration.ORCHESTRATION.get(job.root_tag) if job.kind == "unsupported" else None
    if flow is not None:  # the parser does not know MultiJob / Build Flow; their phases and DSL convert here
        conv.diagnostics.extend(replace(d, level="info", message=f"{job.root_tag!r} is converted as a {flow} job: "
                                        "each job it builds becomes a task triggering that job's pipeline.")
                                if d.code == "unsupported-kind" else d for d in job.diagnostics)
    elif job.kind == "unsupported":  # the parser's "unsupported job kind" error: delegate the job to Jenkins instead
        conv.diagnostics.extend(replace(d, level="warning") if "unsupported job kind" in d.message else d
                                for d in job.diagnostics)
    else:
        conv.diagnostics.extend(job.diagnostics)
    if conv.errors:
        conv.status = "failed"
        conv.reasons = [str(d) for d in conv.errors]
        return
    if job.kind in NOT_RUNNABLE:
        conv.status, conv.reasons = "unsupported", [NOT_RUNNABLE[job.kind]]
        conv.diagnostics.append(Diagnostic("info", NOT_RUNNABLE[job.kind], job.span))
        return
    ctx = Ctx(job=job, rules=rules, conv=conv, workspace=workspace, links=links)
    ctx.functions = {text(f.kwarg("name") or (f.args[0] if f.args else "")): f for f in job.functions}
    scope = Scope()
    templates = _parameters(job, ctx)
    schedule = _triggers(job, ctx, scope)
    if flow is not None:
        _xml(job, ctx, scope, dsl=dict(job.settings).get("dsl", "") if flow == "buildflow" else None)
        if not ctx.tasks:  # an empty MultiJob / Build Flow: as before, the job stays with Jenkins rather than vanish
            ctx.placeholder(f"job {job.root_tag}", job.span, f"the {flow} job has no phase or flow script to convert; "
                            "the pipeline triggers the Jenkins job", scope, key=job.root_tag)
    elif job.kind in DELEGATED:
        reason = DELEGATED[job.kind] + (f" ({scm_reason})" if job.kind == "multibranch" else "")
        ctx.placeholder(f"job {job.root_tag or job.kind}", job.span, reason, scope, key=job.root_tag or job.kind)
    elif job.stages or job.steps or job.flavor:
        _jenkinsfile(job, ctx, scope)
    else:
        _xml(job, ctx, scope)
    for unknown in job.unknown:
        ctx.waived(f"element {unknown.tag}", unknown.span, "a job setting with no meaning outside Jenkins", unknown.tag)
    if not ctx.tasks:
        if job.kind == "pipeline" and job.scm is not None and job.scm.script_path:
            ctx.placeholder("pipeline from SCM", job.span, f"the Jenkinsfile {job.scm.script_path!r} lives in the "
                            f"repository: {scm_reason}", scope, key="CpsScmFlowDefinition")
        else:
            conv.status, conv.reasons = "unsupported", ["the job has no step to run"]
            conv.diagnostics.append(Diagnostic("warning", "The job has no step that could be converted.", job.span))
            return
    if ctx.default_retries is not None:
        ctx.tasks = [t if t.retries is not None else t.model_copy(update={"retries": ctx.default_retries})
                     for t in ctx.tasks]
    conv.pipeline = model.PipelineSpec(
        description=job.description or f"Converted from Jenkins job {job.full_name!r}.",
        schedule=schedule,
        parameters=model.PipelineParameters(templates=templates),
        tasks=ctx.tasks,
        notifications=ctx.notifications,
        tags=sorted(set(ctx.tags + [f"kind:{job.kind}"] + [f"uses:{s}" for s in conv.signals])),
        max_active_runs=ctx.max_active_runs,
        shadow_outputs=ctx.shadow_outputs,
        asset_events=_asset_events(ctx, links, conv.pipeline_name),
        provenance=model.Provenance(job=job.full_name, source=job.source or job.span.path,
                                    config_sha256=_sha(job), diagnostics=[str(d) for d in conv.diagnostics][:200]),
    )
    holes = conv.placeholders
    warnings = [d for d in conv.diagnostics if d.level == "warning"]
    if holes or warnings:
        conv.status = "partial"
        reasons = [f"{e.span}: {e.element}: {e.reason}" for e in holes][:20] + [str(d) for d in warnings][:20]
        conv.reasons = list(dict.fromkeys(reasons))  # a placeholder is a ledger entry and a warning: say it once
    else:
        conv.reasons = ["every element is mapped or waived"]


def _sha(job: Job) -> str:
    if job.script:
        return hashlib.sha256(job.script.encode("utf-8")).hexdigest()
    path = Path(job.source or job.span.path)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    except OSError:
        return ""


def _jenkinsfile(job: Job, ctx: Ctx, scope: Scope) -> None:
    if job.root_tag not in ("", "Jenkinsfile"):  # a flow-definition's config.xml has job settings of its own
        _job_settings(job, ctx, scope)
    for lib in job.libraries:
        ctx.waived(f"library {lib}", job.span, "shared-library steps need rules of their own (--mappings)", "library")
    for tool, _ in job.tools:
        ctx.waived(f"tool {tool}", job.span, "tool installers are an agent concern; the executor provides them", tool)
    scope = pipeline.agent_scope(job.agent, ctx, scope)
    scope = pipeline.env_scope(job.environment, ctx, scope)
    scope = pipeline.option_scope(job.options, ctx, scope)
    if job.steps:  # scripted: top-level statements
        steps.walk(job.steps, ctx, replace(scope, stage=scope.stage or "main"))
    if job.flavor != "scripted" or not job.steps:
        # a scripted job's stages are read from its statements (and functions, converted where called): walking
        # the statements converts them once, in place
        pipeline.stages(job.stages, ctx, scope)
    if job.post:
        pipeline.post(job.post, ctx, replace(scope, stage="post"), list(ctx.frontier))


def _xml(job: Job, ctx: Ctx, scope: Scope, dsl: str | None = None) -> None:
    if job.assigned_node:
        from jenkins2flow.ir import Agent

        scope = pipeline.agent_scope(Agent("label", label=job.assigned_node, span=job.span), ctx, scope)
    _job_settings(job, ctx, scope)
    scope = freestyle.wrappers(ctx, scope)
    freestyle.builders(ctx, scope)
    if dsl is not None:
        orchestration.buildflow(job, dsl, ctx, scope)
    ctx.builders_end = list(ctx.frontier)
    for pl in job.publishers:
        freestyle.plugin(pl, "publisher", ctx, scope)
        ctx.frontier = list(ctx.builders_end)
    ctx.frontier = ctx.builders_end + ctx.downstream_ends


def _job_settings(job: Job, ctx: Ctx, scope: Scope) -> None:
    """What a config.xml says about the job as a whole: concurrency, quiet period, SCM, properties."""
    if not job.concurrent_build:
        ctx.max_active_runs = 1
        ctx.mapped("concurrentBuild false", job.span, "concurrentBuild", "max_active_runs 1")
    if job.quiet_period:
        ctx.tags.append(f"jenkins-quiet-period:{job.quiet_period}")
        ctx.mapped("quietPeriod", job.span, "quietPeriod", "kept as a tag: Airflow starts a run when it is due")
    if job.scm is not None:
        ctx.waived(f"scm {job.scm.kind}", job.scm.span, "source checkout stays CI-side: the code ships with the DAG "
                   "bundle or the task image", "scm")
    for pl in job.properties:
        freestyle.plugin(pl, "property", ctx, scope)


def _parameters(job: Job, ctx: Ctx) -> list[model.Ref]:
    if not job.parameters:
        return []
    specs = [_param(p, ctx) for p in job.parameters]
    data = {"parameters": [s.model_dump() for s in specs]}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
    name = f"params.{slug(' '.join(p.name for p in job.parameters), words=3)}-{digest}"
    return [ctx.add_doc("parameter_template", name, data)]


def _param(p: Param, ctx: Ctx) -> model.ParamSpec:
    kind = PARAM_TYPES.get(p.type)
    if kind is None:
        ctx.note(f"Parameter {p.name!r} of type {p.type!r} is kept as a string.", p.span)
        kind = "string"
    else:
        ctx.mapped(f"parameter {p.name}", p.span, p.plugin or p.type)
    default = p.default.text if isinstance(p.default, GString) else p.default
    if kind == "password":
        default = None  # never copy a secret's value
    if kind == "boolean":
        default = default.strip().lower() == "true" if isinstance(default, str) else bool(default)
    elif default is not None and not isinstance(default, str):
        default = text(default)
    choices = [text(c) for c in p.choices] if kind == "choice" else []
    if kind == "choice" and (default is None or default not in choices) and choices:
        default = choices[0]
    name = p.name if p.name and p.name[0].isalpha() or p.name.startswith("_") else f"p_{p.name}"
    return model.ParamSpec(name=name, type=kind, default=default,  # type: ignore[arg-type]
                           choices=choices, description=text(p.description))


def _triggers(job: Job, ctx: Ctx, scope: Scope) -> model.Schedule | None:
    schedule: model.Schedule | None = None
    crons = []
    upstream: list[tuple[str, str]] = []
    for trig in job.triggers:
        key = trig.kind if trig.kind != "other" else trig.plugin
        rule = ctx.rules.rule("triggers", key)
        element = f"trigger {key}"
        if rule is None:
            ctx.placeholder(element, trig.span, ctx.rules.unknown("triggers", key, "trigger"), scope, key=key,
                            fallback=False)
        elif rule.waive:
            ctx.waived(element, trig.span, rule.waive, key)
        elif rule.handler == "schedule" and dict(trig.extra).get("computed"):
            ctx.placeholder(element, trig.span, f"the cron spec is computed by Groovy ({trig.spec!r}) and cannot be "
                            "resolved outside Jenkins: set the pipeline's schedule by hand", scope, key=key,
                            fallback=False)
        elif rule.handler == "schedule":
            crons.append(trig)
        elif rule.handler == "upstream":
            on = asset_on(trig.threshold)
            if on is None:
                ctx.placeholder(element, trig.span, f"threshold {trig.threshold!r} has no asset event", scope,
                                key=key, fallback=False)
                continue
            upstream += [(safe_name(up.strip("/")), on) for up in trig.upstream]
            ctx.mapped(element, trig.span, key, f"scheduled on the assets of {', '.join(trig.upstream)} ({on})")
            missing = [up for up in trig.upstream if ctx.links is not None
                       and safe_name(up.strip("/")) not in ctx.links.pipelines]
            if ctx.links is None or missing:
                ctx.note(f"Upstream pipeline(s) {', '.join(missing or trig.upstream)} must publish their asset "
                         "(asset_events) for this trigger to fire: convert them in the same run.", trig.span, "info")
        else:
            ctx.placeholder(element, trig.span, f"handler {rule.handler!r} does not apply to triggers", scope,
                            key=key, fallback=False)
    if crons:
        text_ = "\n".join(t.spec for t in crons if t.spec.strip())
        try:
            resolved = resolve(text_, job.full_name)
            schedule = model.Schedule(cron=resolved.cron, timezone=resolved.timezone, jenkins_spec=text_,
                                      and_dom_dow=resolved.and_dom_dow)
            for t in crons:
                ctx.mapped(f"trigger {t.kind}", t.span, t.kind, f"schedule {resolved.cron} {resolved.timezone}")
            for n in resolved.notes:
                ctx.note(n, crons[0].span, "info")
        except CronError as exc:
            span = crons[0].span
            ctx.placeholder("trigger cron", Span(span.path, span.line + exc.line - 1, span.col),
                            f"cron spec {text_!r}: {exc}", scope, key="cron", fallback=False)
    if ctx.links is not None:
        upstream += ctx.links.upstream.get(ctx.conv.pipeline_name, [])
    if upstream:
        ups = [Upstream(pipeline=p, on=on) for p, on in dict.fromkeys(upstream)]  # type: ignore[arg-type]
        schedule = (schedule or model.Schedule()).model_copy(update={"upstream": ups})
    return schedule


@handler("schedule")
def _schedule_rule(*_: object) -> None:
    """Triggers with this rule are merged into the pipeline's schedule by `_triggers`."""


@handler("upstream")
def _upstream_rule(*_: object) -> None:
    """Triggers with this rule become `Schedule.upstream` (assets) in `_triggers`."""


def _asset_events(ctx: Ctx, links: Links | None, pipeline: str) -> list[Any]:
    """The assets this pipeline updates: those its own triggers need plus those its downstreams wait for."""
    events: set[str] = {str(e) for e in ctx.asset_events}
    if links is not None:
        events |= {str(e) for e in links.produces.get(pipeline, set())}
    return sorted(events)

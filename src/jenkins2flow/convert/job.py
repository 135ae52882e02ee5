"""Convert one IR job into catalog documents through the rules: parameter template, tasks and a pipeline."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.model.specs import MAX_TASKS

from jenkins2flow.convert import freestyle, from_scm, orchestration, parameters, regions, triggers, unstable
from jenkins2flow.convert.agents import agent_scope, custom_workspace, global_env, workers_env
from jenkins2flow.convert.checkout import declarative_checkout, job_checkout
from jenkins2flow.convert.classify import classify
from jenkins2flow.convert.context import FALLBACK_SPEC, FALLBACK_TASK_ID, Ctx, Scope, task_title
from jenkins2flow.convert.conversion import FALLBACK_TASK, Conversion, Status
from jenkins2flow.convert.elements import job_elements
from jenkins2flow.convert.environment import env_scope
from jenkins2flow.convert.evaluate import Evaluator
from jenkins2flow.convert.handlers.scm import shell_emitter
from jenkins2flow.convert.links import Links
from jenkins2flow.convert.lint import lint_pipeline
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.options import option_scope
from jenkins2flow.convert.post import post
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.convert.rules import Rules, load_rules
from jenkins2flow.convert.secrets import mask
from jenkins2flow.convert.stages import stages
from jenkins2flow.convert.tools import job_tools, tools_scope
from jenkins2flow.convert.values import text
from jenkins2flow.convert.walker import walk
from jenkins2flow.ir import Agent, Diagnostic, Job, span_of

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
                overrides: dict[str, str] | None = None, links: Links | None = None,
                timezone: str | None = None) -> Conversion:
    """Convert `job`; never raises for content problems: they become diagnostics, ledger entries and a status.
    `timezone`: Jenkins' default time zone (its JVM's), for cron specs without TZ= (None: UTC, and a note)."""
    conv = Conversion(job=job.full_name, pipeline_name=safe_name(job.full_name), kind=job.kind,
                      source=job.source or job.span.path)
    rules = rules or default_rules()
    try:
        _convert(job, rules, workspace, conv, links, timezone)
    except Exception as exc:  # one bad job never stops a batch: report it with its place, on one line
        text = " ".join(str(exc).split())
        conv.diagnostics.append(Diagnostic("error", f"internal error while converting: {type(exc).__name__}: {text}",
                                           job.span))
        conv.status, conv.pipeline, conv.reasons = "failed", None, [f"converter error: {text}"]
    _mask_messages(conv)
    conv.classification, conv.class_reasons = classify(job, conv, overrides or {})
    return conv


def _convert(job: Job, rules: Rules, workspace: Path | None, conv: Conversion, links: Links | None = None,
             timezone: str | None = None) -> None:
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
    ctx = Ctx(job=job, rules=rules, conv=conv, workspace=workspace, links=links, walker=walk,
              timezone=timezone or "UTC", timezone_given=timezone is not None)
    ctx.functions = {text(f.kwarg("name") or (f.args[0] if f.args else "")): f for f in job.functions}
    scope = Scope(ev=Evaluator(params=frozenset(p.name for p in job.parameters), path=job.span.path))
    templates = parameters.templates(job, ctx)
    scope = scope.with_secrets(ctx.param_secrets)  # parameter defaults that are secrets: on every task
    scope = global_env(ctx, scope)  # Jenkins' global and node environment variables (mappings agents.env)
    if job.disabled:  # <disabled>true</disabled>: Jenkins starts no build of it
        triggers.disabled(job, ctx)
        schedule = None
    else:
        schedule = triggers.schedule_of(job, ctx, scope)
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
    regions.finish(ctx)
    job_elements(job, ctx)
    unstable.settle(conv.ledger, ctx.unstable_sources, ctx.pending_unstable)
    if all(t.id in ctx.aside for t in ctx.tasks):  # nothing but draft tasks beside the graph: no step
        if job.kind == "pipeline" and job.scm is not None and job.scm.script_path:
            ctx.placeholder("pipeline from SCM", job.span, f"the Jenkinsfile {job.scm.script_path!r} lives in the "
                            f"repository: {scm_reason}", scope, key="CpsScmFlowDefinition")
        else:
            conv.status, conv.reasons = "unsupported", ["the job has no step to run"]
            conv.diagnostics.append(Diagnostic("warning", "The job has no step that could be converted.", job.span))
            return
    if len(ctx.tasks) > MAX_TASKS:  # the model refuses such a pipeline: say so here, with the job's place
        _too_many_tasks(job, conv, len(ctx.tasks))
        return
    if ctx.default_retries is not None:
        ctx.tasks = [t if t.retries is not None else t.model_copy(update={"retries": ctx.default_retries})
                     for t in ctx.tasks]
    spec = model.PipelineSpec(
        description=mask(job.description) or f"Converted from Jenkins job {job.full_name!r}.",
        schedule=schedule,
        paused=job.disabled,
        parameters=model.PipelineParameters(templates=templates),
        tasks=ctx.tasks,
        notifications=ctx.notifications,
        tags=sorted(set(ctx.tags + [f"kind:{job.kind}"] + [f"uses:{s}" for s in conv.signals])),
        max_active_runs=ctx.max_active_runs,
        dagrun_timeout_seconds=ctx.dagrun_timeout,
        shadow_outputs=ctx.shadow_outputs,
        asset_events=_asset_events(ctx, links, conv.pipeline_name),
    )
    if conv.placeholders:
        spec = _whole_job(spec, job, ctx, conv)
    conv.lint = lint_pipeline(spec, ctx.docs, ctx.task_spans, job.span, known=workers_env(ctx))
    conv.diagnostics += [Diagnostic("warning", f"task {f.task!r}: {f.message}", f.span, code=f"lint-{f.kind}")
                         for f in conv.lint]
    provenance = model.Provenance(job=job.full_name, source=job.source or job.span.path, config_sha256=_sha(job),
                                  diagnostics=[mask(str(d)) for d in conv.diagnostics][:200])
    conv.pipeline = spec.model_copy(update={"provenance": provenance})
    conv.status, conv.reasons = status(conv)


def _too_many_tasks(job: Job, conv: Conversion, count: int) -> None:
    """A job that converts to more tasks than one pipeline may hold fails alone: nothing of it is saved."""
    diag = Diagnostic("error", f"The job converts to {count:,} tasks, more than {MAX_TASKS:,}, the limit for one "
                      "pipeline; it was not converted. Split it into several jobs.", job.span, code="too-many-tasks")
    conv.diagnostics.append(diag)
    conv.tasks, conv.templates = [], []
    conv.status, conv.pipeline, conv.reasons = "failed", None, [str(diag)]


def status(conv: Conversion) -> tuple[Status, list[str]]:
    """The status of a conversion that has a pipeline, and why (docs/conversion-status.md):
    any placeholder -> jenkins_only; else any approximation or warning (lint findings included) -> partial;
    else converted."""
    if conv.placeholders:
        return "jenkins_only", list(dict.fromkeys(f"{e.span}: {e.element}: {e.reason}" for e in conv.placeholders))
    warnings = [d for d in conv.diagnostics if d.level == "warning"]
    if conv.approximations or warnings:
        reasons = [f"{e.span}: {e.element}: {e.reason}" for e in conv.approximations] + [str(d) for d in warnings]
        return "partial", list(dict.fromkeys(reasons))
    return "converted", ["every element is mapped or waived"]


def _whole_job(spec: model.PipelineSpec, job: Job, ctx: Ctx, conv: Conversion) -> model.PipelineSpec:
    """Jenkins cannot run part of a job: the pipeline runs the whole job, as one task that triggers it with every
    parameter of the run under its Jenkins name and waits for it. The converted tasks stay as the draft; their
    notifications wait in the fallback record (the Jenkins job sends its own)."""
    ref = ctx.add_doc("concrete_task", FALLBACK_TASK, FALLBACK_SPEC)
    task = model.PipelineTask(id=FALLBACK_TASK_ID, title=task_title("", f"run Jenkins job {job.full_name}"),
                              uses=ref, retries=None, timeout_seconds=None, bindings={
        "jenkins_job": job.full_name, "jenkins_parameters": parameters.forwarded(job)})
    ctx.task_spans[FALLBACK_TASK_ID] = job.span
    reasons = list(dict.fromkeys(f"{e.span}: {e.element}: {e.reason}" for e in conv.placeholders))
    record = model.JenkinsFallback(job=job.full_name, reasons=reasons, notifications=spec.notifications)
    # a copy, not a new PipelineSpec: its tasks and graph were validated as `spec` (pydantic would check each task
    # again), the one new task has no dependency, and the record was validated when made
    return spec.model_copy(update={"tasks": [task], "draft_tasks": spec.tasks, "jenkins_fallback": record,
                                   "notifications": []})


def _mask_messages(conv: Conversion) -> None:
    """Messages never carry a secret's value, whoever wrote them (a parser quoting its input): masked."""
    conv.diagnostics = [d if (m := mask(d.message)) is d.message else replace(d, message=m) for d in conv.diagnostics]
    conv.ledger = [e if (m := mask(e.reason)) is e.reason else replace(e, reason=m) for e in conv.ledger]
    conv.reasons = [mask(r) for r in conv.reasons]


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
    scope = agent_scope(job.agent, ctx, scope)
    scope = tools_scope(job.tools, ctx, scope)
    scope = env_scope(job.environment, ctx, scope)
    scope = option_scope(job.options, ctx, scope, pipeline=True)
    declarative_checkout(job, ctx, scope, shell_emitter)
    if job.steps:  # scripted: top-level statements
        scope = replace(walk(job.steps, ctx, replace(scope, stage=scope.stage or "main")), stage=scope.stage)
    if job.flavor != "scripted" or not job.steps:
        # a scripted job's stages are read from its statements (and functions, converted where called): walking
        # the statements converts them once, in place
        scope = stages(job.stages, ctx, scope)
    if job.post:  # declarative runs the pipeline's post blocks in a stage of its own (SyntheticStageNames)
        post(job.post, ctx, replace(scope, stage="post", stage_name="Declarative: Post Actions"),
             list(ctx.frontier), pipeline=True)


def _xml(job: Job, ctx: Ctx, scope: Scope, dsl: str | None = None) -> None:
    if job.assigned_node:
        scope = agent_scope(Agent("label", label=job.assigned_node, span=span_of(job, "assignedNode")), ctx, scope)
    scope = tools_scope(job_tools(job), ctx, scope)
    workspace = dict(job.settings).get("customWorkspace")
    if workspace is not None:
        scope = custom_workspace(workspace, span_of(job, "customWorkspace"), ctx, scope, "customWorkspace",
                                 "customWorkspace")
    _job_settings(job, ctx, scope)
    scope = freestyle.wrappers(ctx, scope)
    freestyle.builders(ctx, scope)
    if dsl is not None:
        orchestration.buildflow(job, dsl, ctx, scope)
    freestyle.publishers(ctx, scope)


def _job_settings(job: Job, ctx: Ctx, scope: Scope) -> None:
    """What a config.xml says about the job as a whole: concurrency, quiet period, SCM, properties."""
    if not job.concurrent_build:
        ctx.max_active_runs = 1
        ctx.mapped("concurrentBuild false", job.span, "concurrentBuild", "max_active_runs 1")
    if job.quiet_period:
        ctx.tags.append(f"jenkins-quiet-period:{job.quiet_period}")
        ctx.mapped("quietPeriod", job.span, "quietPeriod", "kept as a tag: Airflow starts a run when it is due")
    job_checkout(job, ctx, scope, shell_emitter)
    for pl in job.properties:
        freestyle.plugin(pl, "property", ctx, scope)


def _asset_events(ctx: Ctx, links: Links | None, pipeline: str) -> list[Any]:
    """The assets this pipeline updates: those its own triggers need plus those its downstreams wait for."""
    events: set[str] = {str(e) for e in ctx.asset_events}
    if links is not None:
        events |= {str(e) for e in links.produces.get(pipeline, set())}
    return sorted(events)

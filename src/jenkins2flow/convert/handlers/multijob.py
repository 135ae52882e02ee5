"""MultiJob phases (`MultiJobBuilder`): each job of a phase becomes a task triggering that job's pipeline; the jobs
of a phase fan out (or chain), and the phase's continuation condition is the trigger rule of the next phase."""

from __future__ import annotations

from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.downstream import trigger_task
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Plugin, XmlNode

# MultiJob continuationCondition (when the next phase runs) -> the trigger rule of the next phase's tasks
CONTINUATION = {"SUCCESSFUL": "all_success", "UNSTABLE": "all_success", "COMPLETED": "all_done",
                "ALWAYS": "all_done", "FAILURE": "one_failed"}


def _phase_jobs(raw: XmlNode | None) -> list[XmlNode]:
    jobs = raw.find("phaseJobs") if raw is not None else None
    return [c for c in jobs.children if c.tag.endswith("PhaseJobsConfig")] if jobs is not None else []


def _phase_conf(cfg: XmlNode, ctx: Ctx, scope: Scope, element: str) -> dict[str, str]:
    """Predefined parameters of one phase job; values Jenkins computes at build time are reported, not passed."""
    conf: dict[str, str] = {}
    configs = cfg.find("configs")
    for c in configs.children if configs is not None else ():
        if not c.tag.endswith("PredefinedBuildParameters"):
            ctx.approximated(f"{element} {c.tag}", c.span, "this parameter source is computed by Jenkins at build "
                             "time: the job is triggered without it (add the value to the trigger's conf by hand)",
                             c.tag)
            continue
        for line in c.findtext("properties").splitlines():
            name, sep, value = line.partition("=")
            if not sep or not name.strip() or name.strip().startswith("#"):
                continue
            if "$" in value:
                ctx.approximated(f"{element} parameter {name.strip()}", c.span, f"the value {value!r} is expanded "
                                 "by Jenkins at build time: the job is triggered without it (pass it in the "
                                 "trigger's conf by hand)", "PredefinedBuildParameters")
                continue
            conf[name.strip()] = value
    return conf


def multijob_phase(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """One MultiJob phase: its jobs run in parallel (or in sequence), the phase after it waits per its condition."""
    raw = pl.raw
    phase = text(pl.field("phaseName") or "phase")
    element = f"builder {pl.cls}"
    sc = replace(scope, stage=phase, id_suffix="")
    condition = (raw.findtext("continuationCondition") if raw is not None else "") or "SUCCESSFUL"
    sequential = raw is not None and raw.findtext("executionType").upper().startswith("SEQUENTIAL")
    rule_in = ctx.pending_rule
    start, ends = list(ctx.frontier), []
    count = 0
    for cfg in _phase_jobs(raw):
        job = cfg.findtext("jobName").strip()
        if not job:
            continue
        if cfg.findtext("disableJob").strip() == "true":
            ctx.waived(f"{element} job {job}", cfg.span, "the phase job is disabled", "disableJob")
            continue
        if cfg.findtext("enableCondition").strip() == "true" and cfg.findtext("condition").strip():
            ctx.approximated(f"{element} job {job} condition", cfg.span, f"the run condition "
                             f"{cfg.findtext('condition').strip()!r} is Groovy evaluated by Jenkins: the job always "
                             "runs here", "condition")
        if cfg.findtext("currParams").strip() == "true" and ctx.job.parameters:
            ctx.note(f"{element}: job {job!r} receives this job's parameters in Jenkins (currParams); the trigger "
                     "passes only the literal predefined parameters.", cfg.span, "info")
        job_scope = sc
        if cfg.findtext("enableRetryStrategy").strip() == "true":
            try:
                job_scope = replace(sc, retries=max(int(cfg.findtext("maxRetries") or "0"), 0))
            except ValueError:
                pass
        conf = _phase_conf(cfg, ctx, sc, element)
        if not sequential:
            ctx.frontier = list(start)
        if rule_in and (not sequential or count == 0):
            ctx.pending_rule = rule_in
        trigger_task(ctx, job_scope, job, conf, True, cfg.span)
        ends += ctx.frontier
        count += 1
    if not count:
        ctx.placeholder(element, pl.span, f"phase {phase!r} names no job to run", scope, key=pl.cls, fallback=False)
        ctx.frontier = start
        return
    ctx.frontier = ctx.frontier if sequential else ends
    next_rule = CONTINUATION.get(condition.strip().upper())
    if next_rule is None:
        ctx.note(f"{element}: continuation condition {condition!r} is unknown; the next phase waits for success.",
                 pl.span)
        next_rule = "all_success"
    ctx.pending_rule = "" if next_rule == "all_success" else next_rule
    how = "in sequence" if sequential else "in parallel"
    ctx.mapped(element, pl.span, pl.cls, f"phase {phase!r}: {count} job(s) {how}; the next step runs when "
               f"{condition.strip().upper()} ({next_rule})")


HANDLERS: dict[str, Handler] = {"multijob_phase": multijob_phase}

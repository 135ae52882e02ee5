"""Cross-pipeline steps and plugins: `build job:`, the parameterized TriggerBuilder and the BuildTrigger publishers
trigger other converted pipelines (or link to them through assets, convert.links); `copyArtifacts` copies the
outputs of another pipeline's last successful run."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert.context import RUNTIME, Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.links import asset_on
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import arg, as_list, call, split_names, text
from jenkins2flow.ir import GString, Plugin, Step

# parameterized-trigger conditions and BuildTrigger thresholds -> the trigger rule of the trigger task
CONDITIONS = {"SUCCESS": "all_success", "UNSTABLE": "all_success", "UNSTABLE_OR_BETTER": "all_success",
              "FAILED_OR_BETTER": "all_done", "UNSTABLE_OR_WORSE": "one_failed", "FAILED": "one_failed",
              "FAILURE": "all_done", "ALWAYS": "all_done"}


def trigger_task(ctx: Ctx, scope: Scope, job: str, conf: dict[str, Any], wait: bool, span: Any,
                 trigger_rule: str = "", label: str = "trigger", propagate: bool = True) -> None:
    """A task that triggers the converted pipeline of Jenkins job `job` with `conf` (and waits for it; with
    `propagate` False its failure does not fail the task)."""
    spec = {"type": "python", "callable": f"{RUNTIME}:trigger_pipeline",
            "description": "Triggers another converted pipeline (Jenkins `build job:` / downstream trigger)."}
    for name, value in list(conf.items()):
        kind = classify(str(name), text(value), literal_value=isinstance(value, str))
        if kind:  # a run's conf is shown to whoever sees the run: the value is not copied, the job stays on Jenkins
            ctx.seen_secrets.add(text(value))
            conf[name] = f"<masked {kind}>"
            ctx.placeholder(f"parameter {name} of the trigger of {job!r}", span, f"its value is a secret in clear "
                            f"({kind}), and an Airflow run's conf is visible to anyone who can see the run: pass it "
                            "through a credential in Jenkins first", scope, key="secret-parameter", fallback=False)
    bindings = {"pipeline": safe_name(job.strip("/")), "jenkins_job": job, "conf": conf, "wait": wait}
    if wait and not propagate:
        bindings["propagate"] = False
    ctx.emit("airflow.trigger-pipeline", spec, scope, label=label, named=True, trigger_rule=trigger_rule,
             bindings=bindings)


def _build_params(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in as_list(value):
        found = call(item)
        if found:
            _, kw = found
            if "name" in kw:
                out[kw["name"]] = kw.get("value", "")
    return out


BUILD_ARGS = frozenset({"job", "parameters", "wait", "propagate"})


def _flag(node: Step, name: str, ctx: Ctx) -> bool:
    """`wait:` / `propagate:` of `build job:` (Jenkins' default: true); computed by Groovy: the default, flagged."""
    value = node.kwarg(name)
    if value is None or isinstance(value, bool):
        return value is not False
    ctx.approximated(f"step build {name}", node.span, f"{name}: {text(value)!r} is computed by Groovy: the task "
                     "uses Jenkins' default, true", "build")
    return True


def build_job(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    job = text(arg(node, "job", ""))
    if not job or isinstance(node.kwarg("job"), GString):
        ctx.placeholder("step build", node.span, "the downstream job name is computed by Groovy", scope,
                        key="build", source=node.raw)
        return
    wait = _flag(node, "wait", ctx)
    propagate = _flag(node, "propagate", ctx)
    for name, value in node.kwargs:
        if name not in BUILD_ARGS:
            ctx.approximated(f"step build {name}", node.span, f"build argument {name}: {text(value)!r} has no "
                             "equivalent on the trigger task", "build")
    trigger_task(ctx, scope, job, _build_params(node.kwarg("parameters")), wait, node.span, propagate=propagate)
    how = ("triggers and goes on (wait: false)" if not wait else "waits for" if propagate
           else "waits for (its failure does not fail this task: propagate: false)")
    ctx.mapped("step build", node.span, "build", f"{how} the pipeline of job {job!r}")


def copy_artifact(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    project = text(arg(node, "projectName", "") or arg(node, "project", ""))
    if not project:
        ctx.placeholder(element(node), node.span, "no source project", scope, key=key(node))
        return
    spec = {"type": "python", "callable": f"{RUNTIME}:copy_artifacts",
            "description": "Copies the outputs of another pipeline's last successful run into this workspace."}
    ctx.emit("airflow.copy-artifacts", spec, scope, label="copy_artifacts", named=True,
             bindings={"pipeline": safe_name(project.strip("/")), "filter": text(arg(node, "filter", "")),
                       "target": text(arg(node, "target", ""))})
    ctx.mapped(element(node), node.span, key(node), f"copies outputs of pipeline {safe_name(project)!r}")


def _predefined(params: object) -> dict[str, str]:
    conf: dict[str, str] = {}
    for p in as_list(params):
        if isinstance(p, dict) and "properties" in p:
            for line in text(p["properties"]).splitlines():
                name, sep, value = line.partition("=")
                if sep and name.strip():
                    conf[name.strip()] = value
    return conf


def downstream(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """hudson.tasks.BuildTrigger / parameterized BuildTrigger: trigger tasks after the builders."""
    configs = as_list(pl.field("configs")) or [{"projects": pl.field("childProjects"),
                                               "condition": pl.field("threshold") or "SUCCESS"}]
    start = list(ctx.builders_end)
    for cfg in configs:
        if not isinstance(cfg, dict):
            continue
        raw = cfg.get("condition") or "SUCCESS"
        condition = text(raw.get("name", "SUCCESS") if isinstance(raw, dict) else raw).upper()
        conf = _predefined(cfg.get("parameters"))
        on = asset_on(condition)
        for job in split_names(cfg.get("projects")):
            if on and not conf and ctx.links is not None and safe_name(job.strip("/")) in ctx.links.pipelines:
                ctx.asset_events.add(on)  # the downstream's schedule names this pipeline (convert.links)
                ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, f"{job} is scheduled on this pipeline's asset")
                continue
            ctx.frontier = list(start)
            trigger_task(ctx, scope, job, conf, False, pl.span, CONDITIONS.get(condition, "all_success"))
            ctx.downstream_ends.append(ctx.frontier[0])
    ctx.frontier = list(start)
    ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, "triggers downstream pipelines")


def _blocking(block: Any, pl: Plugin, ctx: Ctx) -> bool:
    """Whether a blocking TriggerBuilder fails when its downstream does: its buildStepFailureThreshold or
    failureThreshold is set (at FAILURE, or UNSTABLE, which Airflow cannot tell from FAILURE). Only an
    unstableThreshold marks this build UNSTABLE, which Airflow has not: flagged."""
    if not isinstance(block, dict):
        return True
    fails = {k: v for k, v in block.items() if k in ("buildStepFailureThreshold", "failureThreshold") and v}
    if block.get("unstableThreshold") and not fails:
        ctx.approximated(f"builder {pl.cls} unstableThreshold", pl.span, "a downstream failure marks this build "
                         "UNSTABLE in Jenkins; Airflow has no UNSTABLE result: the task succeeds", pl.cls)
    if "UNSTABLE" in fails.values():
        ctx.approximated(f"builder {pl.cls} threshold", pl.span, "an UNSTABLE downstream fails this step in "
                         "Jenkins; Airflow has no UNSTABLE result: only a failed downstream fails the task", pl.cls)
    return bool(fails)


def trigger_builder(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    start, ends = list(ctx.frontier), []
    for cfg in as_list(pl.field("configs")):
        if not isinstance(cfg, dict):
            continue
        blocking = "block" in cfg  # `<block/>` blocks too, with no threshold
        propagate = _blocking(cfg.get("block"), pl, ctx) if blocking else True
        conf = _predefined(cfg.get("parameters"))
        for job in split_names(cfg.get("projects")):
            ctx.frontier = list(start)
            trigger_task(ctx, scope, job, conf, blocking, pl.span, propagate=propagate)
            ends += ctx.frontier
    ctx.frontier = ends or start
    ctx.mapped(f"builder {pl.cls}", pl.span, pl.cls, "triggers (and waits for, when blocking) other pipelines")


HANDLERS: dict[str, Handler] = {
    "build_job": build_job, "copy_artifact": copy_artifact, "downstream": downstream,
    "trigger_builder": trigger_builder,
}

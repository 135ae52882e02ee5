"""Cross-pipeline steps and plugins: `build job:`, the parameterized TriggerBuilder and the BuildTrigger publishers
trigger other converted pipelines (or link to them through assets, convert.links); `copyArtifacts` copies the
outputs of another pipeline's last successful run."""

from __future__ import annotations

import re
from typing import Any

from jenkins2flow_runtime import jenkins_env as runtime_env

from jenkins2flow.convert.context import RUNTIME, Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.links import asset_on
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.unstable import Run
from jenkins2flow.convert.values import arg, as_list, call, split_names, text
from jenkins2flow.ir import Plugin, Span, Step

# parameterized-trigger conditions and BuildTrigger thresholds -> the trigger rule of the trigger task
CONDITIONS = {"SUCCESS": "all_success", "UNSTABLE": "all_success", "UNSTABLE_OR_BETTER": "all_success",
              "FAILED_OR_BETTER": "all_done", "UNSTABLE_OR_WORSE": "one_failed", "FAILED": "one_failed",
              "FAILURE": "all_done", "ALWAYS": "all_done"}
# A trigger condition faithful only while nothing makes this build UNSTABLE: the kinds of UNSTABLE source
# (convert.unstable: the run goes `on` to success, or `fails` there) it differs on, and how. A hudson.tasks.BuildTrigger
# threshold UNSTABLE is "UNSTABLE or better"; parameterized-trigger's UNSTABLE (only UNSTABLE) is flagged anyway.
ON_UNSTABLE: dict[str, tuple[tuple[Run, ...], str]] = {
    "SUCCESS": (("on",), "and Jenkins does not trigger {jobs} after an UNSTABLE build; the run ends success and "
                         "triggers it"),
    "UNSTABLE_OR_BETTER": (("fails",), "and Jenkins still triggers {jobs} after an UNSTABLE build; the task fails "
                                       "there and the run does not trigger it"),
    "UNSTABLE_OR_WORSE": (("on",), "and Jenkins triggers {jobs} after an UNSTABLE build too; the run ends success and "
                                   "does not trigger it"),
    "FAILED": (("fails",), "and Jenkins does not trigger {jobs} after an UNSTABLE build; the task fails there and the "
                           "run triggers it"),
}


def trigger_task(ctx: Ctx, scope: Scope, job: str, conf: dict[str, Any], wait: bool, span: Any,
                 trigger_rule: str = "", label: str = "trigger", propagate: bool = True,
                 conf_values: dict[str, Any] | None = None) -> None:
    """A task that triggers the converted pipeline of Jenkins job `job` with `conf` and `conf_values` (parameters
    computed in the run, as expression trees the trigger task evaluates), and waits for it (with `propagate` False
    its failure does not fail the task)."""
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
    if conf_values:
        bindings["conf_values"] = conf_values
    ctx.emit("airflow.trigger-pipeline", spec, scope, label=label, named=True, trigger_rule=trigger_rule,
             bindings=bindings, title=f"build {job}")


# build parameter steps whose value Jenkins passes as a boolean (any other: as a string)
BOOLEAN_PARAMS = frozenset({"booleanParam", "BooleanParameterValue"})


def build_params(value: Any, scope: Scope, span: Span) -> tuple[dict[str, Any], dict[str, Any]] | Unknown:
    """`parameters: [string(name: 'X', value: v), booleanParam(...), [$class: ..., name:, value:]]` as (the
    values known now, the values computed in the run as expression trees), or what is not converted."""
    fixed: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    for item in as_list(value):
        if isinstance(item, Step):
            kind, fields = item.name, dict(item.kwargs)
            if item.args and "value" not in fields:
                fields["value"] = item.args[0]
        elif isinstance(item, dict):
            kind, fields = str(item.get("$class", "")).rsplit(".", 1)[-1], dict(item)
        else:
            return Unknown(f"the build parameter {text(item)!r} is not a parameter step", span)
        name = scope.ev.value(fields.get("name"), span)
        if not (isinstance(name, Static) and isinstance(name.value, str) and name.value):
            return name if isinstance(name, Unknown) else Unknown("a build parameter's name is only known in the run",
                                                                  span)
        raw = fields.get("value", "")
        result = scope.ev.truth(raw, span) if kind in BOOLEAN_PARAMS else scope.ev.string(raw, span)
        if isinstance(result, Unknown):
            return result
        if isinstance(result, Static):
            fixed[name.value] = result.value
        else:
            computed[name.value] = result.tree
    return fixed, computed


def _problem(what: str, result: Any) -> str:
    if isinstance(result, Unknown):
        return f"{what} is not converted: {result}"
    return f"{what} is only known in the run" if isinstance(result, Runtime) else ""


BUILD_ARGS = frozenset({"job", "parameters", "wait", "propagate"})


def _flag(node: Step, name: str, ctx: Ctx, scope: Scope) -> bool:
    """`wait:` / `propagate:` of `build job:` (Jenkins' default: true), a Groovy value known now; one only the run
    knows: the default, flagged."""
    value = node.kwarg(name)
    if value is None:
        return True
    found = scope.ev.truth(value, node.span)
    if isinstance(found, Static):
        return bool(found.value)
    ctx.approximated(f"step build {name}", node.span, f"{name}: {text(value)!r} is computed by Groovy in the run: "
                     "the task uses Jenkins' default, true", "build")
    return True


def build_job(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`build job: name, parameters: [...], wait: b, propagate: b`: a task triggering the job's converted pipeline;
    the name is known now, the parameters known now or computed in the run (the trigger task evaluates them)."""
    job = scope.ev.string(arg(node, "job", ""), node.span)
    params = build_params(node.kwarg("parameters"), scope, node.span)
    problems = [p for p in (_problem("the downstream job name", job),) if p]
    if isinstance(params, Unknown):
        problems.append(f"a parameter is not converted: {params}")
    if isinstance(job, Static) and not job.value:
        problems.append("the downstream job name is empty")
    if problems or isinstance(params, Unknown) or not isinstance(job, Static):
        ctx.placeholder("step build", node.span, "; ".join(problems), scope, key="build", source=node.raw)
        return
    name = str(job.value)
    wait = _flag(node, "wait", ctx, scope)
    propagate = _flag(node, "propagate", ctx, scope)
    for arg_name, value in node.kwargs:
        if arg_name not in BUILD_ARGS:
            ctx.approximated(f"step build {arg_name}", node.span, f"build argument {arg_name}: {text(value)!r} has no "
                             "equivalent on the trigger task", "build")
    conf, computed = params
    trigger_task(ctx, scope, name, conf, wait, node.span, propagate=propagate, conf_values=computed)
    if wait and propagate:  # BuildTriggerListener: a non-SUCCESS downstream result becomes this step's (and build's)
        ctx.unstable_source("step build propagate", node.span)
    how = ("triggers and goes on (wait: false)" if not wait else "waits for" if propagate
           else "waits for (its failure does not fail this task: propagate: false)")
    ctx.mapped("step build", node.span, "build", f"{how} the pipeline of job {name!r}"
               + (f"; {', '.join(sorted(computed))} computed in the run" if computed else ""))


# copyArtifacts build selectors (step `selector: lastSuccessful()`, config.xml `<selector class="...">`) -> the run the
# runtime copies from (jenkins2flow_runtime.fallback.SELECTORS); others are approximated by lastSuccessful
SELECTORS = {"lastSuccessful": "lastSuccessful", "StatusBuildSelector": "lastSuccessful",
             "lastCompleted": "lastCompleted", "LastCompletedBuildSelector": "lastCompleted"}
# arguments that need nothing in Airflow, and why
WAIVED_ARGS = {"fingerprintArtifacts": "fingerprints track artifacts in Jenkins only",
               "doNotFingerprintArtifacts": "fingerprints track artifacts in Jenkins only",
               "resultVariableSuffix": "the copied build's number is not exposed in Airflow"}
KNOWN_ARGS = {"projectName", "project", "filter", "excludes", "target", "flatten", "optional", "selector",
              "parameters", *WAIVED_ARGS}


def _true(value: Any) -> bool:
    return value is True or text(value).strip().lower() == "true"


def copy_artifact(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """Jenkins' copyArtifacts: a task copying another pipeline's files from the run its selector names. Its project,
    filter, excludes and target are Groovy values known now (a name from `env.X` or a `def` is evaluated); one only
    the run knows is a placeholder."""
    named = dict(node.kwargs) if isinstance(node, Step) else dict(node.fields)
    if isinstance(node, Step):
        for name in ("projectName", "project", "filter", "excludes", "target"):
            if name not in named and not (name == "projectName" and node.args):
                continue
            value = scope.ev.string(named.get(name, node.args[0] if node.args else ""), node.span)
            if not isinstance(value, Static):
                ctx.placeholder(element(node), node.span, _problem(f"the {name}", value), scope, key=key(node),
                                source=node.raw)
                return
            named[name] = str(value.value)
    project = text(named.get("projectName") or named.get("project") or "")
    if not project:
        ctx.placeholder(element(node), node.span, "no source project", scope, key=key(node))
        return
    raw = named.get("selector")
    found = call(raw) if raw is not None else None
    chosen = ("lastSuccessful", {}) if raw is None else found or (text(raw).rsplit(".", 1)[-1], {})
    selector = SELECTORS.get(chosen[0].rsplit(".", 1)[-1])
    problems = []
    if selector is None:
        selector = "lastSuccessful"
        problems.append(f"build selector {text(raw)!r} is not followed: the newest successful run is copied")
    if named.get("parameters"):
        problems.append(f"the build filter parameters={text(named['parameters'])!r} are not applied")
    problems += [f"argument {k!r} is not converted" for k in named if k not in KNOWN_ARGS]
    spec = {"type": "python", "callable": f"{RUNTIME}:copy_artifacts",
            "description": "Copies another pipeline's files from its newest successful (or completed) run into this "
                           "workspace (Jenkins copyArtifacts)."}
    ctx.emit("airflow.copy-artifacts", spec, scope, label="copy_artifacts", named=True,
             title=f"copy artifacts of {project}",
             bindings={"pipeline": safe_name(project.strip("/")), "filter": text(named.get("filter", "")),
                       "excludes": text(named.get("excludes", "")), "target": text(named.get("target", "")),
                       "flatten": _true(named.get("flatten")), "optional": _true(named.get("optional")),
                       "selector": selector})
    for name, why in WAIVED_ARGS.items():
        if name in named:
            ctx.waived(f"{element(node)} {name}", node.span, why, key(node))
    if problems:
        ctx.approximated(element(node), node.span, "; ".join(problems), key(node))
    else:
        ctx.mapped(element(node), node.span, key(node), f"copies the files of pipeline {safe_name(project)!r} from "
                   f"its {selector} run")


# a `$NAME` or `${NAME}` reference in a parameterized-trigger value (Jenkins expands it from the build's variables)
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Jenkins' variables the runtime always sets, so a reference to one is the same value in the run
ALWAYS_SET = frozenset(runtime_env.JENKINS_VARIABLES)
SECRET_TYPES = frozenset({"password", "credentials"})


def _expanded(value: str, ctx: Ctx, span: Span) -> dict[str, Any] | None:
    """The tree of a value with `$NAME` references Jenkins expands at build time (a parameter of this job or one of
    Jenkins' variables the runtime sets), or None when one names something else."""
    params = {p.name for p in ctx.job.parameters if p.type not in SECRET_TYPES}
    at = f"{span.path}:{span.line}:{span.col}"
    args: list[dict[str, Any]] = []
    pos = 0
    for m in VARIABLE.finditer(value):
        name = m.group(1) or m.group(2)
        if name not in params and name not in ALWAYS_SET:
            return None
        if m.start() > pos:
            args.append({"lit": value[pos:m.start()]})
        args.append({"param": name} if name in params else {"env": name})
        pos = m.end()
    if pos < len(value):
        args.append({"lit": value[pos:]})
    return {"op": "str", "args": args, "at": at}


def _predefined(params: object, ctx: Ctx, where: str, span: Span) -> tuple[dict[str, str], dict[str, Any]]:
    """The parameters a parameterized-trigger config passes, in its order (a later source overrides an earlier
    one): predefined ones (known now, or expanded in the run when they name a parameter or a Jenkins variable) and
    the current build's parameters. A source or a value Jenkins computes otherwise is flagged, not dropped."""
    conf: dict[str, str] = {}
    computed: dict[str, Any] = {}

    def put(name: str, fixed: str | None, tree: dict[str, Any] | None) -> None:
        conf.pop(name, None)
        computed.pop(name, None)
        if tree is not None:
            computed[name] = tree
        elif fixed is not None:
            conf[name] = fixed

    for p in as_list(params):
        if not isinstance(p, dict):
            continue
        kind = text(p.get("class", "")).rsplit(".", 1)[-1]
        if "properties" in p:
            for line in text(p["properties"]).splitlines():
                name, sep, value = line.partition("=")
                name = name.strip()
                if not sep or not name or name.startswith("#"):
                    continue
                if "$" not in value:
                    put(name, value, None)
                    continue
                tree = _expanded(value, ctx, span)
                if tree is None:
                    ctx.approximated(f"{where} parameter {name}", span, f"the value {value!r} is expanded by Jenkins "
                                     "at build time from a variable the run does not have: the job is triggered "
                                     "without it (pass it in the trigger's conf by hand)", "PredefinedBuildParameters")
                    continue
                put(name, None, tree)
        elif kind == "CurrentBuildParameters":
            for param in ctx.job.parameters:
                if param.type in SECRET_TYPES:
                    ctx.approximated(f"{where} parameter {param.name}", span, f"Jenkins passes this build's "
                                     f"{param.type} parameter to the job; an Airflow run's conf is visible to anyone "
                                     "who can see the run: it is not passed", kind)
                    continue
                put(param.name, None, {"param": param.name})
        else:
            ctx.approximated(f"{where} {kind or 'parameters'}", span, "this parameter source is computed by Jenkins "
                             "at build time: the job is triggered without it (add the values to the trigger's conf "
                             "by hand)", kind or where)
    return conf, computed


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
        if condition == "UNSTABLE" and pl.field("configs"):  # parameterized-trigger: only an UNSTABLE build
            ctx.approximated(f"publisher {pl.cls} condition", pl.span, "Jenkins triggers "
                             f"{text(cfg.get('projects'))!r} only when this build is UNSTABLE, which an Airflow run "
                             "never is: the pipeline triggers it when the run succeeds", pl.cls)
        _unless_unstable(pl, cfg, condition, ctx)
        conf, computed = _predefined(cfg.get("parameters"), ctx, f"publisher {pl.cls}", pl.span)
        on = asset_on(condition)
        for job in split_names(cfg.get("projects")):
            linked = ctx.links is not None and safe_name(job.strip("/")) in ctx.links.pipelines
            if on and not conf and not computed and linked:
                ctx.asset_events.add(on)  # the downstream's schedule names this pipeline (convert.links)
                ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, f"{job} is scheduled on this pipeline's asset")
                continue
            ctx.frontier = list(start)
            trigger_task(ctx, scope, job, dict(conf), False, pl.span, CONDITIONS.get(condition, "all_success"),
                         conf_values=computed)
            ctx.publisher_ends.append(ctx.frontier[0])
    ctx.frontier = list(start)
    ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, "triggers downstream pipelines")


def _unless_unstable(pl: Plugin, cfg: dict[str, Any], condition: str, ctx: Ctx) -> None:
    """The condition holds as Jenkins' only while nothing makes this build UNSTABLE (ON_UNSTABLE): decided when the
    whole job is converted (convert.unstable)."""
    if condition == "UNSTABLE" and not pl.field("configs"):  # hudson.tasks.BuildTrigger: UNSTABLE or better
        condition = "UNSTABLE_OR_BETTER"
    if condition in ON_UNSTABLE:
        runs, consequence = ON_UNSTABLE[condition]
        ctx.unless_unstable(consequence.format(jobs=repr(text(cfg.get("projects")))), f"publisher {pl.cls} condition "
                            f"{condition}", pl.span, pl.cls, runs=runs, recorded=False)


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
        ctx.unstable_source(f"builder {pl.cls} unstableThreshold", pl.span)
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
        conf, computed = _predefined(cfg.get("parameters"), ctx, f"builder {pl.cls}", pl.span)
        for job in split_names(cfg.get("projects")):
            ctx.frontier = list(start)
            trigger_task(ctx, scope, job, dict(conf), blocking, pl.span, propagate=propagate, conf_values=computed)
            ends += ctx.frontier
    ctx.frontier = ends or start
    ctx.mapped(f"builder {pl.cls}", pl.span, pl.cls, "triggers (and waits for, when blocking) other pipelines")


HANDLERS: dict[str, Handler] = {
    "build_job": build_job, "copy_artifact": copy_artifact, "downstream": downstream,
    "trigger_builder": trigger_builder,
}

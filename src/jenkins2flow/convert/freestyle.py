"""config.xml jobs (freestyle, maven, matrix, flow-definition wrappers): builders, wrappers, publishers, properties."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.links import asset_on
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.registry import handler
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.steps import apply, secret_refs, trigger_task
from jenkins2flow.convert.values import as_list, split_names, text
from jenkins2flow.ir import Plugin

MAX_COMBINATIONS = 64
# parameterized-trigger conditions and BuildTrigger thresholds -> the trigger rule of the trigger task
CONDITIONS = {"SUCCESS": "all_success", "UNSTABLE": "all_success", "UNSTABLE_OR_BETTER": "all_success",
              "FAILED_OR_BETTER": "all_done", "UNSTABLE_OR_WORSE": "one_failed", "FAILED": "one_failed",
              "FAILURE": "all_done", "ALWAYS": "all_done"}


def plugin(pl: Plugin, group: str, ctx: Ctx, scope: Scope) -> None:
    rule = ctx.rules.rule("plugins", pl.cls)
    element = f"{group} {pl.cls}"
    if rule is None:
        ctx.placeholder(element, pl.span, ctx.rules.unknown("plugins", pl.cls, "plugin"), scope, key=pl.cls,
                        source=_xml_text(pl), fallback=group == "builder")
        return
    apply(rule, pl, ctx, scope, element)


def _xml_text(pl: Plugin) -> str:
    return "\n".join(f"{k}: {text(v)}" for k, v in pl.fields)[:2000]


def wrappers(ctx: Ctx, scope: Scope) -> Scope:
    """Wrappers change the scope of every builder (credentials, env, timeout) or are waived."""
    for pl in ctx.job.wrappers:
        rule = ctx.rules.rule("plugins", pl.cls)
        if rule is not None and rule.handler in ("secret_wrapper", "env_inject", "build_timeout"):
            scope = WRAPPERS[rule.handler](pl, rule, ctx, scope)
        else:
            plugin(pl, "wrapper", ctx, scope)
    return scope


def _secret_wrapper(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    if pl.cls.endswith("SSHAgentBuildWrapper"):
        refs = []
        for cred in split_names(pl.field("credentialIds") or pl.field("user")):
            refs += ctx.credential(cred, "sshagent", ["SSH_PRIVATE_KEY"], "connection", pl.span, ["private_key"])
    else:
        refs = secret_refs(as_list(pl.field("bindings")), pl, ctx, scope)
    ctx.mapped(f"wrapper {pl.cls}", pl.span, pl.cls, f"{len(refs)} secret references")
    return scope.with_secrets(refs)


def _env_inject(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    content = text(pl.field("propertiesContent") or "")
    pairs = []
    for line in content.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.strip().startswith("#"):
            pairs.append((name.strip(), value.strip()))
    if pl.field("propertiesFilePath") or pl.field("scriptContent") or pl.field("scriptFilePath"):
        ctx.note(f"{pl.cls}: properties files and scripts are read at build time; only inline properties are "
                 "converted.", pl.span)
    ctx.mapped(f"plugin {pl.cls}", pl.span, pl.cls, f"environment {', '.join(k for k, _ in pairs) or '(none)'}")
    return scope.with_env(pairs)


def _build_timeout(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    strategy = pl.field("strategy") or {}
    minutes = strategy.get("timeoutMinutes") if isinstance(strategy, dict) else None
    try:
        seconds = int(text(minutes)) * 60 if minutes else None
    except ValueError:
        seconds = None
    kind = text(strategy.get("class", "")).rsplit(".", 1)[-1] if isinstance(strategy, dict) else ""
    if seconds is None:
        ctx.placeholder(f"wrapper {pl.cls}", pl.span, f"timeout strategy {kind!r} has no fixed limit", scope,
                        key=pl.cls, fallback=False)
        return scope
    ctx.mapped(f"wrapper {pl.cls}", pl.span, pl.cls, f"{kind}: timeout {seconds}s on each task")
    return replace(scope, timeout=seconds)


WRAPPERS = {"secret_wrapper": _secret_wrapper, "env_inject": _env_inject, "build_timeout": _build_timeout}


@handler("secret_wrapper")
def secret_wrapper(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    _secret_wrapper(pl, rule, ctx, scope)


@handler("env_inject")
def env_inject(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    _env_inject(pl, rule, ctx, scope)  # as a builder: only the ledger (its env applies to wrappers only)


@handler("build_timeout")
def build_timeout(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    _build_timeout(pl, rule, ctx, scope)


@handler("max_active_runs")
def max_active_runs(node: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    value = rule.get("value")
    if value is None and isinstance(node, Plugin):
        try:
            value = int(text(node.field(str(rule.get("field", "")), "0")))
        except ValueError:
            value = 0
    if value:
        ctx.max_active_runs = int(value)
    ctx.mapped(f"property {getattr(node, 'cls', node)}", node.span, getattr(node, "cls", ""),
               f"max_active_runs {value}" if value else "no concurrency limit")


@handler("retries")
def retries(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    try:
        count = int(text(pl.field(str(rule.get("field", "maxSchedule")), "1")))
    except ValueError:
        count = 1
    ctx.default_retries = max(count, 0)
    ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, f"retries {count} on each task")


@handler("downstream")
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


@handler("trigger_builder")
def trigger_builder(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    start, ends = list(ctx.frontier), []
    for cfg in as_list(pl.field("configs")):
        if not isinstance(cfg, dict):
            continue
        block = cfg.get("block")
        conf = _predefined(cfg.get("parameters"))
        for job in split_names(cfg.get("projects")):
            ctx.frontier = list(start)
            trigger_task(ctx, scope, job, conf, bool(block), pl.span)
            ends += ctx.frontier
    ctx.frontier = ends or start
    ctx.mapped(f"builder {pl.cls}", pl.span, pl.cls, "triggers (and waits for, when blocking) other pipelines")


def _predefined(params: object) -> dict[str, str]:
    conf: dict[str, str] = {}
    for p in as_list(params):
        if isinstance(p, dict) and "properties" in p:
            for line in text(p["properties"]).splitlines():
                name, sep, value = line.partition("=")
                if sep and name.strip():
                    conf[name.strip()] = value
    return conf


@handler("conditional_builder")
def conditional_builder(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.placeholder(f"builder {pl.cls}", pl.span, "run conditions are evaluated by Jenkins at build time", scope,
                    key=pl.cls, source=_xml_text(pl))


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def builders(ctx: Ctx, scope: Scope) -> None:
    groups = (("prebuilder", ctx.job.prebuilders), ("builder", ctx.job.builders), ("postbuilder", ctx.job.postbuilders))
    if ctx.job.axes:
        names = [a.name for a in ctx.job.axes]
        combos = [dict(zip(names, vals, strict=True)) for vals in itertools.product(*(a.values for a in ctx.job.axes))]
        if len(combos) > MAX_COMBINATIONS or not combos:
            ctx.placeholder("matrix axes", ctx.job.span, f"{len(combos)} combinations (limit {MAX_COMBINATIONS})",
                            scope, key="matrix")
            return
        flt = str(dict(ctx.job.settings).get("combinationFilter") or "").strip()
        if flt:
            ctx.placeholder("matrix combinationFilter", ctx.job.span, f"combination filter {flt!r} is Groovy that "
                            "Jenkins evaluates: every combination is kept; drop the excluded cells from the task's "
                            "matrix by hand", scope, key="combinationFilter", fallback=False)
        if all(_ENV_NAME.match(n) for n in names):  # one mapped task per builder, one instance per cell
            ctx.mapped("matrix axes", ctx.job.span, "matrix", f"{len(combos)} cells, as Airflow dynamic task mapping")
            sc = replace(scope, matrix=tuple(tuple(c.items()) for c in combos), stage=scope.stage or "build")
            for group, items in groups:
                for pl in items:
                    plugin(pl, group, ctx, sc)
            return
        ctx.mapped("matrix axes", ctx.job.span, "matrix", f"{len(combos)} combinations fan out with axis bindings")
        start, ends = list(ctx.frontier), []
        for combo in combos:
            ctx.frontier = list(start)
            sc = replace(scope, bindings=scope.bindings + tuple(combo.items()), stage="build",
                         id_suffix="__" + "_".join(combo.values()))
            for group, items in groups:
                for pl in items:
                    plugin(pl, group, ctx, sc)
            ends += ctx.frontier
        ctx.frontier = ends
        return
    for group, items in groups:
        for pl in items:
            plugin(pl, group, ctx, replace(scope, stage=scope.stage or "build"))

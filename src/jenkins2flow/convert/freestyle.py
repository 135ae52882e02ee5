"""config.xml jobs (freestyle, maven, matrix, flow-definition wrappers): builders, wrappers, publishers and
properties, each by its rule in mappings `plugins:` (keyed by the plugin class)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.handlers.nodes import plugin_text
from jenkins2flow.convert.registry import apply
from jenkins2flow.ir import Plugin

MAX_COMBINATIONS = 64


def plugin(pl: Plugin, group: str, ctx: Ctx, scope: Scope) -> Scope | None:
    """Convert one plugin of `group` (builder, publisher, wrapper, property); returns the scope its handler sets for
    what follows (wrappers), else None. A plugin no rule covers is a placeholder (the job runs on Jenkins; in the
    draft a builder's place is kept by a task that fails loudly)."""
    ctx.at = pl.span  # the element that makes the tasks emitted now (convert.lint)
    rule = ctx.rules.rule("plugins", pl.cls)
    element = f"{group} {pl.cls}"
    if rule is None:
        ctx.placeholder(element, pl.span, ctx.rules.unknown("plugins", pl.cls, "plugin"), scope, key=pl.cls,
                        source=plugin_text(pl), fallback=group == "builder")
        return None
    return apply(rule, pl, ctx, scope, element)


def wrappers(ctx: Ctx, scope: Scope) -> Scope:
    """Wrappers change the scope of every builder (credentials, env, timeout) or are waived."""
    for pl in ctx.job.wrappers:
        after = plugin(pl, "wrapper", ctx, scope)
        scope = scope if after is None else after
    return scope


def publishers(ctx: Ctx, scope: Scope) -> None:
    """Each publisher after the builders (not after each other); the tasks of downstream triggers and archive checks
    are added to the ends."""
    ctx.builders_end = list(ctx.frontier)
    for pl in ctx.job.publishers:
        plugin(pl, "publisher", ctx, scope)
        ctx.frontier = list(ctx.builders_end)
    ctx.frontier = ctx.builders_end + ctx.publisher_ends


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
            ctx.approximated("matrix combinationFilter", ctx.job.span, f"combination filter {flt!r} is Groovy that "
                             "Jenkins evaluates: every combination runs here; drop the excluded cells from the task's "
                             "matrix by hand", "combinationFilter")
        if all(_ENV_NAME.match(n) for n in names):  # one mapped task per builder, one instance per cell
            ctx.mapped("matrix axes", ctx.job.span, "matrix", f"{len(combos)} cells, as Airflow dynamic task mapping")
            sc = replace(scope, matrix=tuple(tuple(c.items()) for c in combos), stage=scope.stage or "build")
            for group, items in groups:
                for pl in items:
                    sc = plugin(pl, group, ctx, sc) or sc
            return
        ctx.mapped("matrix axes", ctx.job.span, "matrix", f"{len(combos)} combinations fan out with axis bindings")
        start, ends = list(ctx.frontier), []
        for combo in combos:
            ctx.frontier = list(start)
            sc = replace(scope, bindings=scope.bindings + tuple(combo.items()), stage="build",
                         id_suffix="__" + "_".join(combo.values()))
            for group, items in groups:
                for pl in items:
                    sc = plugin(pl, group, ctx, sc) or sc
            ends += ctx.frontier
        ctx.frontier = ends
        return
    sc = replace(scope, stage=scope.stage or "build")
    for group, items in groups:
        for pl in items:
            sc = plugin(pl, group, ctx, sc) or sc  # a builder that sets variables (EnvInject) sets them for the next

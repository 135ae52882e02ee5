"""Job settings from job properties, publishers and Jenkinsfile steps: `properties([...])`, concurrency limits,
retries of the whole build (Naginator), the quiet period, and properties that are only noted in the ledger."""

from __future__ import annotations

from jenkins2flow.convert import regions
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import as_list, call, text
from jenkins2flow.ir import Plugin, Step


def properties(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped("step properties", node.span, "properties",
               "parameters and triggers declared here are read by the parser into the job")
    for item in as_list(node.args[0] if node.args else ()):
        found = call(item)
        if found and found[0] == "disableConcurrentBuilds":
            ctx.max_active_runs = 1


def noted(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped(element(node), node.span, key(node), str(rule.get("note", "")))


def approximated(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """An element that runs, but not as in Jenkins: flagged with the rule's `reason` (the job is partial)."""
    ctx.approximated(element(node), node.span, str(rule.get("reason", "")), key(node))


def max_active_runs(node: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """A concurrency limit (throttle-concurrents' maxConcurrentTotal): it only lowers a limit already set (a job
    without concurrent builds runs one at a time whatever its throttle allows); a disabled throttle limits nothing."""
    value = rule.get("value")
    if value is None and isinstance(node, Plugin):
        try:
            value = int(text(node.field(str(rule.get("field", "")), "0")))
        except ValueError:
            value = 0
        if text(node.field("throttleEnabled", "true")).strip().lower() == "false":
            value = 0
    if value:
        ctx.max_active_runs = min(int(value), ctx.max_active_runs or int(value))
    ctx.mapped(f"property {getattr(node, 'cls', node)}", node.span, getattr(node, "cls", ""),
               f"max_active_runs {ctx.max_active_runs}" if value else "no concurrency limit")


def retries(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """Naginator: the failed build is rescheduled up to `maxSchedule` times -> retries of every task (faithful when
    the build is one task: judged at the end of the job, convert.regions.close_retries)."""
    where = f"publisher {pl.cls}"
    try:
        count = int(text(pl.field(str(rule.get("field", "maxSchedule")), "1")))
    except ValueError:
        count = -1
    if count <= 0:
        ctx.approximated(where, pl.span, f"maxSchedule {text(pl.field('maxSchedule'))!r}: an unlimited or unknown "
                         "number of reschedules; the tasks are not retried", pl.cls)
        return
    problem = ""
    if pl.field("checkRegexp") is True:
        problem = (f"Naginator reschedules only when the log matches {text(pl.field('regexpForRerun'))!r}; Airflow "
                   "retries on every failure")
    ctx.default_retries = count
    ctx.open_retries.insert(0, regions.OpenRetry(where, pl.span, pl.cls, count + 1, 0, "the whole build", problem))


def quiet_period(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.tags.append(f"jenkins-quiet-period:{text(node.args[0] if node.args else '')}")
    ctx.mapped(f"option {node.name}", node.span, node.name, "kept as a tag: Airflow starts a run when it is due")


HANDLERS: dict[str, Handler] = {
    "properties": properties, "noted": noted, "max_active_runs": max_active_runs, "retries": retries,
    "quiet_period": quiet_period, "approximated": approximated,
}

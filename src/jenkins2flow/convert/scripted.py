"""Groovy values in scripted statements, through the scope's evaluator (convert.evaluate): `def` and assignments
bind values, the steps a value calls run first (an `sh(returnStdout: true)` becomes a task whose recorded output
the value reads), `if` conditions become run-time gates (or are decided now), `for` loops unroll over static
lists, and `docker.image('img')` objects are remembered for `.inside`. The statements are dispatched by
handlers.control.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.evaluate import Result, Runtime, Static, Unknown, gate_tree
from jenkins2flow.convert.evaluate.results import checked, node
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Expr, Span, Step

AFTER_IF_RULE = "none_failed_min_one_success"
MAX_UNROLL = 64
# Steps that only read (files, the workspace, the agent): as values they are Unknown, with no task to run.
PURE_READS = frozenset({"readFile", "fileExists", "readJSON", "readYaml", "readProperties", "readCSV",
                        "readManifest", "readMavenPom", "findFiles", "pwd", "isUnix", "libraryResource"})
# The step flags that make a shell step's value its recorded output.
RETURNS = (("returnStdout", "stdout"), ("returnStatus", "status"))
GATE_SPEC = {"type": "python", "callable": f"{RUNTIME}:when_gate",
             "description": "Runs the stage's tasks only when its Jenkins `when` or `if` condition holds in the run "
                            "(skips them when false; fails, naming the Jenkins place, when it cannot be decided)."}
_IMAGE = re.compile(r"^\s*docker\.image\((?P<arg>.*)\)\s*$", re.S)


# ---- steps a value calls -------------------------------------------------------------------------------------------


def calls_in(value: Any) -> list[Step]:
    """The steps a Groovy value calls, in source order."""
    if isinstance(value, Step):
        return [value]
    if isinstance(value, Expr):
        return list(value.calls)
    if isinstance(value, tuple | list):
        return [c for v in value for c in calls_in(v)]
    if isinstance(value, dict):
        return [c for v in value.values() for c in calls_in(v)]
    return []


def output_key(step: Step) -> str:
    """"stdout" / "status" for `sh(returnStdout: true)` / `sh(returnStatus: true)`, else ""."""
    return next((key for flag, key in RETURNS if step.kwarg(flag) is True), "")


def run_calls(value: Any, ctx: Ctx, scope: Scope) -> Scope:
    """Convert the steps `value` calls before the value is read: a shell step that returns its output or status
    becomes a task recording it, bound for the value (`Evaluator.with_output`); a step with effects (build, input,
    the script's own functions, a plain sh) converts as a step and its value stays Unknown; a step that only reads
    (readFile, fileExists...) leaves the value Unknown; a step no rule covers is a placeholder; a closure is not
    run."""
    for call in calls_in(value):
        if call.name == "closure":  # a closure in a value (`list.any { ... }`, `[a: { ... }]`) runs where it is
            continue                # called, not here; the value is then Unknown and what uses it is flagged
        rule = ctx.rules.rule("steps", call.name)
        if call.name in PURE_READS and call.name not in ctx.functions:
            continue
        if rule is None and call.name not in ctx.functions:
            ctx.placeholder(f"step {call.name}", call.span, ctx.rules.unknown("steps", call.name, "step"), scope,
                            key=call.name, source=call.raw)
            continue
        before = len(ctx.tasks)
        scope = ctx.walk((call,), scope)
        key = output_key(call) if rule is not None and rule.handler == "shell" else ""
        made = ctx.tasks[-1] if len(ctx.tasks) > before else None
        if key and made is not None and key in made.outputs:
            scope = scope.changed(ev=scope.ev.with_output(call, made.id, key))
    return scope


# ---- def and assignments -------------------------------------------------------------------------------------------


def image_of(value: Any, scope: Scope, ctx: Ctx) -> str:
    """The image of `docker.image(<static string>)` (or of a variable defined as one), else ''."""
    source = text(value).strip()
    m = _IMAGE.match(source)
    if m:
        span = value.span if isinstance(value, Expr) and value.span else Span(ctx.job.span.path)
        image = scope.ev.expression(m.group("arg"), span)
        return image.value if isinstance(image, Static) and isinstance(image.value, str) else ""
    return str(ctx.images.get(source, "")) if re.fullmatch(r"\w+", source) else ""


def assign(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    """`def x = v`, `x = v`, `env.X = v`: the value (after the steps it calls) bound in the scope's evaluator."""
    declare = step.name == "def"
    name = text(step.kwarg("name") if declare else step.kwarg("target")) or text(step.args[0] if step.args else "")
    value = step.kwarg("value")
    if value is None and len(step.args) > 1:
        value = step.args[1]
    scope = run_calls(value, ctx, scope)
    result = scope.ev.value(value, step.span)
    element = f"variable {name or '?'}"
    env = re.fullmatch(r"""env\.(\w+)|env\[\s*['"](\w+)['"]\s*\]""", name)
    if env:
        name = env.group(1) or env.group(2)
        scope = scope.bind_env(name, result, step.span)
        element = f"env.{name}"
        if isinstance(result, Unknown):
            ctx.placeholder(element, step.span, f"the value is not converted: {result}", scope, key="env",
                            source=step.raw, fallback=False)
            return scope
    elif name.isidentifier():
        image = image_of(value, scope, ctx)
        ctx.images.pop(name, None)
        if image:
            ctx.images[name] = image
            result = Unknown(f"{name!r} is a docker image object", step.span)
        scope = scope.bind(name, result, step.span, declare=declare)
    else:
        base = re.match(r"\w+", name)
        if base and base.group() in ("currentBuild", "params"):
            ctx.waived(element, step.span, f"{base.group()} is Jenkins' own (build metadata, the build's "
                       "parameters)", step.name)
            return scope
        if base:  # x.y = v, x[i] = v: x is changed in a way the converter does not follow
            scope = scope.bind(base.group(), Unknown(f"{base.group()!r} is changed by `{name} = ...`", step.span))
        ctx.waived(element, step.span, "an assignment to a part of a value: uses of it are flagged", step.name)
        return scope
    what = {Static: "a value known now", Runtime: "a value of the run, resolved where it is used"}
    if isinstance(result, Unknown):
        ctx.waived(element, step.span, f"not evaluated ({result.reason}); a step that uses it is flagged",
                   step.name)
    else:
        ctx.mapped(element, step.span, step.name, what[type(result)])
    return scope


# ---- if ------------------------------------------------------------------------------------------------------------


def if_gates(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    """`if (cond) {A} else {B}`. A condition known now runs its branch only. Otherwise a gate per branch (then:
    cond; else: not cond) before the branch's tasks, evaluated in the run; what follows waits for both ends and
    runs when one branch was skipped. A condition the converter does not understand fails the run at its gates,
    naming its place (never true by default), and makes the job partial."""
    cond = step.args[0] if step.args else None
    source = text(cond)
    branches = dict(step.children)
    scope = run_calls(cond, ctx, scope)
    result = scope.ev.truth(cond, step.span)
    if isinstance(result, Static):
        keep, drop = ("then", "else") if result.value else ("else", "then")
        end = ctx.walk(branches.get(keep, ()), scope)
        ctx.mapped("if statement", step.span, "if", f"{source!r} is {str(result.value).lower()} when converting: "
                   f"the {keep} branch runs")
        if branches.get(drop):
            ctx.waived(f"if statement ({drop} branch)", step.span, f"{source!r} is never "
                       f"{str(not result.value).lower()}: the {drop} branch never runs", "if")
        return scope.carry(end)
    tree = gate_tree(result)
    if isinstance(result, Unknown):
        ctx.approximated("if statement", step.span, f"the condition {source!r} is not converted ({result.reason}); "
                         "its gates stop the run there, naming the place (never true by default)", "if")
    start = list(ctx.frontier)
    trigger_rule = ctx.pending_rule or ("none_failed" if ctx.after_conditional else "all_success")
    ctx.pending_rule, ctx.after_conditional = "", False
    ends: list[str] = []
    arms = [("then", tree, branches.get("then", ()))]
    if "else" in branches:
        arms.append(("else", {"op": "not", "args": [tree]}, branches["else"]))
    arm_scopes: list[Scope] = []
    for label, condition, body in arms:
        ctx.frontier = list(start)
        ctx.emit("airflow.when-gate", GATE_SPEC, scope, label="gate", named=True, trigger_rule=trigger_rule,
                 bindings={"condition": condition, "stage": f"{scope.stage or 'if'}: {label} of if ({source})"})
        arm_scopes.append(ctx.walk(body, scope))
        ends += [t for t in ctx.frontier if t not in ends]
    if "else" not in branches:
        ends = start + [t for t in ends if t not in start]
        arm_scopes.append(scope)
    ctx.frontier = ends
    if len(arms) == 2 or start:
        ctx.pending_rule, ctx.after_conditional = AFTER_IF_RULE, False
    else:
        ctx.pending_rule, ctx.after_conditional = "", True  # nothing before: a skipped branch must not skip the rest
    if not isinstance(result, Unknown):
        ctx.mapped("if statement", step.span, "if", f"run-time gate on {source!r}; "
                   f"{'both branches' if len(arms) == 2 else 'the branch'} gated, what follows waits for either")
    return scope.join(arm_scopes, either(result, step.span))


def either(cond: Result, span: Span) -> Callable[[str, list[Result]], Result]:
    """How a value set differently by the two arms of an `if` reads after it: `cond ? then : else`."""
    def pick(name: str, values: list[Result]) -> Result:
        unknown = next((v for v in (cond, *values) if isinstance(v, Unknown)), None)
        if unknown is not None:
            return Unknown(f"{name!r} depends on an if whose value is not converted: {unknown}", span)
        then, other = values
        return checked({"op": "?:", "args": [node(cond), node(then), node(other)],  # type: ignore[arg-type]
                        "at": str(span)}, span, (cond, then, other))
    return pick


def in_parallel(span: Span) -> Callable[[str, list[Result]], Result]:
    """A value set differently by parallel branches: the one that runs last wins, which only the run knows."""
    def pick(name: str, values: list[Result]) -> Result:
        return Unknown(f"{name!r} is set by parallel branches: which one is last is only known in the run", span)
    return pick


# ---- try -----------------------------------------------------------------------------------------------------------


def after_try(scope: Scope, walked: list[tuple[Scope, Scope]], rethrows: bool, span: Span) -> Scope:
    """The scope after `try {} catch {} finally {}` whose blocks were converted as `walked` ((start, end) scopes, the
    body first; the catch block's start binds the caught exception): what the body assigned (read after a failed
    body, a value the body did not record fails that task, naming it: fail closed); a name the catch block assigns
    otherwise is Unknown, as it depends on whether the body failed, unless every catch block ends by rethrowing (then
    nothing runs after a failure); what the finally block assigns on top."""
    if not walked:
        return scope
    (body_start, body_end), rest = walked[0], walked[1:]
    after = scope.carry(body_end, start=body_start)
    for start, end in rest:
        if len(start.caught) <= len(scope.caught):  # the finally block
            after = after.carry(end, start=start)
        elif not rethrows:  # the catch block
            caught = scope.carry(end, start=start)
            merged: dict[str, dict[str, Result]] = {}
            for kind in ("variables", "env"):
                mine, theirs = dict(getattr(after.ev, kind)), getattr(caught.ev, kind)
                for name, value in getattr(end.ev, kind).items():
                    if getattr(start.ev, kind).get(name) != value and mine.get(name) != theirs.get(name):
                        mine[name] = Unknown(f"{name!r} is set by a catch block: its value depends on whether the "
                                             "try body failed, which only the run knows", span)
                merged[kind] = mine
            after = replace(after, ev=replace(after.ev, variables=merged["variables"], env=merged["env"]))
    return after


# ---- for -----------------------------------------------------------------------------------------------------------


def static_items(step: Step, ctx: Ctx, scope: Scope) -> tuple[Scope, list[Any] | str]:
    """The items of `for (x in items)` when known now (a list of at most MAX_UNROLL values), else why not."""
    items_ir = step.kwarg("in")
    scope = run_calls(items_ir, ctx, scope)
    items = scope.ev.value(items_ir, step.span)
    if isinstance(items, Unknown):
        return scope, items.reason
    if isinstance(items, Runtime) or not isinstance(items.value, list):
        return scope, "the items are only known in the run" if isinstance(items, Runtime) else \
            f"the loop is over a {type(items.value).__name__}, not a list"
    if not items.value or len(items.value) > MAX_UNROLL:
        return scope, f"{len(items.value)} items (the converter unrolls 1 to {MAX_UNROLL})"
    return scope, list(items.value)


def unroll(step: Step, items: list[Any], ctx: Ctx, scope: Scope) -> Scope:
    """One copy of the loop body per item, the loop variable bound to it (a local of the body)."""
    var = text(step.kwarg("var") or "")
    after = scope
    for i, item in enumerate(items):
        inner = replace(after.bind(var, Static(item), step.span, declare=True),
                        id_suffix=f"{scope.id_suffix}_{var}_{i + 1}")
        after = after.carry(ctx.walk(step.body or (), inner), start=inner)
    return after

"""Groovy statements of scripted pipelines (and of `script {}` blocks), keyed by the IR statement name: `def` and
assignments, function definitions, `try`/`catch`/`finally`, `if`, `for`, `while`, `switch`, `return`, expressions
and what the parser could not read; and the declarations, which are no steps: `import`, `class`, annotations
(`@Library`, `@Field`, `@NonCPS`...). What can be decided without Groovy converts (convert.scripted reads
conditions); the rest stays a placeholder that keeps its source.

These are not mapping rules: the walker looks a statement up in STATEMENTS before it looks for a step rule.
"""

from __future__ import annotations

import re

from jenkins2flow.convert import tools
from jenkins2flow.convert.agents import agent_scope
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Result, Static, Unknown
from jenkins2flow.convert.handlers.commands import shells_of
from jenkins2flow.convert.regions import Catch, result_assignment, try_region
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.scripted import after_try, assign, if_gates, image_of, static_items, unroll
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Agent, Expr, Step

# Declarations: IR statement name -> why it needs nothing in Airflow (the ledger's waiver reason)
DECLARATIONS = {
    "import": "a Groovy import: a compile-time declaration, not a step (what the script does with the class is "
              "converted, or flagged, where it is used)",
    "class": "a Groovy class definition, not a step (calls of its methods are converted, or flagged, where they "
             "are made)",
    "@Library": "loads a shared library at compile time; the library is listed in the job's libraries, and its "
                "steps need rules of their own (--mappings)",
    "@NonCPS": "runs the function after it outside Jenkins' CPS interpreter; the function is converted where it is "
               "called",
    "@Field": "makes the variable declared after it visible in the script's functions, as the converter's scope "
              "already does",
    "@groovy.transform.Field": "makes the variable declared after it visible in the script's functions, as the "
                               "converter's scope already does",
}
_UNIX = re.compile(r"^\s*(!)?\s*isUnix\(\s*\)\s*$")
_DOCKER_CALL = re.compile(r"^(?P<obj>.+)\.(?P<method>inside|withRun)(?:\s*\((?P<args>.*)\))?$", re.S)
_NOT_STATIC = {"if": "a condition evaluated by Groovy at build time", "for": "a loop evaluated by Groovy",
               "while": "a loop evaluated by Groovy", "switch": "a branch chosen by Groovy"}


def variable(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`def x = ...` / `x = ...` / `env.X = ...`: the value bound in the scope's evaluator (convert.scripted); a
    tool's home (`def mvn = tool 'M3'`) is the home its rule gives; `currentBuild.result = ...` marks the run's
    result (regions.result_assignment)."""
    if text(step.kwarg("target")) == "currentBuild.result":
        result = scope.ev.string(step.kwarg("value"), step.span)
        result_assignment(ctx, scope, step.span, result.value if isinstance(result, Static) else step.kwarg("value"))
        return scope
    value = step.kwarg("value")
    if value is None and len(step.args) > 1:
        value = step.args[1]
    if isinstance(value, Step) and value.name == "tool":  # `def mvn = tool 'M3'`, `env.JAVA_HOME = tool ...`
        return tool_variable(step, value, ctx, scope)
    return assign(step, ctx, scope)


def tool_variable(step: Step, call: Step, ctx: Ctx, scope: Scope) -> Scope:
    """A variable (or `env.X`) holding a tool installation's home: an environment variable of the steps after it,
    when the installation's rule gives its home (convert.tools.home_of flags it otherwise)."""
    target = text(step.kwarg("name") or step.kwarg("target") or "")
    name = target.removeprefix("env.")
    home = tools.home_of(call, call.span, ctx)
    if not name.isidentifier():
        return scope
    value: Result = Static(home) if home is not None else Unknown(f"the home of `tool` at {call.span} is not known",
                                                                  call.span)
    if target.startswith("env."):
        ctx.mapped(f"env.{name}", step.span, step.name, "the tool's home, an environment variable")
        return scope.bind_env(name, value, step.span)
    ctx.mapped(f"variable {name}", step.span, step.name, "the tool's home, a Groovy value")
    return scope.bind(name, value, step.span, declare=step.name == "def")


def function(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped("function definition", step.span, "function", "converted where it is called")


def try_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`try {} catch (e) {} finally {}`: see regions.try_region; the values the blocks assign: see after_try."""
    children = list(step.children)
    body = step.body if step.body is not None else next((b for label, b in children if label == "try"), ())
    catches = [Catch.of(label, b) for label, b in children if label.startswith("catch")]
    final = next((b for label, b in children if label == "finally"), None)
    frame = ctx.body_ends[-1] if ctx.body_ends else []
    mark = len(frame)
    try_region(ctx, scope, step.span, body, catches, final)
    walked, frame[mark:] = frame[mark:], []
    rethrows = all(b[-1].name in ("throw", "error") for label, b in children if label.startswith("catch") and b)
    return after_try(scope, walked, rethrows, step.span)


def not_static(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """A statement whose outcome only Groovy knows: a placeholder (the original job) that keeps its source."""
    ctx.placeholder(f"{step.name} statement", step.span, f"{_NOT_STATIC[step.name]} is not static; its source is "
                    "kept", scope, key=step.name, source=step.raw or _source(step))


def _source(step: Step) -> str:
    """Where the parser kept no raw text (if/for): the condition or loop head, for the fallback's `source`."""
    if step.name == "if" and step.args:
        return f"if ({text(step.args[0])}) {{...}}"
    if step.name == "for" and step.kwarg("var"):
        return f"for ({text(step.kwarg('var'))} in {text(step.kwarg('in'))}) {{...}}"
    return ""


def if_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`if (cond) {A} else {B}`: decided now when the condition is static (`isUnix()` is: Airflow workers run
    Linux), else run-time gates per branch (convert.scripted.if_gates)."""
    if not step.args:  # the parser kept no condition
        not_static(step, rule, ctx, scope)
        return scope
    source = text(step.args[0])
    branches = dict(step.children)
    unix = _UNIX.match(source)
    if unix:  # decided at convert time by the workers' shells: sh on Linux, bat/powershell on Windows
        windows = "sh" not in shells_of(ctx, scope)
        keep, drop = ("else", "then") if bool(unix.group(1)) != windows else ("then", "else")
        end = ctx.walk(branches.get(keep, ()), scope)
        kind = "Windows" if windows else "Linux"
        ctx.mapped("if statement", step.span, "if", f"{source!r} is decided on these tasks' {kind} workers: the "
                   f"{keep} branch runs")
        if branches.get(drop):
            ctx.waived(f"if statement ({drop} branch)", step.span, f"{source!r} never holds the other way on {kind} "
                       f"workers: the {drop} branch (for {'Linux' if windows else 'Windows'} agents) does not run",
                       "if")
        return scope.carry(end)
    return if_gates(step, ctx, scope)


def for_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`for (x in items) { ... }` over items known now (a literal list, a variable holding one, a split...): one
    copy of the body per item, x bound to it. A placeholder for other loops."""
    var = text(step.kwarg("var") or "")
    scope, items = static_items(step, ctx, scope)
    if not var.isidentifier() or isinstance(items, str):
        not_static(step, rule, ctx, scope)
        return scope
    ctx.mapped("for statement", step.span, "for", f"unrolled over {len(items)} items known when converting")
    return unroll(step, items, ctx, scope)


def expression(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`docker.image('img').inside(args?) { steps }`: the body's tasks run in a container of that image (as for
    `agent { docker 'img' }`); `.withRun { }`: the body converted in place, with a warning that the service
    container is not started. Any other expression is a placeholder."""
    head = text(step.args[0]) if step.args and isinstance(step.args[0], Expr | str) else ""
    if head.strip() == "_" and step.body is None:
        ctx.waived("expression _", step.span, "the `_` an `@Library(...) _` annotation is written on: it does "
                   "nothing itself", "_")
        return
    m = _DOCKER_CALL.match(head.strip())
    image = image_of(m.group("obj"), scope, ctx) if m is not None and step.body is not None else ""
    if m is None or step.body is None or not image:
        ctx.placeholder("expression", step.span, "a Groovy expression evaluated by Jenkins", scope, key="expr",
                        source=step.raw or text(step.args[0] if step.args else ""))
        return
    if m.group("method") == "inside":
        if (m.group("args") or "").strip():
            ctx.note(f"docker inside arguments {m.group('args').strip()!r} are not applied to the container task.",
                     step.span, "info")
        inner = agent_scope(Agent("docker", image=image, span=step.span), ctx, scope)
        ctx.mapped("expression", step.span, "docker.inside", f"the body runs in image {image!r}")
        ctx.walk(step.body, inner)
        return
    ctx.note(f"docker.image({image!r}).withRun: the service container is not started by the converted tasks; "
             "provide it to the executor (or run the tasks where it is reachable).", step.span)
    ctx.mapped("expression", step.span, "docker.withRun", f"the body is converted in place; service {image!r} "
               "is not started")
    ctx.walk(step.body, scope)


def declaration(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`import`, `class`, `@Library`, `@Field`, `@NonCPS`: declarations, not steps (DECLARATIONS says why)."""
    name = text(step.kwarg("name") or (step.args[0] if step.args else ""))
    ctx.waived(f"{step.name} {name}".strip(), step.span, DECLARATIONS[step.name], step.name)


def return_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`return [value]`: ends the body it is written in (the walker stops there). A value computed by steps
    (`return sh(...)`, `return f(x) + 1`) runs them, in place; what the returned value is used for is the caller's
    business. A closure in the value is not run by the return (whoever calls it later decides)."""
    calls = [v for v in step.args if isinstance(v, Step)]
    calls += [c for v in step.args if isinstance(v, Expr) for c in v.calls if c.name != "closure"]
    for call in calls:
        ctx.walk((call,), scope)
    ctx.mapped("return", step.span, "return", "ends the script, function or closure it is written in"
               + (f"; its value's {len(calls)} step call(s) converted in place" if calls else ""))


def unparsed(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.placeholder("unparsed source", step.span, "the parser could not read this statement", scope,
                    key="unparsed", source=step.raw)


# IR statement name -> handler
STATEMENTS: dict[str, Handler] = {
    "def": variable, "assign": variable, "function": function, "try": try_, "if": if_, "for": for_,
    "while": not_static, "switch": not_static, "return": return_, "expr": expression, "unparsed": unparsed,
    **dict.fromkeys(DECLARATIONS, declaration),
}

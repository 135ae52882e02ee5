"""Groovy statements of scripted pipelines (and of `script {}` blocks), keyed by the IR statement name: `def` and
assignments, function definitions, `try`/`catch`/`finally`, `if`, `for`, `while`, `switch`, `return`, expressions
and what the parser could not read; and the declarations, which are no steps: `import`, `class`, annotations
(`@Library`, `@Field`, `@NonCPS`...). What can be decided without Groovy converts (convert.scripted reads
conditions); the rest stays a placeholder that keeps its source.

These are not mapping rules: the walker looks a statement up in STATEMENTS before it looks for a step rule.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jenkins2flow.convert import tools
from jenkins2flow.convert.agents import agent_scope
from jenkins2flow.convert.context import RUNTIME, Ctx, Handler, Scope
from jenkins2flow.convert.handlers.commands import shells_of
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.scripted import AFTER_IF_RULE, JENKINS_ENV, condition, image_of, negate, remember
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

MAX_UNROLL = 64
_UNIX = re.compile(r"^\s*(!)?\s*isUnix\(\s*\)\s*$")
_DOCKER_CALL = re.compile(r"^(?P<obj>.+)\.(?P<method>inside|withRun)(?:\s*\((?P<args>.*)\))?$", re.S)
_NOT_STATIC = {"if": "a condition evaluated by Groovy at build time", "for": "a loop evaluated by Groovy",
               "while": "a loop evaluated by Groovy", "switch": "a branch chosen by Groovy"}


def variable(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`def x = ...` / `x = ...`: a literal becomes an environment variable of the steps after it."""
    remember(step, ctx)
    name = text(step.kwarg("name") or (step.args[0] if step.args else ""))
    value = step.kwarg("value")
    if value is None and len(step.args) > 1:
        value = step.args[1]
    if isinstance(value, Step) and value.name == "tool":  # `def mvn = tool 'M3'`, `env.JAVA_HOME = tool ...`
        return tool_variable(step, value, ctx, scope)
    if isinstance(value, str | int | float | bool) and name.isidentifier():
        ctx.mapped(f"variable {name}", step.span, step.name, "a literal value, exported as an environment variable")
        return scope.with_env([(name, text(value))])
    ctx.waived(f"variable {name or '?'}", step.span, "Groovy variables are evaluated by Jenkins; the shell "
               "steps that use them get a diagnostic", step.name)
    return scope


def tool_variable(step: Step, call: Step, ctx: Ctx, scope: Scope) -> Scope:
    """A variable (or `env.X`) holding a tool installation's home: an environment variable of the steps after it,
    when the installation's rule gives its home (convert.tools.home_of flags it otherwise)."""
    target = text(step.kwarg("name") or step.kwarg("target") or "")
    name = target.removeprefix("env.")
    home = tools.home_of(call, call.span, ctx)
    if home is None or not name.isidentifier():
        return scope
    ctx.mapped(f"variable {name}", step.span, step.name, "the tool's home, exported as an environment variable")
    return scope.with_env([(name, home)])


def function(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped("function definition", step.span, "function", "converted where it is called")


def try_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped("try", step.span, "try", "body in order; catch runs on failure; finally always")
    start = list(ctx.frontier)
    ctx.walk(step.body or (), scope)
    body_end = list(ctx.frontier)
    for label, block in step.children:
        if label.startswith("catch") and block:
            ctx.frontier = list(body_end) or start
            ctx.pending_rule, ctx.notify_on = "one_failed", "failure"
            ctx.walk(block, scope)
            ctx.notify_on = ""
            ctx.frontier = body_end + [t for t in ctx.frontier if t not in body_end]
        elif label.startswith("finally") and block:
            ctx.pending_rule, ctx.notify_on = "all_done", "always"
            ctx.walk(block, scope)
            ctx.notify_on = ""


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


def if_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`if (cond) {A} else {B}`: a gate per branch (then: cond; else: not cond) before the branch's tasks; what
    follows waits for both ends and runs when one branch was skipped. A placeholder when the condition is not
    readable."""
    source = text(step.args[0]) if step.args else ""
    branches = dict(step.children)
    unix = _UNIX.match(source)
    if unix:  # decided at convert time by the workers' shells: sh on Linux, bat/powershell on Windows
        windows = "sh" not in shells_of(ctx, scope)
        keep, drop = ("else", "then") if bool(unix.group(1)) != windows else ("then", "else")
        ctx.walk(branches.get(keep, ()), scope)
        kind = "Windows" if windows else "Linux"
        ctx.mapped("if statement", step.span, "if", f"{source!r} is decided on these tasks' {kind} workers: the "
                   f"{keep} branch runs")
        if branches.get(drop):
            ctx.waived(f"if statement ({drop} branch)", step.span, f"{source!r} never holds the other way on {kind} "
                       f"workers: the {drop} branch (for {'Linux' if windows else 'Windows'} agents) does not run",
                       "if")
        return
    names = {p.name for p in ctx.job.parameters} | {k for k, _ in scope.env} | JENKINS_ENV
    cond = condition(source, names)
    if cond is None:
        not_static(step, rule, ctx, scope)
        return
    start = list(ctx.frontier)
    trigger_rule = ctx.pending_rule or ("none_failed" if ctx.after_conditional else "all_success")
    ctx.pending_rule, ctx.after_conditional = "", False
    spec = {"type": "python", "callable": f"{RUNTIME}:when_gate",
            "description": "Skips the stage's tasks when its Jenkins `when` conditions are false (short-circuit)."}
    ends: list[str] = []
    arms = [("then", cond, branches.get("then", ()))]
    if "else" in branches:
        arms.append(("else", negate(cond), branches["else"]))
    for label, gate_cond, body in arms:
        ctx.frontier = list(start)
        ctx.emit("airflow.when-gate", spec, scope, label="gate", named=True, trigger_rule=trigger_rule,
                 bindings={"conditions": [gate_cond], "stage": f"{scope.stage or 'if'}: {label} of if ({source})"})
        ctx.walk(body, scope)
        ends += [t for t in ctx.frontier if t not in ends]
    if "else" not in branches:
        ends = start + [t for t in ends if t not in start]
    ctx.frontier = ends
    if len(arms) == 2 or start:
        ctx.pending_rule, ctx.after_conditional = AFTER_IF_RULE, False
    else:
        ctx.pending_rule, ctx.after_conditional = "", True  # nothing before: a skipped branch must not skip the rest
    ctx.mapped("if statement", step.span, "if", f"run-time gate on {source!r}; "
               f"{'both branches' if len(arms) == 2 else 'the branch'} gated, what follows waits for either")


def for_(step: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`for (x in ['a', 'b']) { ... }` (or a variable holding a literal list): one copy of the body per item,
    with x bound as an environment variable. A placeholder for other loops."""
    var, items = text(step.kwarg("var") or ""), step.kwarg("in")
    if isinstance(items, Expr) and re.fullmatch(r"\w+", items.text.strip()):
        items = ctx.lists.get(items.text.strip())
    if (not var.isidentifier() or not isinstance(items, tuple) or not items or len(items) > MAX_UNROLL
            or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in items)):
        not_static(step, rule, ctx, scope)
        return
    for i, item in enumerate(items):
        ctx.walk(step.body or (), replace(scope.with_env([(var, text(item))]),
                                          id_suffix=f"{scope.id_suffix}_{var}_{i + 1}"))
    ctx.mapped("for statement", step.span, "for", f"unrolled over {len(items)} literal items, {var} as environment")


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
    image = image_of(m.group("obj"), ctx) if m is not None and step.body is not None else ""
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

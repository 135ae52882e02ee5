"""Scripted control flow that can be decided without Groovy: `if` on parameters/environment (run-time gates),
`docker.image('img').inside {}` (container tasks), and `for (x in [literal list])` (unrolled).

What these cannot read stays a placeholder with its source (see steps._control)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.registry import handler
from jenkins2flow.convert.values import arg, text
from jenkins2flow.ir import Expr, Step

# Jenkins environment variables a bare name in a condition may refer to (scripted binds env vars as variables).
JENKINS_ENV = frozenset({"BRANCH_NAME", "TAG_NAME", "CHANGE_ID", "CHANGE_TARGET", "CHANGE_BRANCH", "GIT_BRANCH",
                         "JOB_NAME", "JOB_BASE_NAME", "BUILD_NUMBER", "NODE_NAME"})
AFTER_IF_RULE = "none_failed_min_one_success"

_TOKEN = re.compile(r"""\s*(?:(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<str>'[^'\\$]*'|"[^"\\$]*")|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<ref>params\[\s*(?:'\w+'|"\w+")\s*\]|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(\))?))""")


class Unsupported(ValueError):
    pass


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, source = 0, source.strip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            raise Unsupported(source[pos:])
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Cond:
    """A recursive-descent reader of a Groovy condition into `when` dicts the runtime gate evaluates
    (jenkins2flow_runtime.fallback.evaluate): allOf / anyOf / not / expression leaves it can decide."""

    def __init__(self, source: str, names: set[str]) -> None:
        self.toks = _tokens(source)
        self.i = 0
        self.names = names

    def parse(self) -> dict[str, Any]:
        out = self.or_()
        if self.i != len(self.toks):
            raise Unsupported(self.toks[self.i][1])
        return out

    def peek(self) -> str:
        return self.toks[self.i][1] if self.i < len(self.toks) else ""

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise Unsupported("end of condition")
        self.i += 1
        return self.toks[self.i - 1]

    def or_(self) -> dict[str, Any]:
        items = [self.and_()]
        while self.peek() == "||":
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else _node("anyOf", children=items)

    def and_(self) -> dict[str, Any]:
        items = [self.unary()]
        while self.peek() == "&&":
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else _node("allOf", children=items)

    def unary(self) -> dict[str, Any]:
        if self.peek() == "!":
            self.take()
            return negate(self.unary())
        if self.peek() == "(":
            self.take()
            inner = self.or_()
            if self.take()[1] != ")":
                raise Unsupported("unbalanced parentheses")
            return inner
        return self.atom()

    def atom(self) -> dict[str, Any]:
        kind, value = self.take()
        if kind != "ref":
            raise Unsupported(value)
        ref = self.ref(value)
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            kind, lit = self.take()
            if kind == "str":
                lit = lit[1:-1]
            elif kind == "ref" and lit in ("true", "false"):
                truthy = _node("expression", args=[ref])
                return truthy if (lit == "true") == (op == "==") else negate(truthy)
            elif kind != "num":
                raise Unsupported(lit)
            return _node("expression", args=[f"{ref} {op} '{lit}'"])
        return _node("expression", args=[ref])

    def ref(self, value: str) -> str:
        m = re.fullmatch(r"params\[\s*['\"](\w+)['\"]\s*\]", value)
        if m:
            return f"params.{m.group(1)}"
        if value.endswith(".toBoolean()"):
            value = value[: -len(".toBoolean()")]
        m = re.fullmatch(r"(params|env)\.(\w+)", value)
        if m:
            return value
        if re.fullmatch(r"\w+", value) and value in self.names:
            return f"params.{value}"  # the gate looks names up in parameters, bindings and environment alike
        raise Unsupported(value)


def _node(kind: str, args: list[Any] | None = None, children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": kind, "args": args or [], "kwargs": {}, "children": children or []}


def negate(cond: dict[str, Any]) -> dict[str, Any]:
    if cond["kind"] == "not" and len(cond["children"]) == 1:
        return dict(cond["children"][0])
    return _node("not", children=[cond])


def condition(source: str, names: set[str]) -> dict[str, Any] | None:
    """The gate condition for a Groovy `if` condition, or None when the gate cannot decide it at run time."""
    try:
        return _Cond(source, names).parse()
    except Unsupported:
        return None


def _names(ctx: Ctx, scope: Scope) -> set[str]:
    return {p.name for p in ctx.job.parameters} | {k for k, _ in scope.env} | JENKINS_ENV


_UNIX = re.compile(r"^\s*(!)?\s*isUnix\(\s*\)\s*$")


def if_(step: Step, ctx: Ctx, scope: Scope) -> bool:
    """`if (cond) {A} else {B}`: a gate per branch (then: cond; else: not cond) before the branch's tasks; what
    follows waits for both ends and runs when one branch was skipped. False when the condition is not readable."""
    from jenkins2flow.convert.steps import walk

    source = text(step.args[0]) if step.args else ""
    branches = dict(step.children)
    unix = _UNIX.match(source)
    if unix:  # decided at convert time: Airflow workers run Linux
        keep, drop = ("else", "then") if unix.group(1) else ("then", "else")
        walk(branches.get(keep, ()), ctx, scope)
        ctx.mapped("if statement", step.span, "if", f"{source!r} is decided on Airflow's Linux workers: the {keep} "
                   "branch runs")
        if branches.get(drop):
            ctx.waived(f"if statement ({drop} branch)", step.span, f"{source!r} never holds the other way on Linux "
                       f"workers: the {drop} branch (for Windows agents) does not run", "if")
        return True
    cond = condition(source, _names(ctx, scope))
    if cond is None:
        return False
    start = list(ctx.frontier)
    rule = ctx.pending_rule or ("none_failed" if ctx.after_conditional else "all_success")
    ctx.pending_rule, ctx.after_conditional = "", False
    spec = {"type": "python", "callable": f"{RUNTIME}:when_gate",
            "description": "Skips the stage's tasks when its Jenkins `when` conditions are false (short-circuit)."}
    ends: list[str] = []
    arms = [("then", cond, branches.get("then", ()))]
    if "else" in branches:
        arms.append(("else", negate(cond), branches["else"]))
    for label, gate_cond, body in arms:
        ctx.frontier = list(start)
        ctx.emit("airflow.when-gate", spec, scope, label="gate", named=True, trigger_rule=rule,
                 bindings={"conditions": [gate_cond], "stage": f"{scope.stage or 'if'}: {label} of if ({source})"})
        walk(body, ctx, scope)
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
    return True


_IMAGE = re.compile(r"""^docker\.image\(\s*(?:'([^'$]+)'|"([^"$]+)")\s*\)$""")
_DOCKER_CALL = re.compile(r"^(?P<obj>.+)\.(?P<method>inside|withRun)(?:\s*\((?P<args>.*)\))?$", re.S)


def image_of(value: Any, ctx: Ctx) -> str:
    """The image of `docker.image('img')` (or of a variable defined as one), else ''."""
    source = text(value).strip()
    m = _IMAGE.match(source)
    if m:
        return m.group(1) or m.group(2)
    return str(ctx.images.get(source, "")) if re.fullmatch(r"\w+", source) else ""


def docker_expr(step: Step, ctx: Ctx, scope: Scope) -> bool:
    """`docker.image('img').inside(args?) { steps }`: the body's tasks run in a container of that image (as for
    `agent { docker 'img' }`); `.withRun { }`: the body converted in place, with a warning that the service
    container is not started. False when this is not one of those forms."""
    from jenkins2flow.convert.pipeline import agent_scope
    from jenkins2flow.convert.steps import walk
    from jenkins2flow.ir import Agent

    head = text(step.args[0]) if step.args and isinstance(step.args[0], Expr | str) else ""
    m = _DOCKER_CALL.match(head.strip())
    if m is None or step.body is None:
        return False
    image = image_of(m.group("obj"), ctx)
    if not image:
        return False
    if m.group("method") == "inside":
        if (m.group("args") or "").strip():
            ctx.note(f"docker inside arguments {m.group('args').strip()!r} are not applied to the container task.",
                     step.span, "info")
        inner = agent_scope(Agent("docker", image=image, span=step.span), ctx, scope)
        ctx.mapped("expression", step.span, "docker.inside", f"the body runs in image {image!r}")
        walk(step.body, ctx, inner)
        return True
    ctx.note(f"docker.image({image!r}).withRun: the service container is not started by the converted tasks; "
             "provide it to the executor (or run the tasks where it is reachable).", step.span)
    ctx.mapped("expression", step.span, "docker.withRun", f"the body is converted in place; service {image!r} "
               "is not started")
    walk(step.body, ctx, scope)
    return True


def remember(step: Step, ctx: Ctx) -> None:
    """Literal lists and docker images assigned to variables, read by `for` and `.inside` later on."""
    name = text(step.kwarg("name") or step.kwarg("target") or "")
    value = step.kwarg("value")
    if not re.fullmatch(r"\w+", name):
        return
    ctx.lists.pop(name, None)
    ctx.images.pop(name, None)
    if isinstance(value, tuple) and value and all(isinstance(v, str | int | float) for v in value):
        ctx.lists[name] = tuple(text(v) for v in value)
    image = image_of(value, ctx) if isinstance(value, Expr) else ""
    if image:
        ctx.images[name] = image


MAX_UNROLL = 64


def for_(step: Step, ctx: Ctx, scope: Scope) -> bool:
    """`for (x in ['a', 'b']) { ... }` (or a variable holding a literal list): one copy of the body per item,
    with x bound as an environment variable. False for other loops."""
    from jenkins2flow.convert.steps import walk

    var, items = text(step.kwarg("var") or ""), step.kwarg("in")
    if isinstance(items, Expr) and re.fullmatch(r"\w+", items.text.strip()):
        items = ctx.lists.get(items.text.strip())
    if not var.isidentifier() or not isinstance(items, tuple) or not items or len(items) > MAX_UNROLL:
        return False
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in items):
        return False
    for i, item in enumerate(items):
        walk(step.body or (), ctx, replace(scope.with_env([(var, text(item))]),
                                           id_suffix=f"{scope.id_suffix}_{var}_{i + 1}"))
    ctx.mapped("for statement", step.span, "for", f"unrolled over {len(items)} literal items, {var} as environment")
    return True


@handler("docker_container")
def docker_container(node: Step, rule: Any, ctx: Ctx, scope: Scope) -> None:
    """`withDockerContainer('img') { steps }`: the body's tasks run in that image, like `.inside`."""
    from jenkins2flow.convert.pipeline import agent_scope
    from jenkins2flow.convert.steps import _body, walk
    from jenkins2flow.ir import Agent

    image = arg(node, "image", "")
    if not isinstance(image, str) or not image:
        ctx.placeholder(f"step {node.name}", node.span, "the image is computed by Groovy", scope, key=node.name,
                        source=node.raw)
        walk(_body(node), ctx, scope)
        return
    inner = agent_scope(Agent("docker", image=image, span=node.span), ctx, scope)
    ctx.mapped(f"step {node.name}", node.span, node.name, f"the body runs in image {image!r}")
    walk(_body(node), ctx, inner)

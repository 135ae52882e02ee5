"""What scripted Groovy says that can be read without running it: an `if` condition on parameters/environment as
the `when` conditions a run-time gate evaluates, the image of `docker.image('img')`, and the variables that hold a
literal list or an image (read later by `for` and `.inside`). The statements themselves convert in
handlers.control."""

from __future__ import annotations

import re
from typing import Any

from jenkins2flow.convert.context import Ctx
from jenkins2flow.convert.values import text
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


_IMAGE = re.compile(r"""^docker\.image\(\s*(?:'([^'$]+)'|"([^"$]+)")\s*\)$""")


def image_of(value: Any, ctx: Ctx) -> str:
    """The image of `docker.image('img')` (or of a variable defined as one), else ''."""
    source = text(value).strip()
    m = _IMAGE.match(source)
    if m:
        return m.group(1) or m.group(2)
    return str(ctx.images.get(source, "")) if re.fullmatch(r"\w+", source) else ""


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

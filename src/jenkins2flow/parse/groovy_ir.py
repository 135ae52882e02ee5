"""Groovy syntax tree -> IR values and steps, and the stage tree of scripted pipelines.

Values: literals stay Python values, interpolated strings become `GString`, lists tuples, maps dicts, closures
`Closure`, calls to a bare method name (`string(name: 'x')`, `credentials('id')`) `Step`s with `raw` set to their
source, anything else an `Expr` carrying its exact source text (and the step calls found inside it).

Statements become `Step`s; control flow uses the reserved names documented on `Step`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow.ir.nodes import Closure, Diagnostic, Expr, GString, Span, Stage, Step, Value
from jenkins2flow.parse import groovy_ast as A


@dataclass(slots=True)
class Ctx:
    """Source text, path and line index for spans; collects diagnostics."""

    src: str
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        starts = [0]
        find = self.src.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.line_starts = starts

    def pos(self, offset: int) -> tuple[int, int]:
        li = bisect_right(self.line_starts, offset) - 1
        return li + 1, offset - self.line_starts[li] + 1

    def span(self, start: int, end: int = -1) -> Span:
        line, col = self.pos(start)
        if end < 0:
            return Span(self.path, line, col)
        eline, ecol = self.pos(end)
        return Span(self.path, line, col, eline, ecol)

    def text(self, node: A.Node) -> str:
        return self.src[node.start : node.end]

    def error(self, message: str, start: int, end: int = -1, code: str = "parse-error") -> None:
        self.diagnostics.append(Diagnostic("error", message, self.span(start, end), code))

    def warn(self, message: str, start: int, code: str = "") -> None:
        self.diagnostics.append(Diagnostic("warning", message, self.span(start), code))


# ---- values -------------------------------------------------------------------------------------------------


def value(ctx: Ctx, node: A.Node | None) -> Value:
    if node is None:
        return None
    t = type(node)
    if t is A.Lit:
        return node.value  # type: ignore[attr-defined]
    if t is A.Str:
        return GString(node.parts)  # type: ignore[attr-defined]
    if t is A.ListExpr:
        return tuple(value(ctx, i) for i in node.items)  # type: ignore[attr-defined]
    if t is A.MapExpr:
        return {(k if isinstance(k, str) else ctx.text(k)): value(ctx, v) for k, v in node.entries}  # type: ignore
    if t is A.ClosureExpr:
        return closure(ctx, node)  # type: ignore[arg-type]
    if t is A.Call and node.obj is None:  # type: ignore[attr-defined]
        return call_step(ctx, node, raw=True)  # type: ignore[arg-type]
    if t is A.Unary and node.op == "-" and type(node.operand) is A.Lit:  # type: ignore[attr-defined]
        v = node.operand.value  # type: ignore[attr-defined]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    return expr(ctx, node)


def expr(ctx: Ctx, node: A.Node) -> Expr:
    return Expr(ctx.text(node), ctx.span(node.start, node.end), tuple(_calls_in(ctx, node)))


def _calls_in(ctx: Ctx, node: A.Node) -> Iterator[Step]:
    """Bare calls and closures inside an expression we keep as text."""
    stack: list[object] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Call):
            if n.obj is None:
                yield call_step(ctx, n, raw=True)
                continue
            stack.extend(reversed([n.obj, *(a.value for a in n.args), *n.closures]))
        elif isinstance(n, A.ClosureExpr):
            yield Step("closure", ctx.span(n.start, n.end), body=steps(ctx, n.body), raw=ctx.text(n))
        elif isinstance(n, A.Node):
            children = _CHILD_FIELDS.get(type(n))
            if children:
                for f in reversed(children):
                    v = getattr(n, f)
                    if isinstance(v, list):
                        for item in reversed(v):
                            stack.append(item.value if isinstance(item, A.Arg) else item)
                    elif v is not None:
                        stack.append(v)
        elif isinstance(n, tuple):  # map entry
            stack.extend(x for x in reversed(n) if isinstance(x, A.Node))


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    A.Prop: ("obj",),
    A.Index: ("obj", "index"),
    A.ListExpr: ("items",),
    A.MapExpr: ("entries",),
    A.Unary: ("operand",),
    A.Binary: ("left", "right"),
    A.Ternary: ("cond", "then", "other"),
    A.Cast: ("operand",),
    A.New: ("args",),
}


def closure(ctx: Ctx, node: A.ClosureExpr) -> Closure:
    return Closure(steps(ctx, node.body), tuple(node.params), ctx.span(node.start, node.end))


def call_args(ctx: Ctx, args: list[A.Arg]) -> tuple[tuple[Value, ...], tuple[tuple[str, Value], ...]]:
    pos: list[Value] = []
    named: list[tuple[str, Value]] = []
    for a in args:
        if a.key is None:
            pos.append(value(ctx, a.value))
        else:
            named.append((a.key, value(ctx, a.value)))
    return tuple(pos), tuple(named)


def call_step(ctx: Ctx, c: A.Call, raw: bool = False) -> Step:
    """A bare call `name(args) { body }` as a Step."""
    args, kwargs = call_args(ctx, c.args)
    body = None
    if c.closures:
        *extra, last = c.closures
        if extra:
            args = args + tuple(closure(ctx, x) for x in extra)
        body = steps(ctx, last.body)
    return Step(c.name, ctx.span(c.start, c.end), args, kwargs, body, ctx.text(c) if raw else "")


# ---- statements ------------------------------------------------------------------------------------------------


def steps(ctx: Ctx, stmts: Iterable[A.Stmt]) -> tuple[Step, ...]:
    return tuple(step(ctx, s) for s in stmts)


def step(ctx: Ctx, s: A.Stmt) -> Step:
    t = type(s)
    if t is A.ExprStmt:
        return _expr_step(ctx, s.expr, s)  # type: ignore[attr-defined]
    h = _HANDLERS.get(t)
    if h is not None:
        return h(ctx, s)
    return Step("unparsed", ctx.span(s.start, s.end), raw=ctx.text(s))


def _expr_step(ctx: Ctx, e: A.Node, s: A.Stmt) -> Step:
    sp = ctx.span(s.start, s.end)
    if isinstance(e, A.Call):
        if e.obj is None:
            return call_step(ctx, e)
        # a method call on an object: keep its text; the trailing closure's statements are the body
        body = steps(ctx, e.closures[-1].body) if e.closures else None
        end = e.closures[-1].start if e.closures else e.end
        head = ctx.src[e.start : end].rstrip()
        calls = tuple(_calls_in(ctx, e.obj)) if e.obj is not None else ()
        for a in e.args:
            calls += tuple(_calls_in(ctx, a.value))
        for c in e.closures[:-1]:
            calls += tuple(_calls_in(ctx, c))
        return Step("expr", sp, (Expr(head, sp, calls),), body=body, raw=ctx.text(e))
    if isinstance(e, A.Binary) and e.op in _ASSIGN_OPS:
        kw: list[tuple[str, Value]] = [("target", ctx.text(e.left)), ("value", value(ctx, e.right))]
        if e.op != "=":
            kw.append(("op", e.op))
        return Step("assign", sp, kwargs=tuple(kw))
    return Step("expr", sp, (expr(ctx, e),), raw=ctx.text(e))


_ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", ">>>=", "?="}


def _var(ctx: Ctx, s: A.VarDecl) -> Step:
    kw: list[tuple[str, Value]] = [("name", s.names[0] if len(s.names) == 1 else tuple(s.names))]
    if s.type:
        kw.append(("type", s.type))
    if len(s.names) > 1 and len(s.values) == len(s.names):
        kw.append(("value", tuple(value(ctx, v) for v in s.values)))
    else:
        kw.append(("value", value(ctx, s.value)))
    if s.modifiers:
        kw.append(("modifiers", tuple(s.modifiers)))
    return Step("def", ctx.span(s.start, s.end), kwargs=tuple(kw))


def _method(ctx: Ctx, s: A.MethodDef) -> Step:
    kw: list[tuple[str, Value]] = [("name", s.name), ("params", tuple(p.name for p in s.params))]
    defaults = {p.name: value(ctx, p.default) for p in s.params if p.default is not None}
    if defaults:
        kw.append(("defaults", defaults))
    types = {p.name: p.type for p in s.params if p.type}
    if types:
        kw.append(("types", types))
    if s.return_type:
        kw.append(("returns", s.return_type))
    if s.modifiers:
        kw.append(("modifiers", tuple(s.modifiers)))
    return Step("function", ctx.span(s.start, s.end), kwargs=tuple(kw), body=steps(ctx, s.body))


def _if(ctx: Ctx, s: A.If) -> Step:
    children: list[tuple[str, tuple[Step, ...]]] = [("then", steps(ctx, s.then))]
    if s.other is not None:
        children.append(("else", steps(ctx, s.other)))
    return Step("if", ctx.span(s.start, s.end), (expr(ctx, s.cond),), children=tuple(children))


def _try(ctx: Ctx, s: A.Try) -> Step:
    children: list[tuple[str, tuple[Step, ...]]] = [("try", steps(ctx, s.body))]
    for c in s.catches:
        children.append((f"catch {c.type} {c.name}".replace("  ", " "), steps(ctx, c.body)))
    if s.final is not None:
        children.append(("finally", steps(ctx, s.final)))
    return Step("try", ctx.span(s.start, s.end), children=tuple(children))


def _for(ctx: Ctx, s: A.For) -> Step:
    sp = ctx.span(s.start, s.end)
    if s.kind == "in":
        kw: tuple[tuple[str, Value], ...] = (("var", s.var), ("in", value(ctx, s.iter)))
    else:
        kw = (
            ("init", steps(ctx, s.init)),
            ("cond", value(ctx, s.cond)),
            ("update", tuple(value(ctx, u) for u in s.update)),
        )
    return Step("for", sp, kwargs=kw, body=steps(ctx, s.body))


def _while(ctx: Ctx, s: A.While) -> Step:
    kw = (("do", True),) if s.do else ()
    return Step("while", ctx.span(s.start, s.end), (expr(ctx, s.cond),), kw, body=steps(ctx, s.body))


def _switch(ctx: Ctx, s: A.Switch) -> Step:
    children = []
    for c in s.cases:
        label = " ".join(["case " + ctx.text(v) for v in c.values] + (["default"] if c.default else []))
        children.append((label, steps(ctx, c.body)))
    return Step("switch", ctx.span(s.start, s.end), (expr(ctx, s.subject),), children=tuple(children))


def _jump(ctx: Ctx, s: A.Jump) -> Step:
    args = (value(ctx, s.value),) if s.value is not None else ()
    return Step(s.kind, ctx.span(s.start, s.end), args)


def _class(ctx: Ctx, s: A.ClassDef) -> Step:
    return Step("class", ctx.span(s.start, s.end), kwargs=(("name", s.name), ("kind", s.kind)), raw=ctx.text(s))


def _import(ctx: Ctx, s: A.Import) -> Step:
    return Step("import", ctx.span(s.start, s.end), (s.path,))


def _annotation(ctx: Ctx, s: A.Annotation) -> Step:
    args, kwargs = call_args(ctx, s.args)
    return Step("@" + s.name, ctx.span(s.start, s.end), args, kwargs)


def _block(ctx: Ctx, s: A.Block) -> Step:
    return Step("block", ctx.span(s.start, s.end), body=steps(ctx, s.body))


def _unparsed(ctx: Ctx, s: A.Unparsed) -> Step:
    return Step("unparsed", ctx.span(s.start, s.end), raw=ctx.text(s))


_HANDLERS: dict[type, Callable[[Ctx, Any], Step]] = {
    A.VarDecl: _var,
    A.MethodDef: _method,
    A.If: _if,
    A.Try: _try,
    A.For: _for,
    A.While: _while,
    A.Switch: _switch,
    A.Jump: _jump,
    A.ClassDef: _class,
    A.Import: _import,
    A.Annotation: _annotation,
    A.Block: _block,
    A.Unparsed: _unparsed,
}


# ---- walking ---------------------------------------------------------------------------------------------------


def iter_steps(items: Iterable[Step]) -> Iterator[Step]:
    """Every step in a tree, depth first: bodies, labelled children, and steps inside argument values."""
    stack = list(reversed(list(items)))
    while stack:
        s = stack.pop()
        yield s
        stack.extend(reversed(list(_sub_steps(s))))


def _sub_steps(s: Step) -> Iterator[Step]:
    for v in s.args:
        yield from _steps_in_value(v)
    for _, v in s.kwargs:
        yield from _steps_in_value(v)
    if s.body:
        yield from s.body
    for _, block in s.children:
        yield from block


def _steps_in_value(v: Value) -> Iterator[Step]:
    if isinstance(v, Step):
        yield v
    elif isinstance(v, Closure):
        yield from v.body
    elif isinstance(v, Expr):
        yield from v.calls
    elif isinstance(v, tuple):
        for x in v:
            yield from _steps_in_value(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _steps_in_value(x)


# ---- the stage tree of scripted code --------------------------------------------------------------------------


@dataclass(slots=True)
class _Parallel:
    branches: list[Stage]
    fail_fast: bool
    span: Span


def value_text(v: Value) -> str:
    """A value as the text Jenkins would see or the source that computes it: literals as written, GStrings with
    `${...}`, expressions and nested calls as their source."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, GString):
        return v.text
    if isinstance(v, Expr):
        return v.text
    if isinstance(v, Step):
        return v.raw or v.name
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def stage_name(s: Step) -> str:
    return value_text(s.args[0] if s.args else s.kwarg("name"))


def scripted_stages(items: Iterable[Step]) -> tuple[Stage, ...]:
    """Stages of scripted code: every `stage(...)` call, nested as written; `parallel` maps become branches."""
    out: list[Stage] = []
    for it in _stage_items(items):
        if isinstance(it, Stage):
            out.append(it)
        else:
            out.append(Stage("parallel", it.span, parallel=tuple(it.branches), fail_fast=it.fail_fast))
    return tuple(out)


def split_items(items: list[Stage | _Parallel]) -> tuple[tuple[Stage, ...], tuple[Stage, ...], bool]:
    stages = tuple(i for i in items if isinstance(i, Stage))
    par: list[Stage] = []
    ff = False
    for i in items:
        if isinstance(i, _Parallel):
            par.extend(i.branches)
            ff = ff or i.fail_fast
    return stages, tuple(par), ff


def _stage_items(items: Iterable[Step]) -> list[Stage | _Parallel]:
    out: list[Stage | _Parallel] = []
    for s in items:
        if s.name == "stage" and (s.args or s.kwargs):
            body = s.body or ()
            inner = _stage_items(body)
            stages, par, ff = split_items(inner)
            out.append(Stage(stage_name(s), s.span, body, stages, par, fail_fast=ff))
            continue
        if s.name == "parallel":
            branches = _parallel_branches(s)
            if branches is not None:
                out.append(_Parallel(branches[0], branches[1], s.span))
                continue
        out.extend(_stage_items(_sub_steps(s)))
    return out


def _parallel_branches(s: Step) -> tuple[list[Stage], bool] | None:
    entries: list[tuple[str, Value]] = list(s.kwargs)
    if not entries and s.args and isinstance(s.args[0], dict):
        entries = list(s.args[0].items())
    fail_fast = False
    branches: list[Stage] = []
    for k, v in entries:
        if k == "failFast":
            fail_fast = v is True
            continue
        if isinstance(v, Closure):
            inner = _stage_items(v.body)
            stages, par, ff = split_items(inner)
            branches.append(Stage(k, v.span or s.span, v.body, stages, par, fail_fast=ff))
    if not branches:
        return None
    return branches, fail_fast

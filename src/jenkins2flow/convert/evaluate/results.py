"""What evaluating a Groovy value gives: Static (known now), Runtime (a tree the runtime evaluates), Unknown (flagged).

A Runtime tree is the JSON format of `jenkins2flow_runtime.expressions` (its docstring lists the nodes); Static
values are Groovy values as Python (`jenkins2flow_runtime.groovy`: str, int, Decimal, bool, None, list, dict).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from jenkins2flow_runtime.expressions import ExpressionError, check

from jenkins2flow.ir import Closure, Span


@dataclass(frozen=True, slots=True)
class Static:
    """A value known at conversion time."""

    value: Any


@dataclass(frozen=True, slots=True)
class Runtime:
    """A value the run decides: `tree` is evaluated by jenkins2flow_runtime.expressions. `size`: (nodes, levels) of
    the tree as `checked` measured it, (0, 0) when it was not (so a tree combining it is checked in the time of its
    new nodes)."""

    tree: dict[str, Any]
    size: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)

    def refs(self) -> set[tuple[str, str]]:
        """What the tree reads: ("param", X), ("env", X), ("bare", X), ("output", task), ("build", field)."""
        return {(kind, name) for kind, name in _refs(self.tree)}

    def outputs(self) -> set[str]:
        """The tasks whose recorded output the tree reads (the task using it must run after them)."""
        return {name for kind, name in _refs(self.tree) if kind == "output"}


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the converter cannot compute nor map to the run: `reason` says why, `span` where."""

    reason: str
    span: Span | None = None

    def __str__(self) -> str:
        return f"{self.span}: {self.reason}" if self.span else self.reason

    def tree(self) -> dict[str, Any]:
        """A node that fails when evaluated, naming the place: what a gate runs for a condition not understood."""
        node: dict[str, Any] = {"op": "fail", "message": f"not converted: {self.reason}"}
        if self.span is not None:
            node["at"] = str(self.span)
        return node


Result = Static | Runtime | Unknown


class Values(Protocol):
    """What shell_text and when read of an evaluator (groovy_eval.Evaluator), named here so that they need not
    import the module that imports them."""

    @property
    def params(self) -> frozenset[str]: ...

    @property
    def known_env(self) -> frozenset[str]: ...

    @property
    def env(self) -> Mapping[str, Result]: ...

    def value(self, v: Any, span: Span | None = None) -> Result: ...

    def env_read(self, name: str, at: Span) -> Result: ...

    def expression(self, text: str, span: Span) -> Result: ...

    def truth(self, v: Any, span: Span | None = None) -> Result: ...

    def closure(self, c: Closure, span: Span | None = None) -> Result: ...


def literal(value: Any) -> dict[str, Any]:
    """The tree node of a static Groovy value."""
    if value is None or isinstance(value, str | bool | int):
        return {"lit": value}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, list | tuple):
        return {"list": [literal(v) for v in value]}
    if isinstance(value, dict):
        return {"map": [[literal(k), literal(v)] for k, v in value.items()]}
    raise TypeError(f"{type(value).__name__} is not a Groovy value")


def checked(tree: dict[str, Any], span: Span | None, parts: Iterable[Result] = ()) -> Runtime | Unknown:
    """`tree` as a Runtime value if the runtime accepts it (well-formed, within its size limits), else Unknown at
    `span`: values combined again and again (an `if` whose arms both extend a variable) can outgrow the limits.
    `parts`: the values whose trees `tree` holds (their checked trees are not walked again)."""
    known = {id(p.tree): p.size for p in parts if isinstance(p, Runtime) and p.size[0]}
    try:
        size = check(tree, known)
    except ExpressionError as exc:
        return Unknown(exc.reason, span)
    return Runtime(tree, size)


def node(result: Static | Runtime) -> dict[str, Any]:
    return result.tree if isinstance(result, Runtime) else literal(result.value)


def is_literal(tree: dict[str, Any]) -> bool:
    """True when the tree reads nothing of the run (only literals, lists and maps of literals)."""
    return not any(True for _ in _refs(tree, literal_only=True))


def _refs(tree: Any, literal_only: bool = False) -> Iterator[tuple[str, str]]:
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
        elif isinstance(n, dict):
            for kind in ("param", "env", "bare", "output", "build"):
                if kind in n:
                    yield kind, str(n[kind])
            if literal_only and "op" in n:
                yield "op", str(n["op"])
            stack.extend(v for k, v in n.items() if k in ("args", "list", "map"))

"""The Groovy syntax tree our parser builds: plain slotted classes with source offsets (`start`, `end`).

Expressions keep enough structure for a Jenkinsfile reader (calls, their named and positional arguments,
closures, literals, strings with interpolations); the rest is kept as source text through the offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jenkins2flow.ir.nodes import Interp

# ---- expressions -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    start: int
    end: int


@dataclass(slots=True)
class Lit(Node):
    """A number, true/false/null, or a string without interpolation (`value` already decoded)."""

    value: object


@dataclass(slots=True)
class Str(Node):
    """A string with interpolations: literal parts and `Interp` references."""

    parts: tuple[str | Interp, ...]


@dataclass(slots=True)
class Name(Node):
    name: str


@dataclass(slots=True)
class Prop(Node):
    """`obj.name`, `obj?.name`, `obj*.name`, `obj.&name`."""

    obj: Node
    name: str
    op: str = "."


@dataclass(slots=True)
class Index(Node):
    obj: Node
    index: list[Node]


@dataclass(slots=True)
class Arg:
    """A call argument: `key` is set for a named one (`script: 'x'`)."""

    value: Node
    key: str | None = None


@dataclass(slots=True)
class Call(Node):
    """A method call. `obj` is the receiver (None for a bare `f(...)`), `closures` the trailing closures,
    `command` is True for a command expression without parentheses (`sh 'make'`)."""

    obj: Node | None
    name: str
    args: list[Arg] = field(default_factory=list)
    closures: list[ClosureExpr] = field(default_factory=list)
    command: bool = False
    parens: bool = False


@dataclass(slots=True)
class ClosureExpr(Node):
    params: list[str]
    body: list[Stmt]


@dataclass(slots=True)
class ListExpr(Node):
    items: list[Node]


@dataclass(slots=True)
class MapExpr(Node):
    entries: list[tuple[Node | str, Node]]  # key is a str for `a:` / `'a':`, a Node for `(expr):` and `*:`


@dataclass(slots=True)
class Unary(Node):
    op: str
    operand: Node
    postfix: bool = False


@dataclass(slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Ternary(Node):
    cond: Node
    then: Node | None  # None for elvis `a ?: b`
    other: Node


@dataclass(slots=True)
class Cast(Node):
    type: str
    operand: Node


@dataclass(slots=True)
class New(Node):
    type: str
    args: list[Arg]


@dataclass(slots=True)
class Raw(Node):
    """Source we keep as text only (a type, a class body...)."""

    what: str = ""


# ---- statements -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Stmt(Node):
    pass


@dataclass(slots=True)
class ExprStmt(Stmt):
    expr: Node


@dataclass(slots=True)
class VarDecl(Stmt):
    """`def x = 1`, `String a, b = 2`, `def (a, b) = f()`: `names` and one value per name (or a shared one)."""

    names: list[str]
    type: str
    value: Node | None
    modifiers: list[str] = field(default_factory=list)
    values: list[Node | None] = field(default_factory=list)


@dataclass(slots=True)
class Param:
    name: str
    type: str = ""
    default: Node | None = None


@dataclass(slots=True)
class MethodDef(Stmt):
    name: str
    params: list[Param]
    return_type: str
    body: list[Stmt]
    modifiers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ClassDef(Stmt):
    name: str
    kind: str  # class | interface | enum | trait


@dataclass(slots=True)
class Import(Stmt):
    path: str


@dataclass(slots=True)
class Annotation(Stmt):
    name: str
    args: list[Arg]


@dataclass(slots=True)
class If(Stmt):
    cond: Node
    then: list[Stmt]
    other: list[Stmt] | None


@dataclass(slots=True)
class Catch:
    type: str
    name: str
    body: list[Stmt]


@dataclass(slots=True)
class Try(Stmt):
    body: list[Stmt]
    catches: list[Catch]
    final: list[Stmt] | None


@dataclass(slots=True)
class For(Stmt):
    """`for (x in xs)` (kind "in", `var`, `iter`) or classic `for (init; cond; update)` (kind "classic")."""

    kind: str
    var: str
    iter: Node | None
    init: list[Stmt]
    cond: Node | None
    update: list[Node]
    body: list[Stmt]


@dataclass(slots=True)
class While(Stmt):
    cond: Node
    body: list[Stmt]
    do: bool = False


@dataclass(slots=True)
class Case:
    values: list[Node]  # empty for default
    body: list[Stmt]
    default: bool = False


@dataclass(slots=True)
class Switch(Stmt):
    subject: Node
    cases: list[Case]


@dataclass(slots=True)
class Jump(Stmt):
    """return / throw / break / continue / assert, with an optional value."""

    kind: str
    value: Node | None


@dataclass(slots=True)
class Block(Stmt):
    body: list[Stmt]


@dataclass(slots=True)
class Unparsed(Stmt):
    message: str


@dataclass(slots=True)
class ParseError:
    message: str
    start: int
    end: int


@dataclass(slots=True)
class Module:
    body: list[Stmt]
    errors: list[ParseError]

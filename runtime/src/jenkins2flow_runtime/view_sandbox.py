"""The Jinja sandbox that renders view SQL, with its work bounded: time, steps, text size and arithmetic.

Python cannot stop a thread, so the work itself is bounded. `BoundedSandbox` is jinja2's immutable sandbox where
- every loop iteration, call, attribute or item lookup, intercepted operator and output piece is a step: past the
  render's deadline or its step budget the render stops (`ViewLimit`);
- `**`, `*`, `+` and `%` are checked before they run: no integer above `MAX_INT_BITS` bits (`9**(9**9)`), no
  string or list above the size cap (`'x' * 10**10`), no `%` format with a width above it;
- `~`, joined blocks and the output itself are measured as they are built, and the str methods and filters that pad
  or repeat (`ljust`, `center`, `replace`, `join`, `format`, `indent`, `batch`, `slice`...) are checked first;
- `range()` keeps jinja2's own cap of 100,000 items.
Limits apply inside `budget(...)`; `views.render_sql` opens one per render and turns every failure into the view's
own error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import pass_eval_context

RENDER_SECONDS = 10.0
MAX_STEPS = 10_000_000
MAX_CHARS = 5_000_000  # characters of SQL, and items of a list or string built while rendering
MAX_INT_BITS = 10_000  # about 3,000 digits: Python refuses to print integers above 4,300 digits anyway

_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")
_PADDERS = {"ljust", "rjust", "center", "zfill"}


class ViewLimit(SecurityError):
    """A render that went past one of its limits."""


@dataclass(slots=True)
class _Budget:
    deadline: float
    seconds: float
    steps_left: int
    max_chars: int


_BUDGET: ContextVar[_Budget | None] = ContextVar("jenkins2flow_view_budget", default=None)


@contextmanager
def budget(seconds: float = RENDER_SECONDS, max_chars: int = MAX_CHARS, steps: int = MAX_STEPS) -> Iterator[None]:
    """Bound the renders done inside this block (the sandbox alone bounds nothing)."""
    token = _BUDGET.set(_Budget(time.monotonic() + seconds, seconds, steps, max_chars))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def step() -> None:
    b = _BUDGET.get()
    if b is None:
        return
    b.steps_left -= 1
    if b.steps_left < 0:
        raise ViewLimit(f"rendering took more than {MAX_STEPS:,} steps (loop turns, calls, lookups)")
    if time.monotonic() > b.deadline:
        raise ViewLimit(f"rendering took more than {b.seconds:g} s")


def _cap() -> int:
    b = _BUDGET.get()
    return b.max_chars if b is not None else MAX_CHARS


def _refuse_size(size: int, what: str) -> None:
    if size > _cap():
        raise ViewLimit(f"{what} would be {size:,} long, above the limit of {_cap():,}")


def check_text(value: Any) -> Any:
    """`value` itself, once its length is within the size cap."""
    if isinstance(value, str | list | tuple):
        _refuse_size(len(value), "a value")
    return value


def _sized(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints and right > 0 and abs(left) > 1:
        bits = left.bit_length() * right
        if bits > MAX_INT_BITS:
            raise ViewLimit(f"{left} ** {right} would have about {bits:,} bits, above the limit of {MAX_INT_BITS:,}")
    elif operator == "*":
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise ViewLimit(f"a product would have more than {MAX_INT_BITS:,} bits")
        for seq, times in ((left, right), (right, left)):
            if _sized(seq) and isinstance(times, int):
                _refuse_size(len(seq) * times, "a repeated string or list")
    elif operator == "+" and _sized(left) and _sized(right):
        _refuse_size(len(left) + len(right), "a joined string or list")
    elif operator == "%" and isinstance(left, str):
        args = right if isinstance(right, tuple) else (right,)
        _check_format(left, args)


def _check_format(fmt: str, args: Iterable[Any]) -> None:
    """`%` formats and `{:...}` specs whose width or precision (or a `*` argument) is above the size cap."""
    for m in _FORMAT_SPEC.finditer(fmt):
        for width in m.groups():
            if width and width != "*":
                _refuse_size(int(width), "a formatted value")
    if "*" in fmt:
        for arg in args:
            if isinstance(arg, int):
                _refuse_size(arg, "a formatted value")
    for m in _BRACE_SPEC.finditer(fmt):
        _refuse_size(int(m.group(1)), "a formatted value")


def _check_str_call(method: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The str methods that can build a string much larger than their inputs, checked before they run; returns
    the arguments to call with (an iterable given to `join` is read once, into a list)."""
    bound = getattr(method, "__wrapped__", method)  # the sandbox wraps str.format
    owner = getattr(bound, "__self__", None)
    name = getattr(bound, "__name__", "")
    if not isinstance(owner, str):
        return args
    first = args[0] if args else None
    if name in _PADDERS and isinstance(first, int):
        _refuse_size(first, f"str.{name}()")
    elif name == "expandtabs":
        _refuse_size(owner.count("\t") * (first if isinstance(first, int) else 8) + len(owner), "str.expandtabs()")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        hits = len(owner) + 1 if args[0] == "" else owner.count(args[0])
        _refuse_size(len(owner) + hits * len(args[1]), "str.replace()")
    elif name == "join" and first is not None:
        items = list(first)
        _refuse_size(sum(len(i) for i in items if isinstance(i, str)) + len(owner) * len(items), "str.join()")
        return (items, *args[1:])
    elif name in ("format", "format_map"):
        _check_format(owner, args)
    return args


class _BoundedCodeGenerator(CodeGenerator):
    """jinja2's code generator with every `for` loop counting its turns and every `~` measuring its result."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):  # `for x in y` -> `for x in environment.counted(y)`
            counted = nodes.EnvironmentAttribute("counted", lineno=loop.iter.lineno)
            loop.iter = nodes.Call(counted, [loop.iter], [], None, None, lineno=loop.iter.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.check_text(")
        super().visit_Concat(node, frame)
        self.write(")")


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
    items = list(value)  # once: a generator given here would be spent by the measuring
    if attribute is None:
        _refuse_size(sum(len(str(i)) for i in items) + len(d) * len(items), "the join filter")
    return check_text(jinja_filters.sync_do_join(eval_ctx, items, d, attribute))


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None) -> str:
    text = str(s)
    hits = len(text) + 1 if old == "" else text.count(str(old))
    _refuse_size(len(text) + min(hits, count if count is not None and count >= 0 else hits) * len(str(new)),
                 "the replace filter")
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


def _center(value: str, width: int = 80) -> str:
    _refuse_size(width if isinstance(width, int) else 0, "the center filter")
    return jinja_filters.do_center(value, width)


def _indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    per = width if isinstance(width, int) else len(str(width))
    _refuse_size(len(str(s)) + per * (str(s).count("\n") + 1), "the indent filter")
    return jinja_filters.do_indent(s, width, first, blank)


def _batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _refuse_size(linecount if isinstance(linecount, int) else 0, "the batch filter")
    return jinja_filters.do_batch(value, linecount, fill_with)


def _slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _refuse_size(slices if isinstance(slices, int) else 0, "the slice filter")
    return jinja_filters.sync_do_slice(list(value), slices, fill_with)


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    _check_format(str(value), args)
    return check_text(jinja_filters.do_format(value, *args, **kwargs))


# The filters that can build a value much larger than their input, checked before they run.
_CHECKED_FILTERS: dict[str, Callable[..., Any]] = {
    "join": _join, "replace": _replace, "center": _center, "indent": _indent, "batch": _batch, "slice": _slice,
    "format": _format,
}


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters.update(_CHECKED_FILTERS)

    def counted(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            step()
            yield item

    def check_text(self, value: Any) -> Any:
        step()
        return check_text(value)

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]  # a method where jinja2 has "".join
        """Joins the pieces of a block (`{% filter %}`, `{% set %}...{% endset %}`, a macro's body)."""
        return check_text("".join(parts))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        step()
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        step()
        args = _check_str_call(__obj, args)
        return check_text(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        step()
        return super().getitem(obj, argument)

"""Groovy value semantics, as Jenkins' Groovy (2.4) applies them, for the run-time expression evaluator.

Values are plain Python: None (null), bool, int (Integer/Long), `Decimal` (BigDecimal: Groovy's `1.5` and the result
of `/`), str, list and dict (LinkedHashMap, insertion order). Doubles are not modelled.

What Groovy does is reproduced where it is cheap to be exact: toString (`[a, b]`, `[k:v]`, `null`), truth, `==`
across numeric types, `+` on strings, lists and maps, BigDecimal division (exact results only), Java's `String.split`
and `trim`, `replaceAll` with Java's `$1` replacements. Where Groovy's behaviour is costly to reproduce (32-bit
integer overflow, non-terminating division, `%` on BigDecimal) the operation raises `GroovyError`, so a condition
that depends on it fails closed instead of computing something Jenkins would not.

Every operation is bounded (`Budget`): strings, lists, integers and decimals have size limits, and regular
expressions must be literals from the Jenkinsfile (checked by the tree validator in `expressions`).
"""

from __future__ import annotations

import re
import re._constants as _sre_c  # the parsed form of a pattern, to refuse nested repetitions
import re._parser as _sre
from collections.abc import Callable
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from functools import lru_cache
from typing import Any

MAX_STRING = 100_000  # characters in any string an expression builds
MAX_ITEMS = 10_000  # items in any list or map
MAX_DIGITS = 60  # digits of a BigDecimal
MAX_STEPS = 20_000  # units of work per evaluation (nodes, characters copied / 1000, items)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # Groovy Integer: results outside it wrap in Groovy; we refuse them
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1

_DEC = Context(prec=MAX_DIGITS * 2, traps=[InvalidOperation, DivisionByZero, Overflow])


class GroovyError(Exception):
    """An operation that fails in Groovy too (a NullPointerException, a bad number...) or that this evaluator does
    not reproduce; the message says which."""


class Budget:
    """The work one evaluation may do; `charge` raises once it is spent."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps

    def charge(self, units: int = 1) -> None:
        self.left -= units
        if self.left < 0:
            raise GroovyError(f"the expression does more than {MAX_STEPS} units of work")

    def string(self, s: str) -> str:
        if len(s) > MAX_STRING:
            raise GroovyError(f"the expression builds a string longer than {MAX_STRING} characters")
        self.charge(1 + len(s) // 1000)
        return s

    def items(self, n: int) -> None:
        if n > MAX_ITEMS:
            raise GroovyError(f"the expression builds a list or map of more than {MAX_ITEMS} items")
        self.charge(1 + n // 10)


# ---- types, toString, truth, equality ---------------------------------------------------------------------------


def is_number(v: Any) -> bool:
    return isinstance(v, int | Decimal) and not isinstance(v, bool)


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "Boolean"
    if isinstance(v, int):
        return "Integer" if INT_MIN <= v <= INT_MAX else "Long"
    if isinstance(v, Decimal):
        return "BigDecimal"
    if isinstance(v, str):
        return "String"
    if isinstance(v, list):
        return "List"
    if isinstance(v, dict):
        return "Map"
    return type(v).__name__


def to_str(v: Any) -> str:
    """Groovy's toString as a GString or `String + x` uses it: null -> "null", lists "[a, b]", maps "[k:v]"."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return str(v)  # Python's to-sci-string is Java's BigDecimal.toString (both from the decimal spec)
    if isinstance(v, list):
        return "[" + ", ".join(to_str(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "[:]"
        return "[" + ", ".join(f"{to_str(k)}:{to_str(x)}" for k, x in v.items()) + "]"
    raise GroovyError(f"a {type_name(v)} value has no Groovy string form here")


def truth(v: Any) -> bool:
    """Groovy truth: null, false, 0, "" and empty collections are false."""
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | Decimal):
        return v != 0
    if isinstance(v, str | list | dict):
        return len(v) > 0
    return True


def equals(a: Any, b: Any) -> bool:
    """Groovy `==`: numbers by value across Integer/Long/BigDecimal, strings by content, lists and maps element by
    element, null only equals null, a Boolean never equals a number or a string."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equals(a[k], b[k]) for k in a)
    return False


def compare(a: Any, b: Any) -> int:
    """Groovy's compareTo for `<`, `<=>`...: numbers with numbers, strings with strings, booleans with booleans;
    null sorts first."""
    if a is None or b is None:
        return 0 if a is b else (-1 if a is None else 1)
    if is_number(a) and is_number(b) or isinstance(a, str) and isinstance(b, str) or \
            isinstance(a, bool) and isinstance(b, bool):
        return (a > b) - (a < b)
    raise GroovyError(f"cannot compare {type_name(a)} with {type_name(b)}")


# ---- numbers ---------------------------------------------------------------------------------------------------------


def _int(v: int) -> int:
    if not INT_MIN <= v <= INT_MAX:
        raise GroovyError(f"the integer result {v} is outside Groovy's 32-bit Integer range, where Groovy wraps "
                          "around; that is not reproduced")
    return v


def _dec(v: Decimal) -> Decimal:
    if len(v.as_tuple().digits) > MAX_DIGITS or abs(v.adjusted()) > 1000:
        raise GroovyError(f"the BigDecimal result has more than {MAX_DIGITS} digits")
    return v


def _number(v: Any, op: str) -> int | Decimal:
    if not is_number(v):
        raise GroovyError(f"operator {op!r} needs numbers here, not {type_name(v)}")
    return v  # type: ignore[no-any-return]


def _num_result(a: int | Decimal, b: int | Decimal, op: Callable[[Any, Any], Any]) -> int | Decimal:
    if isinstance(a, int) and isinstance(b, int):
        return _int(op(a, b))
    with localcontext(_DEC) as ctx:  # exact BigDecimal arithmetic, never the thread's 28-digit rounding
        ctx.clear_flags()
        result = op(Decimal(a), Decimal(b))
        if ctx.flags[Inexact]:
            raise GroovyError(f"the BigDecimal result has more than {MAX_DIGITS} digits")
    return _dec(result)


def divide(a: Any, b: Any) -> Decimal:
    """Groovy `/` on Integer/BigDecimal: an exact BigDecimal (Java's BigDecimal.divide, whose preferred scale is
    Python's ideal exponent); a non-terminating result (1/3) is refused, Groovy's 10-digit rounding is not copied."""
    x, y = Decimal(_number(a, "/")), Decimal(_number(b, "/"))
    if y == 0:
        raise GroovyError("division by zero")
    ctx = _DEC.copy()
    ctx.clear_flags()
    result = ctx.divide(x, y)
    if ctx.flags[Inexact]:
        raise GroovyError(f"{to_str(a)} / {to_str(b)} does not terminate; Groovy's rounding of it is not reproduced")
    return _dec(result)


def binary(op: str, a: Any, b: Any, budget: Budget) -> Any:
    """The arithmetic operators + - * / % ** and intdiv."""
    if op == "+":
        return plus(a, b, budget)
    if op == "-":
        if isinstance(a, str):
            return a.replace(to_str(b), "", 1)
        if isinstance(a, list):
            drop = b if isinstance(b, list) else [b]
            return [x for x in a if not any(equals(x, d) for d in drop)]
        return _num_result(_number(a, op), _number(b, op), lambda x, y: x - y)
    if op == "*":
        if isinstance(a, str | list) and isinstance(b, int) and not isinstance(b, bool):
            if b < 0:
                raise GroovyError("cannot multiply a string or list by a negative number")
            size = len(a) * b
            if isinstance(a, str):
                if size > MAX_STRING:
                    raise GroovyError(f"the expression builds a string longer than {MAX_STRING} characters")
                return budget.string(a * b)
            budget.items(size)
            return a * b
        return _num_result(_number(a, op), _number(b, op), lambda x, y: x * y)
    if op == "/":
        return divide(a, b)
    if op in ("%", "intdiv"):
        x, y = _number(a, op), _number(b, op)
        if not (isinstance(x, int) and isinstance(y, int)):
            raise GroovyError(f"'{op}' on a BigDecimal fails in Jenkins' Groovy")
        if y == 0:
            raise GroovyError("division by zero")
        if op == "%":
            return _int(_sign(x) * (abs(x) % abs(y)))  # Java's remainder takes the dividend's sign
        return _int(_sign(x) * _sign(y) * (abs(x) // abs(y)))
    if op == "**":
        return power(a, b)
    raise GroovyError(f"unknown operator {op!r}")


def _sign(v: int) -> int:
    return -1 if v < 0 else 1


def power(a: Any, b: Any) -> int | Decimal:
    x, n = _number(a, "**"), _number(b, "**")
    if not isinstance(n, int) or n < 0:
        raise GroovyError("'**' with a negative or fractional exponent gives a Double in Groovy; not reproduced")
    if isinstance(x, int):
        if abs(x) > 1 and n > 64:
            raise GroovyError("'**' result is too large")
        return _int(x**n)
    if n > MAX_DIGITS or len(x.as_tuple().digits) * n > MAX_DIGITS * 2:
        raise GroovyError("'**' result is too large")
    return _dec(_DEC.power(x, n))


def negate(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return _int(-v)
    if isinstance(v, Decimal):
        return v.copy_negate()
    raise GroovyError(f"cannot negate {type_name(v)}")


def plus(a: Any, b: Any, budget: Budget) -> Any:
    """Groovy `+`: a String on either side concatenates with toString ("a" + null -> "anull", 1 + "a" -> "1a"),
    lists append, maps merge, numbers add."""
    if isinstance(a, str) or (a is None and isinstance(b, str)):
        return budget.string(to_str(a) + to_str(b))
    if isinstance(b, str) and is_number(a):
        return budget.string(to_str(a) + b)
    if isinstance(a, list):
        out = a + b if isinstance(b, list) else [*a, b]
        budget.items(len(out))
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        merged = {**a, **b}
        budget.items(len(merged))
        return merged
    if is_number(a) and is_number(b):
        return _num_result(a, b, lambda x, y: x + y)
    raise GroovyError(f"cannot add {type_name(b)} to {type_name(a)}")


# ---- regular expressions (Java syntax, literal patterns only) -----------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


@lru_cache(maxsize=512)
def regex(pattern: str) -> re.Pattern[str]:
    """A Java regular expression as a Python one (named groups `(?<n>...)` translated); anything Python's `re`
    reads differently from Java and rejects (`\\p{Alpha}`...) raises GroovyError. A repetition inside a repetition
    (`(a+)+`) is refused: Python's `re` has no time limit, and such a pattern can take exponential time."""
    if len(pattern) > 1000:
        raise GroovyError("the regular expression is longer than 1000 characters")
    translated = _NAMED_GROUP.sub("(?P<", pattern)
    try:
        compiled = re.compile(translated)
        nested = _nested_repeat(_sre.parse(translated), 0)
    except re.error as exc:
        raise GroovyError(f"the regular expression {pattern!r} is not supported here: {exc}") from None
    if nested:
        raise GroovyError(f"the regular expression {pattern!r} repeats a repetition, which may take exponential "
                          "time; it is not evaluated")
    return compiled


_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT}


def _nested_repeat(items: Any, depth: int) -> bool:
    """True when an unbounded (or long) backtracking repetition sits inside another one."""
    for op, arg in items:
        if op in _REPEATS:
            low, high, sub = arg
            inner = depth + (1 if high == _sre_c.MAXREPEAT or high > 16 else 0)
            if inner > 1 or _nested_repeat(sub, inner):
                return True
        elif op == _sre_c.SUBPATTERN:
            if _nested_repeat(arg[-1], depth):
                return True
        elif op == _sre_c.BRANCH:
            if any(_nested_repeat(branch, depth) for branch in arg[1]):
                return True
        elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            if _nested_repeat(arg[1], depth):
                return True
    return False


def _java_replacement(repl: str) -> Callable[[re.Match[str]], str]:
    """Java's Matcher replacement syntax: `$1`, `${name}`, and `\\x` for a literal x."""
    pieces: list[tuple[bool, str | int]] = []  # (is a group reference, text or group)
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            pieces.append((False, repl[i + 1]))
            i += 2
        elif c == "$":
            m = re.match(r"\{(\w+)\}|(\d)", repl[i + 1:])
            if m is None:
                raise GroovyError(f"illegal group reference in replacement {repl!r}")
            pieces.append((True, m.group(1) if m.group(1) else int(m.group(2))))
            i += 1 + m.end()
        else:
            pieces.append((False, c))
            i += 1

    def expand(m: re.Match[str]) -> str:
        out = []
        for is_group, p in pieces:
            if not is_group:
                out.append(str(p))
                continue
            try:
                out.append(m.group(p) or "")
            except IndexError:
                raise GroovyError(f"no group {p} in the regular expression") from None
        return "".join(out)

    return expand


def java_split(s: str, pattern: str, limit: int = 0) -> list[str]:
    """Java's String.split(regex, limit): no leading empty string for a zero-width match at 0; trailing empty
    strings removed when limit is 0; the whole string when nothing matches."""
    if s == "":
        return [""]
    rx = regex(pattern)
    parts: list[str] = []
    pos = 0
    for m in rx.finditer(s):
        if limit > 0 and len(parts) == limit - 1:
            break
        if m.end() == 0:
            continue
        parts.append(s[pos:m.start()])
        pos = m.end()
    parts.append(s[pos:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def java_trim(s: str) -> str:
    """Java's String.trim: removes characters up to U+0020 at both ends (not other Unicode spaces)."""
    start, end = 0, len(s)
    while start < end and s[start] <= " ":
        start += 1
    while end > start and s[end - 1] <= " ":
        end -= 1
    return s[start:end]


_JAVA_INT = re.compile(r"[+-]?[0-9]+")


def to_integer(s: str, low: int = INT_MIN, high: int = INT_MAX, trim: bool = True) -> int:
    """Groovy's String.toInteger(): Integer.valueOf of the trimmed text (Integer.parseInt: untrimmed)."""
    text = java_trim(s) if trim else s
    if not _JAVA_INT.fullmatch(text) or len(text) > 25 or not low <= int(text) <= high:
        raise GroovyError(f"For input string: {text!r} (NumberFormatException)")
    return int(text)


def to_boolean(s: str) -> bool:
    """Groovy's String.toBoolean(): "true" (any case), "y" (any case) or "1", after trimming."""
    t = java_trim(s)
    return t.lower() in ("true", "y") or t == "1"


def _tokenize(s: str, delims: str = " \t\n\r\f") -> list[str]:
    return [t for t in re.split("[" + re.escape(delims) + "]", s) if t] if delims else ([s] if s else [])


def _lines(s: str) -> list[str]:
    out = re.split(r"\r\n|\r|\n", s)
    if out and out[-1] == "":
        out.pop()
    return out


def _index(s: str | list[Any], i: Any, what: str) -> int:
    if not isinstance(i, int) or isinstance(i, bool):
        raise GroovyError(f"{what} needs an integer, not {type_name(i)}")
    return i


def _substring(s: str, begin: Any, end: Any = None) -> str:
    b = _index(s, begin, "substring()")
    e = len(s) if end is None else _index(s, end, "substring()")
    if b < 0 or e > len(s) or b > e:
        raise GroovyError(f"substring({b}, {e}) is out of range for a string of length {len(s)}")
    return s[b:e]


def _pad(s: str, n: Any, pad: str, left: bool) -> str:
    width = _index(s, n, "padLeft()/padRight()")
    if not pad:
        raise GroovyError("the padding must not be empty")
    if width > MAX_STRING:
        raise GroovyError(f"the expression builds a string longer than {MAX_STRING} characters")
    missing = width - len(s)
    if missing <= 0:
        return s
    fill = (pad * (missing // len(pad) + 1))[:missing]
    return fill + s if left else s + fill


def _str_arg(v: Any, method: str) -> str:
    if not isinstance(v, str):
        raise GroovyError(f"{method}() needs a String argument, not {type_name(v)}")
    return v


def _replace_all(s: str, pattern: str, repl: str, count: int = 0) -> str:
    return regex(pattern).sub(_java_replacement(repl), s, count=count)


# Methods by receiver type: name -> (fewest args, most args, implementation(receiver, *args)).
_Method = tuple[int, int, Callable[..., Any]]
STRING_METHODS: dict[str, _Method] = {
    "trim": (0, 0, java_trim),
    "toLowerCase": (0, 0, str.lower),
    "toUpperCase": (0, 0, str.upper),
    "toString": (0, 0, lambda s: s),
    "size": (0, 0, len),
    "length": (0, 0, len),
    "isEmpty": (0, 0, lambda s: s == ""),
    "contains": (1, 1, lambda s, x: _str_arg(x, "contains") in s),
    "startsWith": (1, 1, lambda s, x: s.startswith(_str_arg(x, "startsWith"))),
    "endsWith": (1, 1, lambda s, x: s.endswith(_str_arg(x, "endsWith"))),
    "equals": (1, 1, lambda s, x: isinstance(x, str) and s == x),
    "equalsIgnoreCase": (1, 1, lambda s, x: isinstance(x, str) and s.lower() == x.lower()),
    "indexOf": (1, 1, lambda s, x: s.find(_str_arg(x, "indexOf"))),
    "lastIndexOf": (1, 1, lambda s, x: s.rfind(_str_arg(x, "lastIndexOf"))),
    "replace": (2, 2, lambda s, a, b: s.replace(_str_arg(a, "replace"), _str_arg(b, "replace"))),
    "replaceAll": (2, 2, lambda s, p, r: _replace_all(s, _str_arg(p, "replaceAll"), _str_arg(r, "replaceAll"))),
    "replaceFirst": (2, 2, lambda s, p, r: _replace_all(s, _str_arg(p, "replaceFirst"), _str_arg(r, "replaceFirst"),
                                                        1)),
    "matches": (1, 1, lambda s, p: regex(_str_arg(p, "matches")).fullmatch(s) is not None),
    "split": (0, 2, lambda s, p=None, n=0: _tokenize(s) if p is None else java_split(s, _str_arg(p, "split"),
                                                                                      _index(s, n, "split()"))),
    "tokenize": (0, 1, lambda s, d=" \t\n\r\f": _tokenize(s, _str_arg(d, "tokenize"))),
    "readLines": (0, 0, _lines),
    "substring": (1, 2, _substring),
    "take": (1, 1, lambda s, n: s[:max(_index(s, n, "take()"), 0)]),
    "drop": (1, 1, lambda s, n: s[max(_index(s, n, "drop()"), 0):]),
    "toInteger": (0, 0, to_integer),
    "toLong": (0, 0, lambda s: to_integer(s, LONG_MIN, LONG_MAX)),
    "isInteger": (0, 0, lambda s: _JAVA_INT.fullmatch(java_trim(s)) is not None
                  and INT_MIN <= int(java_trim(s)) <= INT_MAX),
    "toBoolean": (0, 0, to_boolean),
    "capitalize": (0, 0, lambda s: s[:1].upper() + s[1:]),
    "reverse": (0, 0, lambda s: s[::-1]),
    "padLeft": (1, 2, lambda s, n, p=" ": _pad(s, n, _str_arg(p, "padLeft"), True)),
    "padRight": (1, 2, lambda s, n, p=" ": _pad(s, n, _str_arg(p, "padRight"), False)),
    # Java's static parsers, applied to their String argument (names with a dot are not Groovy methods)
    "Integer.parseInt": (0, 0, lambda s: to_integer(s, trim=False)),
    "Boolean.parseBoolean": (0, 0, lambda s: s.lower() == "true"),
}


def _list_get(xs: list[Any], i: Any) -> Any:
    """Groovy's List.getAt: negative indexes count from the end; out of range is null."""
    n = _index(xs, i, "a list index")
    if n < 0:
        n += len(xs)
    return xs[n] if 0 <= n < len(xs) else None


def _first(xs: list[Any], last: bool = False) -> Any:
    if not xs:
        raise GroovyError(f"Cannot access {'last' if last else 'first'}() element from an empty List")
    return xs[-1] if last else xs[0]


LIST_METHODS: dict[str, _Method] = {
    "size": (0, 0, len),
    "isEmpty": (0, 0, lambda xs: not xs),
    "contains": (1, 1, lambda xs, x: any(equals(x, y) for y in xs)),
    "join": (0, 1, lambda xs, sep="": _str_arg(sep, "join").join(to_str(x) for x in xs)),
    "first": (0, 0, _first),
    "last": (0, 0, lambda xs: _first(xs, last=True)),
    "get": (1, 1, lambda xs, i: xs[_checked_index(xs, i)]),
    "getAt": (1, 1, _list_get),
    "indexOf": (1, 1, lambda xs, x: next((i for i, y in enumerate(xs) if equals(x, y)), -1)),
    "reverse": (0, 0, lambda xs: xs[::-1]),
    "take": (1, 1, lambda xs, n: xs[:max(_index(xs, n, "take()"), 0)]),
    "drop": (1, 1, lambda xs, n: xs[max(_index(xs, n, "drop()"), 0):]),
    "toString": (0, 0, to_str),
}


def _checked_index(xs: list[Any], i: Any) -> int:
    n = _index(xs, i, "get()")
    if not 0 <= n < len(xs):
        raise GroovyError(f"Index {n} out of bounds for length {len(xs)}")
    return n


MAP_METHODS: dict[str, _Method] = {
    "size": (0, 0, len),
    "isEmpty": (0, 0, lambda m: not m),
    "containsKey": (1, 1, lambda m, k: k in m),
    # get(key, default): Groovy's DefaultGroovyMethods.get, the default when the key is missing (it also stores it in
    # the map: a later read of the same map sees it, which the evaluator of immutable values does not follow)
    "get": (1, 2, lambda m, k, *default: m[k] if k in m else (default[0] if default else None)),
    "keySet": (0, 0, lambda m: list(m)),
    "values": (0, 0, lambda m: list(m.values())),
    "toString": (0, 0, to_str),
}

NUMBER_METHODS: dict[str, _Method] = {
    "toString": (0, 0, to_str),
    "toInteger": (0, 0, lambda n: _int(int(n))),
    "intValue": (0, 0, lambda n: _int(int(n))),
    "abs": (0, 0, lambda n: _int(abs(n)) if isinstance(n, int) else n.copy_abs()),
    "intdiv": (1, 1, lambda n, d: binary("intdiv", n, d, Budget())),
}

BOOLEAN_METHODS: dict[str, _Method] = {
    "toString": (0, 0, to_str),
    "booleanValue": (0, 0, lambda b: b),
}

# Methods whose first argument is a regular expression (the tree validator requires a literal there).
REGEX_METHODS = frozenset({"replaceAll", "replaceFirst", "matches", "split"})


def methods_for(v: Any) -> dict[str, _Method]:
    if isinstance(v, str):
        return STRING_METHODS
    if isinstance(v, bool):
        return BOOLEAN_METHODS
    if is_number(v):
        return NUMBER_METHODS
    if isinstance(v, list):
        return LIST_METHODS
    if isinstance(v, dict):
        return MAP_METHODS
    return {}


ALL_METHODS = frozenset(STRING_METHODS) | frozenset(LIST_METHODS) | frozenset(MAP_METHODS) | \
    frozenset(NUMBER_METHODS) | frozenset(BOOLEAN_METHODS)


def call_method(target: Any, name: str, args: list[Any], budget: Budget) -> Any:
    """`target.name(args)` for the methods listed above; a null target is Groovy's NullPointerException."""
    if target is None:
        raise GroovyError(f"Cannot invoke method {name}() on null object")
    table = methods_for(target)
    entry = table.get(name)
    if entry is None:
        raise GroovyError(f"No signature of method: {type_name(target)}.{name}() is supported here")
    low, high, impl = entry
    if not low <= len(args) <= high:
        raise GroovyError(f"{type_name(target)}.{name}() takes {low if low == high else f'{low} to {high}'} "
                          f"argument(s), not {len(args)}")
    budget.charge(1 + (len(target) // 1000 if isinstance(target, str | list | dict) else 0))
    result = impl(target, *args)
    if isinstance(result, str):
        return budget.string(result)
    if isinstance(result, list):
        budget.items(len(result))
    return result


def get_index(target: Any, key: Any) -> Any:
    """`target[key]`: lists (negative from the end, null past the end), strings (a one-character string), maps."""
    if target is None:
        raise GroovyError(f"Cannot get index {to_str(key)!r} of a null object")
    if isinstance(target, list):
        return _list_get(target, key)
    if isinstance(target, str):
        n = _index(target, key, "a string index")
        if not -len(target) <= n < len(target):
            raise GroovyError(f"String index out of range: {n}")
        return target[n]
    if isinstance(target, dict):
        return target.get(key)
    raise GroovyError(f"cannot index a {type_name(target)}")


def get_property(target: Any, name: str) -> Any:
    """`target.name` on a map (its entry, or null)."""
    if target is None:
        raise GroovyError(f"Cannot get property {name!r} on null object")
    if isinstance(target, dict):
        return target.get(name)
    raise GroovyError(f"No such property: {name} for class: {type_name(target)}")


def is_case(container: Any, item: Any) -> bool:
    """Groovy `item in container` (container.isCase(item)): a list contains it, a map's value for it is true,
    a string equals its toString."""
    if isinstance(container, list):
        return any(equals(item, x) for x in container)
    if isinstance(container, dict):
        return truth(container.get(item))
    if isinstance(container, str):
        return item is not None and container == to_str(item)
    if container is None:
        return item is None
    raise GroovyError(f"'in' is not supported on a {type_name(container)}")


CAST_TYPES = frozenset({"String", "Integer", "int", "Long", "long", "Boolean", "boolean", "BigDecimal"})


def cast(type_: str, v: Any, coerce: bool) -> Any:
    """`v as Type` (coerce=True: Groovy's asType, which parses strings) or `(Type) v` (a plain cast)."""
    if type_ not in CAST_TYPES:
        raise GroovyError(f"conversion to {type_} is not supported here")
    if v is None:
        return False if type_ == "boolean" else None
    if type_ == "String":
        return to_str(v)
    if type_ in ("Boolean", "boolean"):
        if isinstance(v, bool):
            return v
        if coerce:
            return truth(v)
        raise GroovyError(f"Cannot cast object of class {type_name(v)} to class {type_}")
    if isinstance(v, bool):
        raise GroovyError(f"Cannot cast object of class Boolean to class {type_}")
    low, high = (INT_MIN, INT_MAX) if type_ in ("Integer", "int") else (LONG_MIN, LONG_MAX)
    if type_ == "BigDecimal":
        if is_number(v):
            return Decimal(v)
        if isinstance(v, str) and coerce:
            try:
                return _dec(Decimal(java_trim(v)))
            except InvalidOperation:
                raise GroovyError(f"For input string: {v!r} (NumberFormatException)") from None
        raise GroovyError(f"Cannot cast object of class {type_name(v)} to class BigDecimal")
    if isinstance(v, int):
        if not low <= v <= high:
            raise GroovyError(f"{v} does not fit in a {type_}")
        return v
    if isinstance(v, Decimal):
        return cast(type_, int(v), coerce)
    if isinstance(v, str) and coerce:
        return to_integer(v, low, high)
    raise GroovyError(f"Cannot cast object of class {type_name(v)} to class {type_}")

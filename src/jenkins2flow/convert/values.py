"""Reading IR values (Groovy literals, GStrings, expressions, calls kept as text) as plain Python."""

from __future__ import annotations

import re
from typing import Any

from jenkins2flow.ir import Closure, Expr, GString, Plugin, Step

_CALL = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\((.*)\)\s*$", re.S)
_KV = re.compile(r"([A-Za-z_]\w*)\s*:\s*(?:'([^']*)'|\"([^\"]*)\"|([\w.\-]+))")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, GString):
        return value.text
    if isinstance(value, Expr):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, tuple | list):
        return ",".join(text(v) for v in value)
    return str(value)


def boolean(value: Any) -> bool | None:
    """A Jenkins boolean option's value as Jenkins reads it (`true`/`false`, any case and spaces), else None."""
    word = text(value).strip().lower()
    return word == "true" if word in ("true", "false") else None


def literal(value: Any) -> Any:
    """A plain Python value for JSON: GStrings as their text, tuples as lists, expressions as their source."""
    if isinstance(value, GString | Expr):
        return text(value)
    if isinstance(value, tuple | list):
        return [literal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): literal(v) for k, v in value.items()}
    if isinstance(value, Closure):
        return "{...}"
    if isinstance(value, Step):
        return {"call": value.name, **{k: literal(v) for k, v in value.kwargs}}
    return value


def call(value: Any) -> tuple[str, dict[str, Any]] | None:
    """A call used as a value (`usernamePassword(credentialsId: 'x', ...)`) as (name, named args), if it is one."""
    if isinstance(value, Step):
        kw = {k: text(v) for k, v in value.kwargs}
        if value.args and "value" not in kw:
            kw["value"] = text(value.args[0])
        return value.name, kw
    if isinstance(value, dict) and ("$class" in value or "class" in value):
        name = str(value.get("$class") or value.get("class"))
        return name.rsplit(".", 1)[-1], {str(k): text(v) for k, v in value.items()}
    if isinstance(value, Expr):
        m = _CALL.match(value.text)
        if m:
            kw = {k: a or b or c for k, a, b, c in _KV.findall(m.group(2))}
            if not kw:
                inner = m.group(2).strip().strip("'\"")
                kw["value"] = inner
            return m.group(1), kw
    return None


def arg(node: Step | Plugin, key: str, default: Any = None) -> Any:
    """A named argument (step) or field (plugin); for steps the first positional argument stands for `key`."""
    if isinstance(node, Plugin):
        return node.field(key, default)
    value = node.kwarg(key)
    if value is None and node.args and not isinstance(node.args[0], Closure):
        value = node.args[0]
    return default if value is None else value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, tuple | list):
        return list(value)
    return [value]


def split_names(value: Any) -> list[str]:
    return [p.strip() for v in as_list(value) for p in re.split(r"[,\s]+", text(v)) if p.strip()]

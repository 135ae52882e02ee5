"""Parameter resolution: task defaults < template defaults < pipeline bindings < run conf, checked against types.

Every value a task sees is validated against the parameter it was declared as. Run conf can only set declared
parameters (or bound ones): a run conf cannot inject arbitrary environment variables such as PATH.
No Airflow import here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_INT_RE = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


class ParameterError(ValueError):
    """A parameter value that does not fit its declaration; the message names the parameter and the layer."""


def declared_map(*layers: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Merge parameter declarations (dicts of ParamSpec fields); later layers override earlier ones by name."""
    out: dict[str, Mapping[str, Any]] = {}
    for layer in layers:
        for p in layer:
            out[p["name"]] = p
    return out


def coerce(spec: Mapping[str, Any], value: Any, origin: str) -> Any:
    """`value` as the declared type of `spec`; strings from Jenkins-style forms are converted when unambiguous."""
    name, ptype = spec["name"], spec.get("type", "string")
    if value is None:
        if spec.get("required"):
            raise ParameterError(f"Parameter {name!r} is required and has no value (checked after {origin}).")
        return None
    if ptype == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ParameterError(f"Parameter {name!r} must be a boolean (true/false), got {value!r} from {origin}.")
    if ptype == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        raise ParameterError(f"Parameter {name!r} must be an integer, got {value!r} from {origin}.")
    if ptype == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return float(value) if not _INT_RE.match(value.strip()) else int(value.strip())
            except ValueError:
                pass
        raise ParameterError(f"Parameter {name!r} must be a number, got {value!r} from {origin}.")
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        kind = type(value).__name__
        raise ParameterError(f"Parameter {name!r} must be a string, got {kind} {value!r} from {origin}.")
    choices = spec.get("choices") or []
    if ptype == "choice" and choices and value not in choices:
        raise ParameterError(f"Parameter {name!r} must be one of {choices!r}, got {value!r} from {origin}.")
    return value


def resolve(
    declared: Mapping[str, Mapping[str, Any]],
    bindings: Mapping[str, Any] | None = None,
    conf: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Defaults (from `declared`, already layered) < bindings < run conf; every declared value type-checked.

    Bound names that are not declared pass through as given; conf keys neither declared nor bound are ignored."""
    values: dict[str, Any] = {name: spec.get("default") for name, spec in declared.items()}
    origin = dict.fromkeys(values, "its default")
    for key, value in (bindings or {}).items():
        values[key] = value
        origin[key] = "the pipeline bindings"
    for key, value in (conf or {}).items():
        if key in values:
            values[key] = value
            origin[key] = "the run conf"
    return {
        name: coerce(declared[name], value, origin[name]) if name in declared else value
        for name, value in values.items()
    }


def env_value(value: Any) -> str:
    """How a parameter looks as an environment variable (Jenkins style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

"""Python tasks: import `pkg.module:function` and call it with the resolved parameters it accepts."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any


class CallableError(ImportError):
    pass


def load_callable(ref: str) -> Callable[..., Any]:
    """The function named by `pkg.module:function` (dotted attributes after the colon are allowed)."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise CallableError(f"Callable {ref!r} is not of the form 'pkg.module:function'.")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise CallableError(f"Cannot import module {module_name!r} for callable {ref!r}: {err}") from err
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CallableError(f"Module {module_name!r} has no attribute {attr!r} (callable {ref!r}).") from None
    if not callable(obj):
        raise CallableError(f"{ref!r} is a {type(obj).__name__}, not a callable.")
    return obj  # type: ignore[no-any-return]


def call_with_params(func: Callable[..., Any], params: Mapping[str, Any]) -> Any:
    """Call `func` with the parameters its signature names; all of them when it takes **kwargs."""
    sig = inspect.signature(func)
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    if takes_all:
        return func(**params)
    names = {
        n for n, p in sig.parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return func(**{k: v for k, v in params.items() if k in names})

"""The handler registry: rule handler names (as written in mappings/*.yaml) -> functions (node, rule, ctx, scope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in HANDLERS:
            raise ValueError(f"Handler {name!r} is registered twice.")
        HANDLERS[name] = fn
        return fn

    return register

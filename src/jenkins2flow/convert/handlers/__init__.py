"""Rule handlers, one module per Jenkins category, merged here in a written list (no registration by import).

Each module exports `HANDLERS: dict[str, Handler]`, keyed by the handler names that mappings/*.yaml use
(`{handler: shell}`). A handler is a pure function `(node, rule, ctx, scope)`: it reads the node (a Step, Plugin or
Trigger) and the rule's parameters, tells `ctx` what the node became, and returns the scope for the elements after
it, or None. To add a handler: write the function in the module of its category, add it to that module's
`HANDLERS`, and name it in a mappings rule (or list it in INTERNAL with the reason). A new module is
added to MODULES below.

`control.STATEMENTS` is a separate table keyed by Groovy statement (if, try, for...): the walker dispatches those
before any rule.
"""

from __future__ import annotations

from types import ModuleType

from jenkins2flow.convert.context import Handler
from jenkins2flow.convert.handlers import (
    blocks,
    commands,
    credentials,
    downstream,
    gates,
    locks,
    multijob,
    notifications,
    outputs,
    scm,
    settings,
    tools,
    triggers,
    wrappers,
)
from jenkins2flow.convert.handlers.control import STATEMENTS

MODULES: tuple[ModuleType, ...] = (
    commands, blocks, credentials, notifications, outputs, downstream, gates, settings, wrappers, triggers, multijob,
    tools, scm, locks,
)


def merge(modules: tuple[ModuleType, ...]) -> dict[str, Handler]:
    """The modules' HANDLERS in one dict; a name exported twice is an error naming both modules."""
    merged: dict[str, Handler] = {}
    owner: dict[str, str] = {}
    for module in modules:
        for name, fn in module.HANDLERS.items():
            if name in merged:
                raise ValueError(f"Handler {name!r} is exported by both {owner[name]} and {module.__name__}.")
            merged[name], owner[name] = fn, module.__name__
    return merged


HANDLERS: dict[str, Handler] = merge(MODULES)
# handlers no default mapping names, each with why it exists (tests/convert/test_structure.py checks the rest are used)
INTERNAL: dict[str, str] = {}

__all__ = ["HANDLERS", "INTERNAL", "MODULES", "STATEMENTS", "merge"]

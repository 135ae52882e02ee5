"""The handler registry: rule handler names (as written in mappings/*.yaml) -> functions (node, rule, ctx, scope).

HANDLERS is built from the explicit list in convert.handlers; `apply` runs one rule on one node: a waiver, a
Python hook, or a handler. Adding a handler: see convert.handlers.
"""

from __future__ import annotations

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers import HANDLERS, STATEMENTS
from jenkins2flow.convert.rules import Rule, load_hook
from jenkins2flow.ir import Plugin, Step

__all__ = ["HANDLERS", "STATEMENTS", "Handler", "apply"]


def apply(rule: Rule, node: Step | Plugin, ctx: Ctx, scope: Scope, element: str) -> Scope | None:
    """Run `rule` on `node`; returns the scope for the elements after it when the handler changes it, else None."""
    key = node.name if isinstance(node, Step) else node.cls
    if rule.waive:
        ctx.waived(element, node.span, rule.waive, key)
        if rule.get("unless_unstable"):  # true only in a job that nothing makes UNSTABLE (convert.unstable)
            ctx.unless_unstable(str(rule.get("unless_unstable")), element, node.span, key)
        return None
    if rule.hook:
        load_hook(rule.hook, rule.origin)(node, ctx, scope, rule)
        ctx.mapped(element, node.span, key, f"hook {rule.hook}")
        return None
    fn = HANDLERS.get(rule.handler)
    if fn is None:  # checked at load time; kept for rules built in code
        ctx.placeholder(element, node.span, f"unknown handler {rule.handler!r}", scope, key=key)
        return None
    return fn(node, rule, ctx, scope)

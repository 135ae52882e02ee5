"""Tool steps: `tool 'M3'` (the installation must exist on the workers) and wrappers that put tools around their
body (`withMaven(jdk:, maven:)`, `withAnt`, `nodejs`), by their rules' tables of arguments (convert.tools)."""

from __future__ import annotations

from jenkins2flow.convert import tools
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Closure, Step


def tool(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`tool 'M3'` as a statement installs the tool and gives its home, which nothing here uses: mapped when the
    installation has a rule, else flagged (convert.tools.home_of records either)."""
    tools.home_of(node, node.span, ctx)


def with_tools(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """A wrapper whose arguments name installations (`tools: {arg: type}`) or environment variables
    (`env: {arg: NAME}`); its body runs with them. `waived: {arg: reason}` arguments need nothing; any other argument
    is flagged. `positional` names the argument a first positional value stands for. `note` waives what the wrapper
    does besides (e.g. withMaven's reports)."""
    kinds: dict[str, str] = rule.get("tools") or {}
    env: dict[str, str] = rule.get("env") or {}
    waived: dict[str, str] = rule.get("waived") or {}
    given = list(node.kwargs)
    if rule.get("positional") and node.args and not isinstance(node.args[0], Closure):
        given.insert(0, (str(rule.get("positional")), node.args[0]))  # `nodejs('NodeJS 18') { ... }`
    for name, value in given:
        element = f"step {node.name} {name}"
        if isinstance(value, Closure):
            continue
        if name in kinds:
            scope = tools.apply(kinds[name], value, node.span, ctx, scope, element)
        elif name in env and isinstance(value, str):
            scope = scope.with_env([(env[name], value)])
            ctx.mapped(element, node.span, node.name, f"environment {env[name]}")
        elif name in waived:
            ctx.waived(element, node.span, waived[name], node.name)
        else:
            ctx.approximated(element, node.span, f"{node.name} argument {name} {text(value)!r} is not applied "
                             "to the tasks", node.name)
    if rule.get("note"):
        ctx.waived(f"step {node.name}", node.span, str(rule.get("note")), node.name)
    else:
        ctx.mapped(f"step {node.name}", node.span, node.name, "its body runs with the tools")
    ctx.walk(body(node), scope)


HANDLERS: dict[str, Handler] = {"tool": tool, "with_tools": with_tools}

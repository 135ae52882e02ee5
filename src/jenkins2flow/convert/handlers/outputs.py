"""Outputs a shadow run compares: `archiveArtifacts`, `junit`, `stash`, `publishHTML` and their publishers."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, text
from jenkins2flow.ir import Plugin, Step


def output(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """archiveArtifacts, junit, stash...: the files a shadow run compares (an `artifacts` shadow output)."""
    raw = arg(node, str(rule.get("field", "includes")), "")
    pattern = raw if isinstance(raw, str) else ""
    source = str(rule.get("output", "artifacts"))
    patterns = [p.strip() for p in pattern.split(",") if p.strip()]
    if not patterns or any(p.startswith("/") or ".." in p.split("/") for p in patterns):
        ctx.mapped(element(node), node.span, key(node),
                   f"{source} pattern {text(raw)!r} is not a literal relative path: not compared in shadow runs")
        return
    entry: dict[str, Any] = {"kind": "artifacts", "path": pattern, "source": source,
                             "task": ctx.frontier[-1] if ctx.frontier else ""}
    if isinstance(node, Step) and node.name == "stash":
        entry["name"] = f"stash {text(node.kwarg('name') or '')}"
        entry["required"] = False  # stashes are not archived by Jenkins: compared only when both sides have them
    ctx.shadow_outputs.append(entry)
    ctx.mapped(element(node), node.span, key(node), f"kept as a shadow-run output ({source} {pattern!r})")


HANDLERS: dict[str, Handler] = {"output": output}

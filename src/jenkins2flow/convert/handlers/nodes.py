"""What handlers read off any node: its Jenkins id, its ledger element name, and the body it encloses."""

from __future__ import annotations

from jenkins2flow.convert.values import text
from jenkins2flow.ir import Closure, Plugin, Step


def key(node: Step | Plugin) -> str:
    """The Jenkins id of a node: a step's name or a plugin's class."""
    return node.name if isinstance(node, Step) else node.cls


def element(node: Step | Plugin) -> str:
    """The ledger element of a node: `step sh`, `plugin hudson.tasks.Mailer`."""
    return f"step {node.name}" if isinstance(node, Step) else f"plugin {node.cls}"


def body(node: Step) -> tuple[Step, ...]:
    """The statements a block step encloses: its body, or the first closure among its arguments."""
    if node.body is not None:
        return node.body
    for a in (*node.args, *(v for _, v in node.kwargs)):
        if isinstance(a, Closure):
            return a.body
    return ()


def plugin_text(pl: Plugin) -> str:
    """A plugin's fields as `name: value` lines, the `source` kept on its placeholder."""
    return "\n".join(f"{k}: {text(v)}" for k, v in pl.fields)[:2000]

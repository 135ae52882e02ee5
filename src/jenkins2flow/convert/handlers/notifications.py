"""Notification steps and publishers (`mail`, `emailext`, `slackSend`, Mailer, Email-ext, Slack) -> the pipeline's
notifications, sent on the condition of the block they sit in (post conditions, catch) or of their rule.

A field Groovy computes is evaluated: known now -> its text; computed in the run (`"${env.JOB_NAME} failed"`) ->
an expression tree the runtime evaluates when it sends (Notification.values; the field keeps the Jenkins text);
not converted -> the Jenkins text is sent as written, an approximation."""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, split_names, text
from jenkins2flow.ir import Plugin, Step


def notify(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    on = ctx.notify_on or str(rule.get("on", "always" if isinstance(node, Step) else "failure"))
    raw: dict[str, Any] = {"to": arg(node, str(rule.get("to", "to")), "")}
    if rule.get("subject"):
        raw["subject"] = arg(node, str(rule.get("subject", "subject")), "")
    if rule.get("body"):
        field = str(rule.get("body", "body"))
        raw["body"] = (node.kwarg(field) if isinstance(node, Step) else node.field(field, "")) or ""
    fields: dict[str, str] = {}
    values: dict[str, Any] = {}
    approximated = False
    for name, value in raw.items():
        result = scope.ev.string(value, node.span) if isinstance(node, Step) else Static(text(value))
        if isinstance(result, Static):
            fields[name] = str(result.value)
            continue
        fields[name] = text(value)
        if isinstance(result, Runtime) and not result.outputs():
            values[name] = result.tree
            continue
        why = str(result) if isinstance(result, Unknown) else "it reads the output of a step, which a notification " \
            "sent at the end of the run cannot"
        ctx.approximated(element(node), node.span, f"its {name} is computed by Groovy and is not converted ({why}): "
                         "it is sent as written in the Jenkinsfile", key(node))
        approximated = True
    ctx.notifications.append(model.Notification(
        on=on, channel=rule.get("channel", "email"), to=split_names(fields.get("to", "")),  # type: ignore[arg-type]
        subject=fields.get("subject", ""), body=fields.get("body", ""), values=values))  # type: ignore[arg-type]
    if not approximated:
        ctx.mapped(element(node), node.span, key(node), f"notification on {on} by {rule.get('channel', 'email')}"
                   + (f"; {', '.join(sorted(values))} computed when sent" if values else ""))


HANDLERS: dict[str, Handler] = {"notify": notify}

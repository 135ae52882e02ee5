"""Notification steps and publishers (`mail`, `emailext`, `slackSend`, Mailer, Email-ext, Slack) -> the pipeline's
notifications, sent on the condition of the block they sit in (post conditions, catch) or of their rule."""

from __future__ import annotations

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, split_names, text
from jenkins2flow.ir import Plugin, Step


def notify(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    on = ctx.notify_on or str(rule.get("on", "always" if isinstance(node, Step) else "failure"))
    to = split_names(arg(node, str(rule.get("to", "to")), ""))
    subject = text(arg(node, str(rule.get("subject", "subject")), "")) if rule.get("subject") else ""
    body = text(node.kwarg(str(rule.get("body", "body"))) if isinstance(node, Step)
                else node.field(str(rule.get("body", "body")), "")) if rule.get("body") else ""
    ctx.notifications.append(model.Notification(on=on, channel=rule.get("channel", "email"), to=to,  # type: ignore[arg-type]
                                                subject=subject, body=body))
    ctx.mapped(element(node), node.span, key(node), f"notification on {on} by {rule.get('channel', 'email')}")


HANDLERS: dict[str, Handler] = {"notify": notify}

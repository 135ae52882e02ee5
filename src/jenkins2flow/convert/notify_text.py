"""Subjects, bodies and recipients of notifications: Jenkins tokens -> text the runtime sends, by the table in
mappings `notifications.tokens` (notifications.yaml). A token is an email-ext `$NAME` / `${NAME}` (in email-ext
texts only: the `mail` step and Slack send their text as Groovy made it) or a `${...}` reference of a Groovy string
(`${env.BUILD_URL}`, `${currentBuild.fullDisplayName}`). Mapped tokens become the job's name (known now) or a
runtime placeholder (`${AIRFLOW_RUN_URL}`...). A Groovy reference no token maps is evaluated by the scope's
evaluator (convert.evaluate), when one is given: known now -> its text; a value of the run -> the field is an
expression tree the notifier evaluates when it sends (`Texts.computed`); else it stays as written and is reported.
Recipients the run computes (`to: params.MAIL_TO`, `"${env.TEAM}@example.com"`) are collected as trees too
(`Texts.run_recipients`, then `Texts.recipients_tree`): the notifier evaluates and splits them when it sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime import groovy

from jenkins2flow.convert.context import Ctx
from jenkins2flow.convert.evaluate import Evaluator, Runtime, Static, Unknown
from jenkins2flow.convert.evaluate.results import checked
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Expr, GString, Interp, Span

# `$$` (an escaped dollar), `${NAME}` / `${NAME, arg=...}`, or `$NAME`
_TOKEN = re.compile(r"\$\$|\$\{\s*([A-Za-z_][\w.]*)\s*(,[^}]*)?\}|\$([A-Za-z_]\w*)")
_EMAILEXT_DEFAULTS = ("DEFAULT_RECIPIENTS", "DEFAULT_SUBJECT", "DEFAULT_CONTENT", "DEFAULT_REPLYTO",
                      "DEFAULT_PRESEND_SCRIPT", "DEFAULT_POSTSEND_SCRIPT")


@dataclass
class Texts:
    """Translates the texts of one notification; `unknown` collects the tokens left as written."""

    ctx: Ctx
    project: dict[str, str] = field(default_factory=dict)  # email-ext's PROJECT_DEFAULT_* of the publisher
    unknown: list[str] = field(default_factory=list)
    empty_defaults: list[str] = field(default_factory=list)  # $DEFAULT_RECIPIENTS used but not configured
    ev: Evaluator | None = None  # the scope's evaluator: what no token maps is evaluated (steps' Groovy strings)
    span: Span | None = None  # where the step is (the places of the values' trees)
    run_recipients: list[dict[str, Any]] = field(default_factory=list)  # trees of recipients the run computes

    def _table(self, name: str) -> dict[str, Any]:
        return self.ctx.rules.table("notifications").get(name) or {}

    def _mapped(self, name: str) -> str | None:
        value = self._table("tokens").get(name.removeprefix("env."))
        if value is None:
            return None
        job = self.ctx.job.full_name
        return str(value).replace("{job}", job).replace("{base}", job.rsplit("/", 1)[-1]) \
            .replace("{tag}", job.replace("/", "-"))

    def tokens(self, value: str, depth: int = 0) -> str:
        """An email-ext text: every `$TOKEN` translated (email-ext's own defaults expanded first)."""
        def one(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            name, args = m.group(1) or m.group(3), m.group(2)
            if name.startswith("PROJECT_DEFAULT_") and name.removeprefix("PROJECT_DEFAULT_") in ("SUBJECT", "CONTENT",
                                                                                                 "REPLYTO"):
                return self.tokens(self.project.get(name, ""), depth + 1) if depth < 3 else m.group(0)
            if name in _EMAILEXT_DEFAULTS:
                default = str(self._table("emailext_defaults").get(name, ""))
                if not default and name in ("DEFAULT_RECIPIENTS", "DEFAULT_SUBJECT", "DEFAULT_CONTENT"):
                    self.empty_defaults.append(name)
                return self.tokens(default, depth + 1) if depth < 3 else m.group(0)
            mapped = self._mapped(name) if not args else None
            if mapped is None:
                self.unknown.append(m.group(0))
                return m.group(0)
            return mapped

        return _TOKEN.sub(one, value)

    def value(self, value: Any, email_tokens: bool) -> str:
        """A Groovy value as sent: a GString's references translated; its literal parts (or a plain string)
        token-translated too when the plugin expands tokens (email-ext)."""
        return self.computed(value, email_tokens)[0]

    def computed(self, value: Any, email_tokens: bool) -> tuple[str, dict[str, Any] | None]:
        """(the text as sent, or as written where the run decides; the expression tree of the text when a part is a
        value of the run, else None)."""
        if isinstance(value, Expr) and self.ev is not None:  # `"Build " + env.X`: a Groovy expression
            result = self.ev.string(value, self.span)
            if isinstance(result, Static):
                return str(result.value), None
            if isinstance(result, Runtime) and not result.outputs():
                return text(value), result.tree
            self.unknown.append(text(value))
            return text(value), None
        if not isinstance(value, GString):
            raw = text(value)
            return (self.tokens(raw) if email_tokens else raw), None
        out: list[str] = []
        args: list[dict[str, Any]] = []
        for part in value.parts:
            if isinstance(part, Interp):
                mapped = self._mapped(part.expr.strip())
                found = self._evaluated(part) if mapped is None else Static(mapped)
                if isinstance(found, Static):
                    out.append(groovy.to_str(found.value))
                    args.append({"lit": out[-1]})
                elif isinstance(found, Runtime):
                    out.append("${" + part.expr + "}")
                    args.append(found.tree)
                else:
                    self.unknown.append("${" + part.expr + "}")
                    out.append("${" + part.expr + "}")
                    args.append({"lit": out[-1]})
            else:
                out.append(self.tokens(part) if email_tokens else part)
                args.append({"lit": out[-1]})
        if all("lit" in a for a in args):
            return "".join(out), None
        tree = checked({"op": "str", "args": args, "at": str(self.span)}, self.span)
        if isinstance(tree, Unknown):  # too large for the runtime
            self.unknown.append(text(value))
            return "".join(out), None
        return "".join(out), tree.tree

    def _evaluated(self, part: Interp) -> Static | Runtime | None:
        """A reference no token maps, by the evaluator: its value now, its tree (not reading a step's output, which
        a notification sent when the run ends cannot), else None."""
        if self.ev is None or self.span is None:
            return None
        result = self.ev.expression(part.expr, self.span)
        if isinstance(result, Static) or (isinstance(result, Runtime) and not result.outputs()):
            return result
        return None

    def recipients(self, value: Any, email_tokens: bool) -> tuple[list[str], list[str]]:
        """(addresses, what could not be used: tokens without a value, cc:/bcc: prefixes, exclusions). A value the
        run computes is neither: its tree joins `run_recipients`."""
        if isinstance(value, tuple | list):
            raw = ",".join(self.value(v, email_tokens) for v in value)
        else:
            run = self._run_value(value)
            if run is not None:  # `to: params.MAIL_TO`: the value itself (a null is no recipient, as in Jenkins)
                self.run_recipients.append(run)
                return [], []
            unknown = len(self.unknown)
            raw, tree = self.computed(value, email_tokens)
            if tree is not None and not isinstance(value, Expr):  # `"${env.TEAM}@example.com"`
                self.run_recipients.append(tree)
                return [], []
            if isinstance(value, Expr) and len(self.unknown) > unknown:
                del self.unknown[unknown:]  # not sent as written: dropped, flagged by the caller as not usable
                return [], [text(value)]  # not a value the runtime can compute, nor an address written here
        found: list[str] = []
        odd: list[str] = []
        for item in re.split(r"[,\s]+", raw):
            item = item.strip()
            if not item:
                continue
            if item.startswith("-") or "$" in item:
                odd.append(item)
                continue
            prefix, _, address = item.partition(":")
            if address and prefix in ("cc", "bcc"):
                odd.append(item)
                item = address
            found.append(item)
        return list(dict.fromkeys(found)), odd

    def _run_value(self, value: Any) -> dict[str, Any] | None:
        """The tree of a Groovy expression the run decides (not reading a step's output, which a notification sent
        when the run ends cannot), else None."""
        if not isinstance(value, Expr) or self.ev is None:
            return None
        result = self.ev.value(value, self.span)
        return result.tree if isinstance(result, Runtime) and not result.outputs() else None

    def recipients_tree(self, listed: list[str]) -> Runtime | Unknown | None:
        """All the recipients as one tree when some are computed in the run (the `listed` addresses, then each
        computed value), for Notification.values["to"]; None when none is; Unknown when the tree is too large for
        the runtime."""
        if not self.run_recipients:
            return None
        if not listed and len(self.run_recipients) == 1:
            return Runtime(self.run_recipients[0])
        return checked({"list": [{"lit": a} for a in listed] + self.run_recipients}, self.span)

    def report(self, element: str, span: Span, key: str) -> None:
        """Flag the tokens left as written and the email-ext defaults used without a value."""
        if self.unknown:
            names = ", ".join(dict.fromkeys(self.unknown))
            self.ctx.approximated(element, span, f"token(s) {names} are sent as written: no rule in mappings "
                                  "notifications.tokens, and not a value the converter computes", key)
        if self.empty_defaults:
            names = ", ".join(f"${n}" for n in dict.fromkeys(self.empty_defaults))
            self.ctx.approximated(element, span, f"{names} is email-ext's global setting, empty in mappings "
                                  "notifications.emailext_defaults: set it in a --mappings file", key)

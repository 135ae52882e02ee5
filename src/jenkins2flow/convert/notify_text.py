"""Subjects, bodies and recipients of notifications: Jenkins tokens -> text the runtime sends, by the table in
mappings `notifications.tokens` (notifications.yaml). A token is an email-ext `$NAME` / `${NAME}` (in email-ext
texts only: the `mail` step and Slack send their text as Groovy made it) or a `${...}` reference of a Groovy string
(`${env.BUILD_URL}`, `${currentBuild.fullDisplayName}`). Mapped tokens become the job's name (known now) or a
runtime placeholder (`${AIRFLOW_RUN_URL}`...); any other stays as written and is reported, never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow.convert.context import Ctx
from jenkins2flow.convert.values import text
from jenkins2flow.ir import GString, Interp, Span

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
        if not isinstance(value, GString):
            raw = text(value)
            return self.tokens(raw) if email_tokens else raw
        out: list[str] = []
        for part in value.parts:
            if isinstance(part, Interp):
                mapped = self._mapped(part.expr.strip())
                if mapped is None:
                    self.unknown.append("${" + part.expr + "}")
                    out.append("${" + part.expr + "}")
                else:
                    out.append(mapped)
            else:
                out.append(self.tokens(part) if email_tokens else part)
        return "".join(out)

    def recipients(self, value: Any, email_tokens: bool) -> tuple[list[str], list[str]]:
        """(addresses, what could not be used: tokens without a value, cc:/bcc: prefixes, exclusions)."""
        raw = self.value(value, email_tokens) if not isinstance(value, tuple | list) else ",".join(
            self.value(v, email_tokens) for v in value)
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

    def report(self, element: str, span: Span, key: str) -> None:
        """Flag the tokens left as written and the email-ext defaults used without a value."""
        if self.unknown:
            names = ", ".join(dict.fromkeys(self.unknown))
            self.ctx.approximated(element, span, f"token(s) {names} are sent as written: no rule in mappings "
                                  "notifications.tokens (jenkins2flow evaluates no Jenkins text)", key)
        if self.empty_defaults:
            names = ", ".join(f"${n}" for n in dict.fromkeys(self.empty_defaults))
            self.ctx.approximated(element, span, f"{names} is email-ext's global setting, empty in mappings "
                                  "notifications.emailext_defaults: set it in a --mappings file", key)

"""Build wrappers that change the scope of every builder after them: EnvInject (environment) and build-timeout.
(Credentials wrappers are in handlers.credentials.) Used as a builder, EnvInject only reaches the ledger: its
environment applies to wrappers only. A secret written in clear (convert.secrets) becomes a reference to an Airflow
variable to create, never a value."""

from __future__ import annotations

from dataclasses import replace

from jenkins2flow_runtime.model import SecretRef

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Plugin


def env_inject(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    content = text(pl.field("propertiesContent") or "")
    pairs = []
    refs: list[SecretRef] = []
    for line in content.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not name.strip().startswith("#"):
            kind = classify(name.strip(), value.strip())
            if kind:  # written in clear: an Airflow variable to create, never the value
                refs.append(ctx.literal_secret(name.strip(), value.strip(), kind, pl.span, "EnvInject"))
            else:
                pairs.append((name.strip(), value.strip()))
    if pl.field("propertiesFilePath") or pl.field("scriptContent") or pl.field("scriptFilePath"):
        ctx.note(f"{pl.cls}: properties files and scripts are read at build time; only inline properties are "
                 "converted.", pl.span)
    names = [k for k, _ in pairs] + [f"{r.env} (secret)" for r in refs]
    ctx.mapped(f"plugin {pl.cls}", pl.span, pl.cls, f"environment {', '.join(names) or '(none)'}")
    for name, value in pairs:
        scope = scope.bind_env(name, value, pl.span)
    return scope.with_secrets(refs)


def build_timeout(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    strategy = pl.field("strategy") or {}
    minutes = strategy.get("timeoutMinutes") if isinstance(strategy, dict) else None
    try:
        seconds = int(text(minutes)) * 60 if minutes else None
    except ValueError:
        seconds = None
    kind = text(strategy.get("class", "")).rsplit(".", 1)[-1] if isinstance(strategy, dict) else ""
    if seconds is None:
        ctx.placeholder(f"wrapper {pl.cls}", pl.span, f"timeout strategy {kind!r} has no fixed limit", scope,
                        key=pl.cls, fallback=False)
        return scope
    ctx.mapped(f"wrapper {pl.cls}", pl.span, pl.cls, f"{kind}: timeout {seconds}s on each task")
    return replace(scope, timeout=seconds)


HANDLERS: dict[str, Handler] = {"env_inject": env_inject, "build_timeout": build_timeout}

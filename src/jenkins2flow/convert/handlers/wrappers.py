"""Build wrappers: EnvInject (the environment of every builder after it) and build-timeout (the run's limit); a
Jenkinsfile's `wrap([$class: ...]) { }` by the wrapper class's rule.
(Credentials wrappers are in handlers.credentials.) Used as a builder, EnvInject only reaches the ledger: its
environment applies to wrappers only. A secret written in clear (convert.secrets) becomes a reference to an Airflow
variable to create, never a value."""

from __future__ import annotations

from jenkins2flow_runtime.model import SecretRef

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Plugin, Step


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
        if "$" in value:  # EnvInject expands variables; a task's environment is not expanded
            ctx.approximated(f"plugin {pl.cls} {name}", pl.span, f"EnvInject expands the variables in {value!r} at "
                             "build time; the task's environment holds the text as written", pl.cls)
        scope = scope.bind_env(name, value, pl.span)
    return scope.with_secrets(refs)


def build_timeout(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """The build-timeout wrapper: an absolute limit is the limit of the whole build, the run's dagrun_timeout. Other
    strategies (no activity, elastic, likely stuck, deadline) have no Airflow equivalent: no limit, flagged."""
    strategy = pl.field("strategy") or {}
    minutes = strategy.get("timeoutMinutes") if isinstance(strategy, dict) else None
    if not strategy:  # the plugin's first format: the minutes on the wrapper itself, an absolute limit
        minutes = pl.field("timeoutMinutes")
    try:
        seconds = int(text(minutes)) * 60 if minutes else None
    except ValueError:
        seconds = None
    kind = text(strategy.get("class", "")).rsplit(".", 1)[-1] if isinstance(strategy, dict) else ""
    element = f"wrapper {pl.cls}"
    if kind not in ("", "AbsoluteTimeOutStrategy") or seconds is None or seconds <= 0:
        ctx.approximated(element, pl.span, f"timeout strategy {kind or '?'!r} " + (
            f"with {text(minutes)!r} minutes " if minutes else "") + "has no Airflow equivalent: no limit is set",
            pl.cls)
        return scope
    ctx.dagrun_timeout = seconds
    ctx.mapped(element, pl.span, pl.cls, f"{kind or 'absolute'}: the run's dagrun_timeout, {seconds} s")
    return scope


def wrap(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`wrap([$class: 'X', ...]) { body }`: a freestyle build wrapper around a Jenkinsfile's steps. The wrapper
    class's rule in mappings `plugins` says whether it needs anything outside Jenkins: a waiver is kept, with its
    rule; any other wrapper is not applied: flagged with the rule to add, and the body converted."""
    fields = node.args[0] if node.args and isinstance(node.args[0], dict) else dict(node.kwargs)
    short = text(fields.get("$class", "")).rsplit(".", 1)[-1] or "?"
    found = next((k for k in ctx.rules.table("plugins") if k.rsplit(".", 1)[-1] == short), None)
    wrapper = ctx.rules.rule("plugins", found) if found else None
    element = f"step wrap {short}"
    if wrapper is not None and wrapper.waive:
        ctx.waived(element, node.span, f"{wrapper.waive} (mappings plugins.{found})", node.name)
    else:
        ctx.approximated(element, node.span, f"build wrapper {short!r} is not applied: Jenkins runs the body inside "
                         "it, here the body runs without it. If it needs nothing outside Jenkins, say so in a "
                         f"--mappings file: `plugins: {{{short}: {{waive: WHY}}}}`", node.name)
    ctx.walk(body(node), scope)


HANDLERS: dict[str, Handler] = {"env_inject": env_inject, "build_timeout": build_timeout, "wrap": wrap}

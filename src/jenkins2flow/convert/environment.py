"""The declarative `environment {}` directive: literal values (GStrings as shell references) become task environment,
`credentials('id')` a secret reference (and its _USR/_PSW parts when the script uses them). A secret written in
clear (convert.secrets) becomes a reference to an Airflow variable to create, never a value."""

from __future__ import annotations

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.shell import to_shell
from jenkins2flow.convert.values import text
from jenkins2flow.ir import EnvVar


def env_scope(env: tuple[EnvVar, ...], ctx: Ctx, scope: Scope) -> Scope:
    pairs: list[tuple[str, str]] = []
    for var in env:
        if var.credential:
            script = ctx.job.script
            uses_parts = f"{var.name}_USR" in script or f"{var.name}_PSW" in script
            refs = ctx.credential(var.credential, "environment", [var.name], "variable", var.span)
            if uses_parts:
                refs += ctx.credential(var.credential, "environment", [f"{var.name}_USR", f"{var.name}_PSW"],
                                       "connection", var.span, ["login", "password"])
            scope = scope.with_secrets(refs)
            ctx.mapped(f"environment {var.name}", var.span, "credentials", f"secret {var.credential!r} by reference")
            continue
        plain = isinstance(var.value, int | float | bool)
        value, unresolved = (text(var.value), []) if plain else to_shell(var.value)
        kind = classify(var.name, value, literal_value=isinstance(var.value, str))
        if kind:  # written in clear: an Airflow variable to create, never the value
            scope = scope.with_secrets([ctx.literal_secret(var.name, value, kind, var.span, "environment")])
            ctx.mapped(f"environment {var.name}", var.span, "environment", "secret by reference")
            continue
        if unresolved:
            ctx.note(f"environment {var.name}: Groovy expression(s) {', '.join(unresolved)} are left as text.",
                     var.span)
        pairs.append((var.name, value))
        ctx.mapped(f"environment {var.name}", var.span, "environment")
    return scope.with_env(pairs) if pairs else scope

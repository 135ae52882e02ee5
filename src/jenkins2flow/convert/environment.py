"""The declarative `environment {}` directive: each value a Groovy value (static, or computed in the run: the task
receives it as an expression tree; the steps it calls, such as `sh(returnStdout: true)`, run first) bound in the
scope's evaluator; `credentials('id')` a secret reference (and its _USR/_PSW parts when the script uses them). A
secret written in clear (convert.secrets) becomes a reference to an Airflow variable to create, never a value. A
value the converter cannot compute is a placeholder, never pasted."""

from __future__ import annotations

from dataclasses import replace

from jenkins2flow_runtime import groovy

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.scripted import run_calls
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import text
from jenkins2flow.ir import EnvVar


def env_scope(env: tuple[EnvVar, ...], ctx: Ctx, scope: Scope) -> Scope:
    for var in env:
        if var.credential:
            script = ctx.job.script
            uses_parts = f"{var.name}_USR" in script or f"{var.name}_PSW" in script
            if uses_parts:  # a username/password credential: Jenkins sets X to user:password, X_USR, X_PSW
                refs = ctx.credential(var.credential, "environment", [var.name, f"{var.name}_USR",
                                      f"{var.name}_PSW"], "connection", var.span, ["login:password", "login",
                                                                                   "password"])
            else:
                refs = ctx.credential(var.credential, "environment", [var.name], "variable", var.span)
            scope = scope.with_secrets(refs)
            ctx.mapped(f"environment {var.name}", var.span, "credentials", f"secret {var.credential!r} by reference")
            continue
        ran = run_calls(var.value, ctx, replace(scope, stage=scope.stage or "environment"))  # its sh steps
        scope = replace(ran, stage=scope.stage)
        value = scope.ev.value(var.value, var.span)
        written = groovy.to_str(value.value) if isinstance(value, Static) else text(var.value)
        kind = classify(var.name, written, literal_value=isinstance(var.value, str))
        if kind:  # written in clear: an Airflow variable to create, never the value
            scope = scope.with_secrets([ctx.literal_secret(var.name, written, kind, var.span, "environment")])
            ctx.mapped(f"environment {var.name}", var.span, "environment", "secret by reference")
            continue
        scope = scope.bind_env(var.name, value, var.span)
        if isinstance(value, Unknown):
            ctx.placeholder(f"environment {var.name}", var.span, f"the value is not converted: {value}", scope,
                            key="environment", fallback=False)
            continue
        ctx.mapped(f"environment {var.name}", var.span, "environment",
                   "a value of the run, computed when the task starts" if isinstance(value, Runtime) else "")
    return scope


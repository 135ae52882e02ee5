"""Tool installations -> the environment or image of the tasks, by mappings `tools` (mappings/environments.yaml).

A pipeline's or stage's `tools {}`, a freestyle job's <jdk>, a build step's installation (mavenName...), the `tool`
step and `withMaven(jdk:, maven:)`-style wrappers all ask Jenkins for an installation by type and name; Jenkins then
sets its variables (JAVA_HOME, PATH+JDK...) for the steps. Here an installation's rule gives its `home` on the
workers (the type's variables are filled from it), an `image` that carries it, and more `env`. An installation
without a rule leaves the tasks with the workers' own tools: flagged, with the rule to add.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.values import text
from jenkins2flow.ir import GString, Job, Span, Tool, span_of


@dataclass(frozen=True, slots=True)
class Installation:
    kind: str
    name: str
    home: str
    image: str
    env: tuple[tuple[str, str], ...]
    origin: str  # the rule's place in the mappings, for the ledger


def kind_of(kind: str, ctx: Ctx) -> str:
    """A tool type's symbol (jdk, maven...) from a symbol or a class name (`hudson.model.JDK`)."""
    aliases = ctx.rules.table("tools").get("aliases") or {}
    return str(aliases.get(kind, kind))


def is_system(name: str, ctx: Ctx) -> bool:
    """Jenkins' names for no particular installation ("(System)", "(Default)"): the workers' own tools."""
    return name in [str(s) for s in ctx.rules.table("tools").get("system") or ()]


def find(kind: str, name: str, ctx: Ctx) -> Installation | None:
    table = ctx.rules.table("tools")
    rule = ((table.get("installations") or {}).get(kind) or {}).get(name)
    if rule is None:
        return None
    home = str(rule.get("home", ""))
    type_env = ((table.get("types") or {}).get(kind) or {}).get("env") or {} if home else {}
    env = {str(k): str(v).replace("{home}", home) for k, v in type_env.items()}
    env.update({str(k): str(v).replace("{home}", home) for k, v in (rule.get("env") or {}).items()})
    return Installation(kind, name, home, str(rule.get("image", "")), tuple(env.items()),
                        f"tools.installations.{kind}[{name!r}]")


def kinds_named(name: str, ctx: Ctx) -> list[str]:
    """The types that have an installation called `name` (the `tool 'M3'` step gives no type)."""
    installations = ctx.rules.table("tools").get("installations") or {}
    return [kind for kind, names in installations.items() if name in (names or {})]


def missing(kind: str, name: str) -> str:
    return (f"no rule for {kind} installation {name!r}: the tasks run with the workers' own {kind}. Map it in a "
            f"--mappings file: `tools: {{installations: {{{kind}: {{{name!r}: {{home: /path/on/the/workers}}}}}}}}` "
            "(or image: IMAGE)")


def apply(kind: str, value: Any, span: Span, ctx: Ctx, scope: Scope, element: str) -> Scope:
    """The scope of the tasks that use installation `value` of type `kind`; records what it became."""
    kind = kind_of(kind, ctx)
    if isinstance(value, GString) or not isinstance(value, str):
        ctx.approximated(element, span, f"the {kind} installation {text(value)!r} is computed by Groovy: the tasks "
                         f"run with the workers' own {kind}", kind)
        return scope
    if is_system(value, ctx):
        ctx.waived(element, span, f"{kind} {value!r} is the agent's own {kind} in Jenkins: the workers' own runs",
                   kind)
        return scope
    found = find(kind, value, ctx)
    if found is None:
        ctx.approximated(element, span, missing(kind, value), kind)
        return scope
    if found.image and scope.image and found.image != scope.image:
        ctx.approximated(element, span, f"{kind} {value!r} comes with image {found.image!r}, but these tasks run in "
                         f"{scope.image!r}: they keep that image", kind)
    elif found.image:
        scope = replace(scope, image=found.image, executor="fargate")
    if not found.image and not found.home and not found.env:
        ctx.approximated(element, span, f"{found.origin} sets neither home, image nor env", kind)
        return scope
    what = [f"{k}={v}" for k, v in found.env] + ([f"image {found.image}"] if found.image else [])
    ctx.mapped(element, span, kind, f"{kind} {value!r} -> {', '.join(what)} ({found.origin})")
    return scope.with_env(list(found.env)) if found.env else scope


def tools_scope(tools: Iterable[Tool], ctx: Ctx, scope: Scope) -> Scope:
    """`tools { jdk 'JDK 11'; maven 'M3' }` of a pipeline or stage: every task inside gets them."""
    for tool in tools:
        scope = apply(tool.type, tool.name, tool.span, ctx, scope, f"tool {tool.type}")
    return scope


def job_tools(job: Job) -> tuple[Tool, ...]:
    """A config.xml job's own tools: its <jdk>."""
    jdk = dict(job.settings).get("jdk")
    return (Tool("jdk", jdk.strip(), span_of(job, "jdk")),) if jdk is not None else ()


def home_of(call: Any, span: Span, ctx: Ctx) -> str | None:
    """The home of the installation a `tool` call names (`def mvn = tool 'M3'`), None when unknown (flagged)."""
    name = call.kwarg("name") or (call.args[0] if call.args else "")
    kind = call.kwarg("type")
    if not isinstance(name, str) or (kind is not None and not isinstance(kind, str)):
        ctx.approximated("step tool", span, "the installation is computed by Groovy", "tool")
        return None
    kinds = [kind_of(kind, ctx)] if kind else kinds_named(name, ctx)
    found = find(kinds[0], name, ctx) if len(kinds) == 1 else None
    if found is None or not found.home:
        reason = (f"`tool {name!r}` names installations of several types ({', '.join(kinds)}): give its type"
                  if len(kinds) > 1 else missing(kinds[0] if kinds else "tool", name)
                  if found is None else f"{found.origin} gives no home on the workers")
        ctx.approximated("step tool", span, reason, "tool")
        return None
    ctx.mapped("step tool", span, "tool", f"{found.kind} {name!r} at {found.home} ({found.origin})")
    return found.home

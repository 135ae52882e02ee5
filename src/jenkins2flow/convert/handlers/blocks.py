"""Steps with a body converted in place: `script`, `node`, `dir`, `stage`, `parallel`, `withEnv`,
`withDockerContainer`, `retry`, `timeout`, `catchError`; each changes the scope of its body or the graph around it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jenkins2flow_runtime.model import SecretRef

from jenkins2flow.convert.agents import agent_scope, custom_workspace
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.shell import to_shell
from jenkins2flow.convert.values import arg, as_list, text
from jenkins2flow.ir import Agent, Closure, Plugin, Step


def block(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    if rule.get("note"):
        ctx.waived(f"step {node.name}", node.span, str(rule.get("note")), node.name)
    else:
        ctx.mapped(f"step {node.name}", node.span, node.name, "its body is converted in place")
    ctx.walk(body(node), scope)


def node_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    label = text(arg(node, "label", ""))
    scope = agent_scope(Agent("label" if label else "any", label=label, span=node.span), ctx, scope)
    ctx.mapped("step node", node.span, "node", f"agent label {label!r}" if label else "any agent")
    ctx.walk(body(node), scope)


def dir_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    path = text(arg(node, "path", ""))
    cwd = f"{scope.cwd}/{path}" if scope.cwd and not path.startswith("/") else path
    ctx.mapped(f"step {node.name}", node.span, node.name, f"tasks inside run in {cwd!r}")
    ctx.walk(body(node), replace(scope, cwd=cwd))


def ws(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`ws('dir') { ... }`: the body runs in another workspace (under the run's), which is its WORKSPACE."""
    inner = custom_workspace(text(arg(node, "dir", "")), node.span, ctx, scope, "step ws", "ws")
    ctx.walk(body(node), inner)


def stage(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    name = text(arg(node, "name", "stage"))
    ctx.mapped("step stage", node.span, "stage", f"stage {name!r}")
    ctx.walk(body(node), replace(scope, stage=name, id_suffix=""))


def parallel(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    branches: list[tuple[str, tuple[Step, ...]]] = []
    items: list[tuple[Any, Any]] = list(node.kwargs)
    for a in node.args:
        if isinstance(a, dict):
            items += list(a.items())
    for k, value in items:
        if k == "failFast":
            continue
        if isinstance(value, Closure):
            branches.append((text(k), value.body))
    if not branches:
        ctx.placeholder("step parallel", node.span, "the branches are built dynamically by Groovy", scope,
                        key="parallel", source=node.raw)
        return
    ctx.mapped("step parallel", node.span, "parallel", f"{len(branches)} branches fan out")
    start, ends = list(ctx.frontier), []
    for name, branch in branches:
        ctx.frontier = list(start)
        ctx.walk(branch, replace(scope, stage=name))
        ends += [t for t in ctx.frontier if t not in ends]
    ctx.frontier = ends


def with_env(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    pairs: list[tuple[str, str]] = []
    refs: list[SecretRef] = []
    for item in as_list(node.args[0] if node.args and not isinstance(node.args[0], Closure) else ()):
        script, _ = to_shell(item)
        name, sep, value = script.partition("=")
        kind = classify(name.strip(), value, literal_value=isinstance(item, str)) if sep else ""
        if kind:  # written in clear: an Airflow variable to create, never the value
            refs.append(ctx.literal_secret(name.strip(), value, kind, node.span, "withEnv"))
        elif sep and name.strip():
            pairs.append((name.strip(), value))
    names = [k for k, _ in pairs] + [f"{r.env} (secret)" for r in refs]
    ctx.mapped("step withEnv", node.span, "withEnv", f"environment {', '.join(names) or '(none)'}")
    ctx.walk(body(node), scope.with_env(pairs).with_secrets(refs))


def docker_container(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`withDockerContainer('img') { steps }`: the body's tasks run in that image, like `.inside`."""
    image = arg(node, "image", "")
    if not isinstance(image, str) or not image:
        ctx.placeholder(f"step {node.name}", node.span, "the image is computed by Groovy", scope, key=node.name,
                        source=node.raw)
        ctx.walk(body(node), scope)
        return
    inner = agent_scope(Agent("docker", image=image, span=node.span), ctx, scope)
    ctx.mapped(f"step {node.name}", node.span, node.name, f"the body runs in image {image!r}")
    ctx.walk(body(node), inner)


def retry(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    try:
        count = int(text(arg(node, "count", 1)))
    except ValueError:
        count = 1
    ctx.mapped("step retry", node.span, "retry", f"{count} attempts -> retries {max(count - 1, 0)} on each task")
    ctx.walk(body(node), replace(scope, retries=max(count - 1, 0)))


def seconds_of(node: Step | Plugin) -> int | None:
    """The limit of `timeout(time: 5, unit: 'MINUTES')` in seconds (MINUTES when no unit), None when none."""
    try:
        amount = int(text(arg(node, "time", 0)))
    except ValueError:
        return None
    unit = text(node.kwarg("unit") if isinstance(node, Step) else "MINUTES").upper() or "MINUTES"
    factor = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400}.get(unit, 60)
    return amount * factor if amount > 0 else None


def timeout(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    seconds = seconds_of(node)
    ctx.mapped("step timeout", node.span, "timeout", f"timeout {seconds}s on each task" if seconds else "no limit")
    ctx.walk(body(node), replace(scope, timeout=seconds or scope.timeout))


def catch_error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped(f"step {node.name}", node.span, node.name, "the tasks after it run even when its body fails")
    ctx.walk(body(node), scope)
    ctx.after_conditional = True


HANDLERS: dict[str, Handler] = {
    "block": block, "node": node_, "dir": dir_, "ws": ws, "stage": stage, "parallel": parallel, "with_env": with_env,
    "docker_container": docker_container, "retry": retry, "timeout": timeout, "catch_error": catch_error,
}

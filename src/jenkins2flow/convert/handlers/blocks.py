"""Steps with a body converted in place: `script`, `node`, `dir`, `stage`, `parallel`, `withEnv`,
`withDockerContainer`, `retry`, `timeout`, `catchError`; each changes the scope of its body or the graph around it
(the last three through convert.regions)."""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from jenkins2flow_runtime.model import SecretRef

from jenkins2flow.convert import regions
from jenkins2flow.convert.agents import agent_scope, custom_workspace
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.scripted import in_parallel
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import arg, as_list, text
from jenkins2flow.ir import Agent, Closure, GString, Span, Step


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
    """`dir(path) { ... }`: the body's tasks run in the folder (created when missing, as Jenkins does), a Groovy
    value: known when converting, or computed in the run (then a sh word reading variables the task receives); a
    path the converter cannot compute is a placeholder."""
    value = arg(node, "path", "")
    path = scope.ev.string(value, node.span)
    word = scope.ev.shell_word(value, node.span)
    if isinstance(path, Unknown) or not word.ok or not word.script or path == Static(""):
        reason = "; ".join(str(u) for u in word.unknown) or "the path is empty"
        ctx.placeholder(f"step {node.name}", node.span, f"the directory is not converted: {reason}", scope,
                        key=node.name, source=node.raw)
        ctx.walk(body(node), scope)
        return
    if isinstance(path, Static) and not scope.cwd_word:
        text_path = str(path.value)
        cwd = f"{scope.cwd}/{text_path}" if scope.cwd and not text_path.startswith("/") else text_path
        inner = replace(scope, cwd=cwd)
    else:  # computed in the run, or inside a dir() that is
        absolute = isinstance(path, Static) and str(path.value).startswith("/")
        outer = scope.cwd_word or (shlex.quote(scope.cwd) if scope.cwd else "")
        cwd_word = word.script if absolute or not outer else f"{outer}/{word.script}"
        cwd = f"{scope.cwd}/{text(value)}" if scope.cwd and not absolute else text(value)
        inner = replace(scope, cwd=cwd, cwd_word=cwd_word, cwd_env=scope.cwd_env + tuple(word.env.items()))
    ctx.mapped(f"step {node.name}", node.span, node.name, f"tasks inside run in {inner.cwd!r}")
    ctx.walk(body(node), inner)


def ws(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`ws('dir') { ... }`: the body runs in another workspace (under the run's), which is its WORKSPACE."""
    inner = custom_workspace(text(arg(node, "dir", "")), node.span, ctx, scope, "step ws", "ws")
    ctx.walk(body(node), inner)


def stage(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    name = text(arg(node, "name", "stage"))
    ctx.mapped("step stage", node.span, "stage", f"stage {name!r}")
    ctx.walk(body(node), replace(scope, stage=name, stage_name=name, id_suffix=""))


FAIL_FAST = ("Jenkins aborts the other parallel branches as soon as one fails; in Airflow they run to their end "
             "(the run still fails)")


def parallel(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    branches: list[tuple[str, tuple[Step, ...]]] = []
    items: list[tuple[Any, Any]] = list(node.kwargs)
    for a in node.args:
        if isinstance(a, dict):
            items += list(a.items())
    for k, value in items:
        if k == "failFast":
            fail_fast = scope.ev.truth(value, node.span)
            if fail_fast != Static(False):  # true, or decided in the run
                ctx.approximated("step parallel failFast", node.span, FAIL_FAST, "parallel")
            continue
        if isinstance(value, Closure):
            branches.append((text(k), value.body))
    if not branches:
        ctx.placeholder("step parallel", node.span, "the branches are built dynamically by Groovy", scope,
                        key="parallel", source=node.raw)
        return scope
    ctx.mapped("step parallel", node.span, "parallel", f"{len(branches)} branches fan out")
    start, ends, arms = list(ctx.frontier), [], []
    rule_in = (ctx.pending_rule, ctx.after_conditional)  # every branch starts as the first one does
    for name, branch in branches:
        ctx.frontier = list(start)
        ctx.pending_rule, ctx.after_conditional = rule_in
        arms.append(ctx.walk(branch, replace(scope, stage=name)))
        ends += [t for t in ctx.frontier if t not in ends]
    ctx.frontier = ends
    return scope.join(arms, in_parallel(node.span))


def with_env(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """`withEnv(["A=value", ...]) { ... }`: each value a Groovy string (static, or computed in the run) that the
    body's tasks receive; the variables end with the block. A secret written in clear becomes a reference to an
    Airflow variable to create (convert.secrets), never a value."""
    inner, names = scope, []
    refs: list[SecretRef] = []
    for item in as_list(node.args[0] if node.args and not isinstance(node.args[0], Closure) else ()):
        pair = env_pair(item, scope, node.span)
        if isinstance(pair, Unknown):
            ctx.placeholder("step withEnv", node.span, f"an entry is not converted: {pair}", scope, key="withEnv",
                            source=node.raw, fallback=False)
            continue
        name, value = pair
        found = scope.ev.string(value, node.span)
        written = str(found.value) if isinstance(found, Static) else text(value)
        kind = classify(name, written, literal_value=isinstance(item, str))
        if kind:  # written in clear: an Airflow variable to create, never the value
            refs.append(ctx.literal_secret(name, written, kind, node.span, "withEnv"))
            continue
        inner = inner.bind_env(name, found, node.span)
        names.append(name)
    shown = names + [f"{r.env} (secret)" for r in refs]
    ctx.mapped("step withEnv", node.span, "withEnv", f"environment {', '.join(shown) or '(none)'}")
    inner = inner.with_secrets(refs)
    return scope.carry(ctx.walk(body(node), inner), start=inner)


def env_pair(item: Any, scope: Scope, span: Span) -> tuple[str, Any] | Unknown:
    """A `withEnv` entry `"NAME=value"` as (NAME, the value as an IR value): the name must be written out."""
    if isinstance(item, GString) and item.parts and isinstance(item.parts[0], str) and "=" in item.parts[0]:
        name, _, head = item.parts[0].partition("=")
        return name.strip(), GString(((head,) if head else ()) + item.parts[1:])
    value = scope.ev.string(item, span)
    if isinstance(value, Static) and "=" in str(value.value):
        name, _, rest = str(value.value).partition("=")
        return name.strip(), rest
    if isinstance(value, Unknown):
        return value
    return Unknown(f"the variable name of {text(item)!r} is only known in the run", span)


def docker_container(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`withDockerContainer('img') { steps }`: the body's tasks run in that image, like `.inside`."""
    found = scope.ev.value(arg(node, "image", ""), node.span)
    image = found.value if isinstance(found, Static) and isinstance(found.value, str) else ""
    if not image:
        ctx.placeholder(f"step {node.name}", node.span, "the image is only known in the run" if
                        isinstance(found, Static | Runtime) else f"the image is not converted: {found}", scope,
                        key=node.name, source=node.raw)
        ctx.walk(body(node), scope)
        return
    inner = agent_scope(Agent("docker", image=image, span=node.span), ctx, scope)
    ctx.mapped(f"step {node.name}", node.span, node.name, f"the body runs in image {image!r}")
    ctx.walk(body(node), inner)


def retry(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`retry(3) { body }`: Jenkins runs the whole body again after a failure, up to 3 attempts in all; each task of
    the body gets 2 Airflow retries (faithful for a body of one task, flagged otherwise: regions.close_retries)."""
    count, problem = regions.retry_count(ctx, arg(node, "count", 1), node.span, scope.ev)
    if count is None:
        ctx.approximated("step retry", node.span, problem, "retry")
        ctx.walk(body(node), scope)
        return
    conditions = node.kwarg("conditions")
    if conditions is not None:
        names = ", ".join(f"{c.name}()" if isinstance(c, Step) else text(c) for c in as_list(conditions))
        problem = (f"conditions [{names}]: Jenkins retries only on those (e.g. a lost agent), Airflow retries on "
                   "every failure")
    mark = len(ctx.open_retries)
    inner = regions.open_retries(ctx, scope, "step retry", node.span, "retry", count, "the whole block", problem)
    ctx.walk(body(node), inner)
    regions.close_retries(ctx, mark)


def timeout(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`timeout(time: 5, unit: 'MINUTES') { body }`: the body's tasks share the limit (regions.timeout_block)."""
    limit = regions.limit_of(ctx, node, arg(node, "time", None), node.kwarg("unit"), node.kwarg("activity"),
                             scope.ev)
    regions.timeout_block(ctx, scope, node, limit, body(node), ctx.walk)


def catch_error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`catchError(buildResult: 'FAILURE', stageResult: 'SUCCESS') { body }` and `warnError('msg') { body }` (both
    results UNSTABLE): a failure of the body is caught and the build goes on (regions.caught_region)."""
    default = "UNSTABLE" if node.name == "warnError" else "FAILURE"
    build = node.kwarg("buildResult") if node.kwarg("buildResult") is not None else default
    stage = node.kwarg("stageResult")
    if stage is None:
        stage = "UNSTABLE" if node.name == "warnError" else "SUCCESS"
    regions.caught_region(ctx, scope, node.span, f"step {node.name}", node.name, body(node), build, stage,
                          node.kwarg("catchInterruptions"))


HANDLERS: dict[str, Handler] = {
    "block": block, "node": node_, "dir": dir_, "ws": ws, "stage": stage, "parallel": parallel, "with_env": with_env,
    "docker_container": docker_container, "retry": retry, "timeout": timeout, "catch_error": catch_error,
}

"""Where tasks run, from a Jenkins agent (declarative `agent`, `node('label')`, `docker.image().inside`, a job's
assigned node): docker -> Fargate with the image; a label -> the queue, pool, image and shells of its rule in
mappings `agents` (mappings/environments.yaml); none/any -> the `any` rule. A label without a rule runs on the
default queue and is flagged with the rule to add; a label expression (`linux && docker`) is a key of its own.

AGENTS is the table of agent kinds; a kind not in it (any, none) keeps the `any` rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Agent, Span

# docker agent options that change nothing in Airflow, with why
DOCKER_WAIVED = {"reuseNode": "every task of a run shares its workspace already",
                 "alwaysPull": "Fargate pulls the image for every task"}


def label_key(label: str) -> str:
    """The key of a label (or label expression) in mappings `agents.labels`: as written, whitespace collapsed."""
    return " ".join(label.split())


def apply_rule(rule: dict[str, Any], label: str, scope: Scope) -> Scope:
    """The scope of tasks on workers of an agents rule: queue ("{label}" replaced), pool, image, shells. An agent
    replaces the one around it (a stage's agent is not its pipeline's): what the rule does not set is reset."""
    image = str(rule.get("image", ""))
    return replace(scope, queue=str(rule.get("queue", "")).replace("{label}", label), pool=str(rule.get("pool", "")),
                   image=image, executor="fargate" if image else "local",
                   shells=tuple(str(s) for s in rule["shells"]) if "shells" in rule else None)


def _describe(rule: dict[str, Any], label: str) -> str:
    parts = [f"{k} {str(v).replace('{label}', label)!r}" for k, v in rule.items() if k != "shells" and v]
    if rule.get("shells"):
        parts.append(f"shells {', '.join(map(str, rule['shells']))}")
    return ", ".join(parts) or "the default queue"


def label_scope(label: str, span: Span, ctx: Ctx, scope: Scope) -> Scope:
    """The scope of tasks on agents with `label`: by its rule, else the `default` rule, else flagged."""
    key = label_key(label)
    table = ctx.rules.table("agents")
    rule = {label_key(k): v for k, v in (table.get("labels") or {}).items()}.get(key)
    origin = f"agents.labels[{key!r}]"
    if rule is None and table.get("default"):
        rule, origin = table["default"], "agents.default"
    if rule is None:
        ctx.approximated("agent label", span, f"label {key!r} has no rule: the tasks run on Airflow's default "
                         f"queue, which may lack what {key!r} agents have. Map it in a --mappings file: "
                         f"`agents: {{labels: {{{key!r}: {{queue: QUEUE}}}}}}` (or pool, image, shells)", "agent")
        return apply_rule({}, label, scope)
    ctx.mapped("agent label", span, "agent", f"label {key!r} -> {_describe(rule, label)} ({origin})")
    return apply_rule(rule, label, scope)


def _docker(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    if not agent.image:
        return None
    ctx.mapped("agent docker", span, "agent", f"runs on Fargate in image {agent.image!r}")
    if agent.args:
        ctx.approximated("agent docker args", span, f"docker run arguments {agent.args!r} are not applied to the "
                         "task's container (volumes, users, networks... are the image's and the task's)", "agent")
    for name, value in agent.options:
        if name in DOCKER_WAIVED:
            ctx.waived(f"agent docker {name}", span, DOCKER_WAIVED[name], "agent")
        elif name not in ("customWorkspace",):
            ctx.approximated(f"agent docker {name}", span, f"docker agent option {name} {text(value)!r} has no "
                             "equivalent on the task's container", "agent")
    inner = label_scope(agent.label, span, ctx, scope) if agent.label else scope  # `.inside`: the node around
    return replace(inner, image=agent.image, executor="fargate")


def _label(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    if not agent.label:
        return None
    return label_scope(agent.label, span, ctx, scope)


def _built_in_ci(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    ctx.placeholder(f"agent {agent.kind}", span, f"a {agent.kind} agent builds its executor in CI; set an image "
                    "in mappings/agents or on the task", scope, key=f"agent {agent.kind}", fallback=False)
    return scope


# agent kind -> the scope its tasks run in, or None when the agent says too little (then: the `any` rule)
AGENTS: dict[str, Callable[[Agent, Span, Ctx, Scope], Scope | None]] = {
    "docker": _docker, "label": _label, "node": _label, "dockerfile": _built_in_ci, "kubernetes": _built_in_ci,
}


def custom_workspace(path: str, span: Span, ctx: Ctx, scope: Scope, element: str, key: str) -> Scope:
    """`customWorkspace 'x'` / `ws('x')` / a freestyle <customWorkspace>: the tasks run in `x` under the run's
    workspace, which becomes their WORKSPACE. An absolute path is kept relative to the run's workspace (each run
    has its own), flagged."""
    path = path.strip()
    if not path:
        return scope
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        ctx.approximated(element, span, f"custom workspace {path!r} is absolute: the tasks run in the run's own "
                         "workspace instead (Airflow runs do not share a fixed folder)", key)
        return replace(scope, cwd="", workspace="")
    if "$" in path:
        ctx.approximated(element, span, f"custom workspace {path!r} is made of variables Jenkins expands: the tasks "
                         "run in the run's workspace instead", key)
        return replace(scope, cwd="", workspace="")
    if ".." in path.replace("\\", "/").split("/"):
        ctx.approximated(element, span, f"custom workspace {path!r} leaves the run's workspace: the tasks run in "
                         "the run's workspace instead", key)
        return replace(scope, cwd="", workspace="")
    ctx.mapped(element, span, key, f"the tasks run in {path!r} under the run's workspace "
               "(their WORKSPACE)")
    return replace(scope, workspace=path, cwd="")


def global_env(ctx: Ctx, scope: Scope) -> Scope:
    """Jenkins' environment variables from outside the job (global properties, an agent's node properties), as
    mappings `agents.env` says them: `NAME: value` gives every task the value; `NAME: null` says the workers'
    environment has it (then `env.NAME` is read in the run)."""
    table = ctx.rules.table("agents").get("env") or {}
    scope = scope.with_env((str(k), str(v)) for k, v in table.items() if v is not None)
    known = workers_env(ctx)
    return replace(scope, ev=replace(scope.ev, known_env=scope.ev.known_env | known)) if known else scope


def workers_env(ctx: Ctx) -> frozenset[str]:
    """The variables mappings `agents.env` says the workers' environment has (`NAME: null`)."""
    return frozenset(str(k) for k, v in (ctx.rules.table("agents").get("env") or {}).items() if v is None)


def agent_scope(agent: Agent | None, ctx: Ctx, scope: Scope) -> Scope:
    if agent is None:
        return scope
    span = agent.span or ctx.job.span
    kind = AGENTS.get(agent.kind)
    inner = kind(agent, span, ctx, scope) if kind is not None else None
    if inner is None:
        rule = ctx.rules.table("agents").get("any") or {}
        ctx.mapped(f"agent {agent.kind}", span, "agent",
                   f"the `any` rule: {_describe(rule, '')}" if rule else "Airflow's default queue")
        inner = apply_rule(rule, "", scope)
    workspace = dict(agent.options).get("customWorkspace")
    if workspace is not None:
        inner = custom_workspace(text(workspace), span, ctx, inner, "agent customWorkspace", "customWorkspace")
    if inner.pool:
        ctx.pool(inner.pool, None)  # a rule names its pool, not how many tasks it runs at once
    return inner

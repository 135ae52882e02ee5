"""Where tasks run, from a Jenkins agent (declarative `agent`, `node('label')`, `docker.image().inside`, a job's
assigned node): docker -> Fargate with the image; a label -> a queue or image from mappings/agents; none/any -> as is.

AGENTS is the table of agent kinds; a kind not in it (any, none) keeps the default executor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.ir import Agent, Span


def _docker(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    if not agent.image:
        return None
    ctx.mapped("agent docker", span, "agent", f"runs on Fargate in image {agent.image!r}")
    return replace(scope, image=agent.image, executor="fargate")


def _label(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    if not agent.label:
        return None
    table = ctx.rules.table("agents")
    labels = table.get("labels") or {}
    target = labels.get(agent.label) or table.get("default") or {}
    if target.get("image"):
        ctx.mapped("agent label", span, "agent", f"label {agent.label!r} -> Fargate image {target['image']!r}")
        return replace(scope, image=str(target["image"]), executor="fargate")
    queue = str(target.get("queue", "")).replace("{label}", agent.label)
    ctx.mapped("agent label", span, "agent", f"label {agent.label!r} -> queue {queue!r}" if queue
               else f"label {agent.label!r} -> the default queue (map it in mappings/agents)")
    return replace(scope, queue=queue)


def _built_in_ci(agent: Agent, span: Span, ctx: Ctx, scope: Scope) -> Scope | None:
    ctx.placeholder(f"agent {agent.kind}", span, f"a {agent.kind} agent builds its executor in CI; set an image "
                    "in mappings/agents or on the task", scope, key=f"agent {agent.kind}", fallback=False)
    return scope


# agent kind -> the scope its tasks run in, or None when the agent says too little (then: the default executor)
AGENTS: dict[str, Callable[[Agent, Span, Ctx, Scope], Scope | None]] = {
    "docker": _docker, "label": _label, "node": _label, "dockerfile": _built_in_ci, "kubernetes": _built_in_ci,
}


def agent_scope(agent: Agent | None, ctx: Ctx, scope: Scope) -> Scope:
    if agent is None:
        return scope
    span = agent.span or ctx.job.span
    kind = AGENTS.get(agent.kind)
    inner = kind(agent, span, ctx, scope) if kind is not None else None
    if inner is not None:
        return inner
    ctx.mapped(f"agent {agent.kind}", span, "agent", "the default executor")
    return scope

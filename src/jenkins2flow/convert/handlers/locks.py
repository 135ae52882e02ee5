"""`lock(...)` (the Lockable Resources plugin), as a step around a body or a declarative option: Jenkins lets one
build at a time hold a resource. Its Airflow equivalent is a pool with one slot that every task inside takes, named
by the rule (mappings `steps.lock` / `options.lock`, `pool: "lock_{resource}"`); the pool must exist in Airflow
(the estate report's pools plan lists it, with its one slot; `jenkins2flow airflow` creates it).

Exact for a body of one task. Jenkins holds the lock for the whole block, an Airflow pool for one task at a time:
with more tasks (or as an option, for the whole stage or pipeline) another run's task can take the slot between
two of them, which is flagged. So is what a pool cannot do: a resource computed in the run (a pool is fixed when
the DAG is built), a lock by label, extra resources, skipIfLocked, and the waiting order (inversePrecedence,
priority).
"""

from __future__ import annotations

import re
from dataclasses import replace

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Static, Unknown
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, text
from jenkins2flow.ir import Closure, Step

_POOL_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")
# arguments a pool cannot honour -> what differs (a false/empty value changes nothing)
UNSUPPORTED = {
    "skipIfLocked": "Jenkins skips the body when the resource is taken; here its tasks wait for the slot and run",
    "extra": "extra resources: an Airflow task takes one pool, so only the first resource is held",
    "inversePrecedence": "Jenkins gives the resource to the newest waiting build; an Airflow pool serves the "
                         "queued tasks by priority weight, then in order",
    "priority": "Jenkins serves waiting builds by this priority; the pool's tasks keep their default priority weight",
}


def pool_name(rule: Rule, resource: str) -> str:
    """The Airflow pool of a resource: the rule's `pool` pattern with `{resource}`, characters Airflow's UI and
    API do not take in a name replaced by `_`."""
    pattern = str(rule.get("pool", "lock_{resource}"))
    return _POOL_NAME.sub("_", pattern.replace("{resource}", resource))[:256]


def lock(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    inside = body(node)
    option = node.body is None and not any(isinstance(a, Closure) for a in (*node.args, *(v for _, v in node.kwargs)))
    element = f"{'option' if option else 'step'} {node.name}"
    problems: list[str] = []
    inner, pool, name = scope, "", ""
    resource, label = arg(node, "resource", None), node.kwarg("label")
    if resource is None:
        problems.append(f"a lock by label {text(label)!r} takes any free resource of the label; Airflow pools have "
                        "no labels: not enforced" if label is not None else "no resource is named: not enforced")
    else:
        found = scope.ev.string(resource, node.span)
        if isinstance(found, Static) and str(found.value):
            name = str(found.value)
            pool = pool_name(rule, name)
            if scope.pool and scope.pool != pool:
                problems.append(f"the tasks leave pool {scope.pool!r} (their agent's rule or an enclosing lock) for "
                                "the lock's: an Airflow task is in one pool")
            inner = replace(scope, pool=pool)
            ctx.pool(pool, 1)
            variable = text(node.kwarg("variable") or "")
            if variable:  # Jenkins sets it (and VAR0) to the locked resource's name for the body
                inner = inner.bind_env(variable, name, node.span).bind_env(f"{variable}0", name, node.span)
        else:
            why = str(found) if isinstance(found, Unknown) else "it is computed in the run"
            problems.append(f"the resource is not known when converting ({why}); an Airflow pool is fixed when the "
                            "DAG is built: not enforced")
    for key, why in UNSUPPORTED.items():
        value = node.kwarg(key)
        if value not in (None, False, "", 0, "false", ()):
            problems.append(f"{key}: {why}")
    mark = len(ctx.tasks)
    end = scope if option else ctx.walk(inside, inner)
    held = len(ctx.tasks) - mark
    if pool and option:
        problems.append("Jenkins holds the lock for the whole stage or pipeline it is an option of; each of its "
                        "tasks takes the pool's one slot in turn, so another run's task can run between two of them")
    elif pool and held > 1:
        problems.append(f"Jenkins holds the lock for the whole block; each of its {held} tasks takes the pool's one "
                        "slot in turn, so another run's task can run between two of them")
    create = f"Airflow pool {pool!r} with one slot, which must exist: `airflow pools set {pool} 1 " \
             f"'Jenkins lock {name}'` (rule {'options' if option else 'steps'}.{node.name}.pool)" if pool else ""
    if problems:
        ctx.approximated(element, node.span, "; ".join(problems) + (f". The tasks take {create}" if create else ""),
                         node.name)
    else:
        ctx.mapped(element, node.span, node.name, f"the tasks take {create}")
    return inner if option else scope.carry(end, start=inner)


HANDLERS: dict[str, Handler] = {"lock": lock}

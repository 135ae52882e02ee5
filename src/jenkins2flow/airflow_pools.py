"""The Airflow pools the catalog's published pipelines take, created in a local Airflow before its scheduler starts:
Airflow never schedules a task whose pool does not exist, so a migrated pipeline would wait forever.

A pool's size is what the conversion recorded in the estate report's pools plan (a Jenkins lock's pool: one slot);
only such pools are created, and only those missing (an existing pool is never changed). A pool whose size the
report does not give (an agent rule's pool, or a pipeline edited by hand) is left to the user, with the command.
Airflow is reached through its CLI (`airflow pools list`, `airflow pools import`), never imported.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jenkins2flow_runtime.records import Records
from jenkins2flow_runtime.store import open_store

from jenkins2flow.convert.summary import pool_command, pool_description
from jenkins2flow.errors import Jenkins2flowError


@dataclass
class PoolPlan:
    """What a local Airflow needs: the pools to create (name -> slots) and those the user must create."""

    create: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # slots not known: the user creates them

    def lines(self) -> list[str]:
        """What to tell the user."""
        out = [f"Created Airflow pool {name!r} with {slots} slot{'s' * (slots != 1)}." for name, slots in
               self.create.items()]
        out += [f"Create Airflow pool {name!r} (its size is not known: the slots its Jenkins agents had), else its "
                f"tasks are never scheduled: {pool_command(name, None)}" for name in self.unknown]
        return out


def pools_taken(store_uri: str) -> dict[str, list[str]]:
    """The pools the tasks of the catalog's published pipelines take (not their drafts'), with those pipelines."""
    out: dict[str, list[str]] = {}
    with open_store(store_uri) as store:
        for doc in store.published("pipeline"):
            for task in doc.spec.tasks:  # type: ignore[union-attr]
                if task.pool and doc.name not in out.setdefault(task.pool, []):
                    out[task.pool].append(doc.name)
    return out


def known_slots(store_uri: str) -> dict[str, int]:
    """Pool sizes the conversion recorded: the pools plan of the last `convert` report (else the last report)."""
    with Records(store_uri) as records:
        record = records.latest_estate_report("convert") or records.latest_estate_report()
    pools = record.report.get("pools", []) if record is not None else []  # a report of an earlier release: none
    return {p["pool"]: int(p["slots"]) for p in pools if p.get("slots") is not None}


def plan_pools(taken: Mapping[str, Sequence[str]], slots: Mapping[str, int], existing: set[str]) -> PoolPlan:
    """The missing pools among `taken`: those of known size to create, the others for the user."""
    plan = PoolPlan()
    for name in sorted(set(taken) - existing):
        if name in slots:
            plan.create[name] = slots[name]
        else:
            plan.unknown.append(name)
    return plan


def existing_pools(airflow: Sequence[str], env: Mapping[str, str]) -> set[str]:
    """The pools of the Airflow of `env` (`airflow pools list -o json`)."""
    listed = _run([*airflow, "pools", "list", "-o", "json"], env, "list its pools")
    try:
        return {str(p["pool"]) for p in json.loads(listed)}
    except (ValueError, KeyError, TypeError):
        raise Jenkins2flowError(f"`airflow pools list -o json` printed no pool list: {listed[-300:]!r}.") from None


def create_pools(airflow: Sequence[str], env: Mapping[str, str], pools: Mapping[str, int], folder: Path) -> None:
    """Create `pools` in one `airflow pools import` (its file is left in `folder`, for the record)."""
    path = folder / "jenkins2flow-pools.json"
    rows = {name: {"slots": slots, "description": pool_description(slots), "include_deferred": False}
            for name, slots in pools.items()}
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    _run([*airflow, "pools", "import", str(path)], env, f"create the pools {', '.join(map(repr, pools))}")


def ensure_pools(store_uri: str, airflow: Sequence[str], env: Mapping[str, str], folder: Path) -> PoolPlan:
    """Create the missing pools of known size the published pipelines take; nothing runs when they take none."""
    taken = pools_taken(store_uri)
    if not taken:
        return PoolPlan()
    plan = plan_pools(taken, known_slots(store_uri), existing_pools(airflow, env))
    if plan.create:
        create_pools(airflow, env, plan.create, folder)
    return plan


def _run(command: Sequence[str], env: Mapping[str, str], what: str) -> str:
    done = subprocess.run(list(command), env=dict(env), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split()[-40:])
        raise Jenkins2flowError(f"Airflow could not {what}: {tail}")
    return done.stdout


__all__ = ["PoolPlan", "create_pools", "ensure_pools", "existing_pools", "known_slots", "plan_pools", "pools_taken"]

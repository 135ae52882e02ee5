"""Schema migrations: one function per step vN -> vN+1, applied in order when a document is loaded.

Adding a migration: bump `SCHEMA_VERSION` and register `@migration(old)` that takes the raw dict of a document at
`schema_version == old` and returns it at `old + 1`. Migrations work on plain dicts, before validation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 1

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


def migration(from_version: int) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if from_version in MIGRATIONS:
            raise RuntimeError(f"Two migrations registered from schema version {from_version}.")
        MIGRATIONS[from_version] = fn
        return fn

    return register


def migrate(data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Bring a raw document to SCHEMA_VERSION; return it and whether anything was migrated."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise ValueError(f"schema_version {version!r} must be a non-negative integer")
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {version} is newer than this jenkins2flow understands ({SCHEMA_VERSION}); upgrade it"
        )
    start = version
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"no migration from schema_version {version} to {version + 1}")
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data, version != start


# -- v0 -> v1 ---------------------------------------------------------------------------------------------------------
# v0 is the pre-release layout (documents without `schema_version`):
#   kind task | view | template | pipeline; a task's shell text under `script`;
#   pipeline `schedule` a single cron string, `owner` a single string, and tasks written as
#   {id, task: "name@3" | view: "name@2", upstream: [...]}.

_V0_KINDS = {"task": "concrete_task", "view": "view_task", "template": "parameter_template"}


def _v0_ref(kind: str, text: str) -> dict[str, Any]:
    name, _, version = str(text).partition("@")
    return {"kind": kind, "name": name, "version": int(version or 0)}


@migration(0)
def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    doc["kind"] = _V0_KINDS.get(doc.get("kind", ""), doc.get("kind"))
    spec = dict(doc.get("spec") or {})
    if doc["kind"] == "concrete_task" and "script" in spec:
        spec["command"] = spec.pop("script")
    if doc["kind"] == "pipeline":
        if isinstance(spec.get("schedule"), str):
            spec["schedule"] = {"cron": [spec["schedule"]]}
        if "owner" in spec:
            owner = spec.pop("owner")
            spec["owners"] = [owner] if owner else []
        tasks = []
        for task in spec.get("tasks", []):
            task = dict(task)
            if "task" in task:
                task["uses"] = _v0_ref("concrete_task", task.pop("task"))
            elif "view" in task:
                task["uses"] = _v0_ref("view_task", task.pop("view"))
            if "upstream" in task:
                task["depends_on"] = task.pop("upstream")
            tasks.append(task)
        spec["tasks"] = tasks
    doc["spec"] = spec
    return doc

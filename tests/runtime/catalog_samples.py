"""Catalog documents for the runtime tests, saved and published into a SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import open_store


def ref(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "version": 0}


def publish_all(store_path: Path | str, docs: list[model.Document]) -> None:
    with open_store(str(store_path), create=True) as store:
        saved = store.save_many(docs, by="tests")
        for d in saved:
            if d.kind != "pipeline":
                store.publish(d.kind, d.name, d.version, by="tests")
        for d in saved:
            if d.kind == "pipeline":
                store.publish(d.kind, d.name, d.version, by="tests")


def shell_pipeline(name: str, *, tasks: int = 2, **extra: Any) -> list[model.Document]:
    """A pipeline of `tasks` chained shell tasks that share one concrete task."""
    docs = [model.make("concrete_task", "echo", {"type": "shell", "command": "echo hello $WHO"})]
    spec: dict[str, Any] = {
        "tasks": [
            {"id": f"step{i}", "uses": ref("concrete_task", "echo"), "bindings": {"WHO": f"n{i}"},
             "depends_on": [f"step{i - 1}"] if i else []}
            for i in range(tasks)
        ],
        "provenance": {"job": f"folder/{name}", "source": f"https://jenkins.example.com/job/{name}/"},
        **extra,
    }
    docs.append(model.make("pipeline", name, spec))
    return docs

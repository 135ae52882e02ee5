"""Small document factories shared by the store tests (imported by subprocesses too)."""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime.model import Document, make


def task(name: str, command: str = "echo hi", **spec: Any) -> Document:
    return make("concrete_task", name, {"type": "shell", "command": command, **spec})


def template(name: str, *params: str) -> Document:
    return make("parameter_template", name, {"parameters": [{"name": p} for p in params or ("run_date",)]})


def pipeline(name: str, *uses: tuple[str, int], **spec: Any) -> Document:
    tasks = [
        {"id": f"t{i}", "uses": {"kind": "concrete_task", "name": n, "version": v}, "depends_on": [f"t{i - 1}"][:i]}
        for i, (n, v) in enumerate(uses)
    ]
    return make("pipeline", name, {"tasks": tasks, **spec})


def batch(n: int, tag: str = "") -> list[Document]:
    """n tasks and n pipelines pinning them (version 0: resolved by the store in the same batch)."""
    out = [task(f"task-{i}", f"echo {i} {tag}") for i in range(n)]
    out += [pipeline(f"pipe-{i}", (f"task-{i}", 0), description=tag) for i in range(n)]
    return out

"""Bulk save into the catalog store: 10,000 pipelines and 30,000 tasks, on SQLite and on mongomock.

Prints documents/s (median of 3 fresh stores) for the first save and for re-saving the same 10,000 pipelines, the
number of versions that re-save created (must be 0), and a reference measured in the same run: building and
validating the same documents in memory (`make`), which every save has to pay anyway.

    .venv/bin/python bench/store_bulk.py [--pipelines 10000] [--runs 3] [--backends sqlite,mongomock]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from jenkins2flow_runtime.model import Document, make
from jenkins2flow_runtime.store import open_store


def documents(pipelines: int) -> tuple[list[Document], list[Document]]:
    tasks = [
        make("concrete_task", f"task-{i}", {"type": "shell", "command": f"./step.sh {i}\necho done", "retries": 1})
        for i in range(3 * pipelines)
    ]
    pipes = []
    for p in range(pipelines):
        ids = [f"step{k}" for k in range(3)]
        spec = {
            "schedule": {"cron": [f"{p % 60} 2 * * *"], "timezone": "UTC"},
            "tasks": [
                {"id": ids[k], "uses": {"kind": "concrete_task", "name": f"task-{3 * p + k}"},
                 "depends_on": ids[:k][-1:]}
                for k in range(3)
            ],
            "owners": [f"team-{p % 17}"],
            "tags": ["bench", f"shard-{p % 10}"],
            "provenance": {"job": f"folder/job-{p}", "config_sha256": "0" * 64},
        }
        pipes.append(make("pipeline", f"pipe-{p}", spec))
    return tasks, pipes


def uri_for(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return str(folder / f"{uuid.uuid4().hex}.db")
    return f"mongomock://bench/{uuid.uuid4().hex}"


def one_run(backend: str, folder: Path, tasks: list[Document], pipes: list[Document]) -> tuple[float, float, int]:
    with open_store(uri_for(backend, folder), create=True) as store:
        start = time.perf_counter()
        store.save_many([*tasks, *pipes], by="bench")
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = store.save_many(pipes, by="bench")
        resave = time.perf_counter() - start
        created = sum(1 for d in again if d.version != 1)
    return first, resave, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,mongomock")
    args = parser.parse_args()

    builds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        tasks, pipes = documents(args.pipelines)
        builds.append(time.perf_counter() - start)
    total = len(tasks) + len(pipes)
    ref = total / statistics.median(builds)
    print(f"documents: {len(pipes):,} pipelines + {len(tasks):,} tasks = {total:,}")
    print(f"reference: build+validate in memory (make)  {ref:>10,.0f} docs/s")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results = [one_run(backend, Path(tmp), tasks, pipes) for _ in range(args.runs)]
            first = total / statistics.median(r[0] for r in results)
            resave = len(pipes) / statistics.median(r[1] for r in results)
            created = max(r[2] for r in results)
            print(
                f"{backend:<10} first save {first:>9,.0f} docs/s ({first / ref:.2f}x ref)   "
                f"re-save {len(pipes):,} pipelines {resave:>9,.0f} docs/s   new versions on re-save: {created}"
            )


if __name__ == "__main__":
    main()

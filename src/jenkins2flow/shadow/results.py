"""Shadow run results, stored next to the catalog: a `shadow_runs` table in the catalog's SQLite file, or a
`shadow_runs` collection in its MongoDB database. One row per shadow run; the whole result as JSON."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from jenkins2flow.shadow.errors import CannotRun
from jenkins2flow.shadow.outcome import ShadowResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS shadow_runs (
    run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    verdict TEXT NOT NULL, exit_code INTEGER NOT NULL, reason TEXT NOT NULL,
    baseline_id TEXT NOT NULL, candidate_id TEXT NOT NULL, differences INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shadow_runs_pipeline ON shadow_runs (pipeline, started_at);
"""


def _row(result: ShadowResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id, "pipeline": result.pipeline, "started_at": result.started_at,
        "finished_at": result.finished_at, "verdict": result.verdict, "exit_code": result.exit_code,
        "reason": result.reason, "baseline_id": result.baseline.id if result.baseline else "",
        "candidate_id": result.candidate.id if result.candidate else "",
        "differences": sum(o.total_differences for o in result.outputs),
    }


class ResultsStore:
    """`save`, `get` and `history` over the SQLite file or MongoDB database named by a catalog store URI.

    The catalog must exist: a missing one raises StoreMissing ("no catalog at PATH"), as open_store does, so neither
    `shadow report` nor `shadow history` (nor a shadow run aimed at a typo) ever leaves a new store behind. Only
    `create=True`, what a shadow run's save passes, adds the `shadow_runs` table (or its indexes) to that catalog; a
    reader writes nothing, and a catalog without the table has no shadow runs yet."""

    def __init__(self, uri: str, *, create: bool = False) -> None:
        from jenkins2flow_runtime.store import open_store

        open_store(uri).close()  # StoreMissing / StoreUnavailable with the catalog's own one-line messages
        self.uri = uri
        self.db: sqlite3.Connection | None = None
        self.coll: Any = None
        self.has_table = True  # False: a SQLite catalog that has had no shadow run yet
        if uri.startswith(("mongodb://", "mongodb+srv://", "mongomock://")):
            from jenkins2flow_runtime.store.mongo import _client  # same client rules as the catalog (mongomock too)

            self.client, database, _ = _client(uri)
            self.coll = self.client[database]["shadow_runs"]
            if create:
                self.coll.create_index([("pipeline", 1), ("started_at", 1)])
        elif create:
            self.db = sqlite3.connect(uri.removeprefix("sqlite:///"), timeout=60, isolation_level=None)
            self.db.executescript(SCHEMA)
        else:
            path = Path(uri.removeprefix("sqlite:///")).resolve()
            self.db = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, timeout=60)
            found = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='shadow_runs'")
            self.has_table = found.fetchone() is not None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
        elif self.coll is not None:
            self.client.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save(self, result: ShadowResult) -> None:
        row = _row(result)
        body = result.to_dict()
        if self.db is not None:
            row["body"] = json.dumps(body, default=str)
            cols = ", ".join(row)
            self.db.execute(f"INSERT OR REPLACE INTO shadow_runs ({cols}) VALUES ({', '.join('?' * len(row))})",
                            list(row.values()))
        else:
            self.coll.replace_one({"_id": result.run_id}, {"_id": result.run_id, **row, "body": body}, upsert=True)

    def get(self, run_id: str) -> ShadowResult:
        if not self.has_table:
            body = None
        elif self.db is not None:
            found = self.db.execute("SELECT body FROM shadow_runs WHERE run_id = ?", (run_id,)).fetchone()
            body = json.loads(found[0]) if found else None
        else:
            doc = self.coll.find_one({"_id": run_id})
            body = doc["body"] if doc else None
        if body is None:
            raise CannotRun(f"No shadow run {run_id!r} in {self.uri}; `jenkins2flow shadow history PIPELINE` lists "
                            "them.")
        return ShadowResult.from_dict(body)

    def history(self, pipeline: str, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs of a pipeline, newest first, without their bodies."""
        fields = ["run_id", "pipeline", "started_at", "finished_at", "verdict", "exit_code", "reason", "baseline_id",
                  "candidate_id", "differences"]
        if not self.has_table:
            return []
        if self.db is not None:
            cur = self.db.execute(
                f"SELECT {', '.join(fields)} FROM shadow_runs WHERE pipeline = ? ORDER BY started_at DESC LIMIT ?",
                (pipeline, limit))
            return [dict(zip(fields, r, strict=True)) for r in cur.fetchall()]
        docs = self.coll.find({"pipeline": pipeline}, {f: 1 for f in fields}).sort("started_at", -1).limit(limit)
        return [{f: d.get(f) for f in fields} for d in docs]

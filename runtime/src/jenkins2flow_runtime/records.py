"""Migration records kept next to the catalog: the estate reports of `convert` / `audit` and the shadow runs.

Both live in the catalog's own database: tables of its SQLite file, or collections of its MongoDB database.
- `estate_reports`: written here (the toolkit's `convert` and `audit` call `save_estate_report`), one row per run,
  the whole report as JSON;
- `shadow_runs`: written by the toolkit's shadow harness (jenkins2flow.shadow.results); read here, by its columns
  and its JSON body, so that the runtime (and the catalog UI in it) never imports the toolkit.
Readers never create anything: a missing file or table reads as "no records yet".
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.store import store_uri

MONGO_SCHEMES = ("mongodb://", "mongodb+srv://", "mongomock://")
ESTATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS estate_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, command TEXT NOT NULL, by TEXT NOT NULL,
    sources TEXT NOT NULL, jobs INTEGER NOT NULL, body TEXT NOT NULL
)
"""
SHADOW_FIELDS = ("run_id", "pipeline", "started_at", "finished_at", "verdict", "exit_code", "reason", "differences")


@dataclass(frozen=True, slots=True)
class EstateRecord:
    id: str
    at: str
    command: str  # convert | audit
    by: str
    sources: list[str]
    report: dict[str, Any]  # Estate.report() plus "ledgers": per job, what was not simply mapped


def _sqlite_path(uri: str) -> Path:
    return Path(uri.removeprefix("sqlite:///"))


class Records:
    """The migration records of the catalog at `uri` (a SQLite path or a MongoDB URI)."""

    def __init__(self, uri: str | None = None, *, write: bool = False) -> None:
        self.uri = store_uri(uri)
        self.db: sqlite3.Connection | None = None
        self.mongo: Any = None
        self.client: Any = None
        if self.uri.startswith(MONGO_SCHEMES):
            from jenkins2flow_runtime.store.mongo import _client  # the catalog's own client rules (mongomock too)

            self.client, database, _ = _client(self.uri)
            self.mongo = self.client[database]
            return
        path = _sqlite_path(self.uri)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(ESTATE_SCHEMA)
        elif path.is_file():
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60, check_same_thread=False)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
        if self.client is not None:
            self.client.close()

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- estate reports ------------------------------------------------------------------------------------------

    def save_estate_report(self, report: dict[str, Any], *, command: str, sources: list[str], by: str = "") -> str:
        """Store one estate report; returns its id."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        row = {"at": at, "command": command, "by": by, "sources": sources, "jobs": int(report.get("jobs", 0))}
        if self.mongo is not None:
            result = self.mongo["estate_reports"].insert_one({**row, "body": report})
            return str(result.inserted_id)
        if self.db is None:
            raise RuntimeError("Records opened for reading only")
        cur = self.db.execute(
            "INSERT INTO estate_reports (at, command, by, sources, jobs, body) VALUES (?,?,?,?,?,?)",
            (at, command, by, json.dumps(sources), row["jobs"], json.dumps(report, default=str)),
        )
        return str(cur.lastrowid)

    def latest_estate_report(self, command: str | None = None) -> EstateRecord | None:
        """The last estate report (of `command`, if given), or None."""
        if self.mongo is not None:
            query = {"command": command} if command else {}
            found = list(self.mongo["estate_reports"].find(query).sort([("at", -1), ("_id", -1)]).limit(1))
            if not found:
                return None
            d = found[0]
            return EstateRecord(str(d["_id"]), d["at"], d["command"], d["by"], list(d["sources"]), d["body"])
        if not self._has_table("estate_reports"):
            return None
        assert self.db is not None
        row = self.db.execute(
            "SELECT id, at, command, by, sources, body FROM estate_reports WHERE (?1 IS NULL OR command=?1)"
            " ORDER BY id DESC LIMIT 1", (command,),
        ).fetchone()
        if row is None:
            return None
        return EstateRecord(str(row[0]), row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]))

    # -- shadow runs (written by the toolkit) --------------------------------------------------------------------

    def shadow_runs(self, pipeline: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The latest shadow runs (of one pipeline, if given), newest first, without their bodies."""
        if self.mongo is not None:
            query = {"pipeline": pipeline} if pipeline else {}
            docs = self.mongo["shadow_runs"].find(query, {f: 1 for f in SHADOW_FIELDS})
            return [{f: d.get(f) for f in SHADOW_FIELDS} for d in docs.sort("started_at", -1).limit(limit)]
        if not self._has_table("shadow_runs"):
            return []
        assert self.db is not None
        rows = self.db.execute(
            f"SELECT {', '.join(SHADOW_FIELDS)} FROM shadow_runs WHERE (?1 IS NULL OR pipeline=?1)"
            " ORDER BY started_at DESC LIMIT ?2", (pipeline, limit),
        ).fetchall()
        return [dict(zip(SHADOW_FIELDS, r, strict=True)) for r in rows]

    def shadow_run(self, run_id: str) -> dict[str, Any] | None:
        """One shadow run's whole result (ShadowResult.to_dict()), or None."""
        if self.mongo is not None:
            doc = self.mongo["shadow_runs"].find_one({"_id": run_id})
            return dict(doc["body"]) if doc else None
        if not self._has_table("shadow_runs"):
            return None
        assert self.db is not None
        row = self.db.execute("SELECT body FROM shadow_runs WHERE run_id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def _has_table(self, name: str) -> bool:
        if self.db is None:
            return False
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
        return row is not None


def save_estate_report(uri: str | None, report: dict[str, Any], *, command: str, sources: list[str],
                       by: str = "") -> str:
    """Store an estate report next to the catalog at `uri`; returns its id."""
    with Records(uri, write=True) as records:
        return records.save_estate_report(report, command=command, sources=sources, by=by)

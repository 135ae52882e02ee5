"""SQLite backend: one file, transactions, WAL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from jenkins2flow_runtime.model import Document, Kind, from_dict
from jenkins2flow_runtime.store.base import ConflictError, NotFoundError, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    spec_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, name, version)
);
CREATE INDEX IF NOT EXISTS documents_status ON documents (kind, status);
"""


class SqliteStore(Store):
    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _row_doc(self, body: str, status: str) -> Document:
        data = json.loads(body)
        data["status"] = status
        return from_dict(data)

    def _latest(self, kind: str, name: str) -> tuple[int, str] | None:
        row = self.db.execute(
            "SELECT version, spec_hash FROM documents WHERE kind=? AND name=? ORDER BY version DESC LIMIT 1",
            (kind, name),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _insert(self, doc: Document, by: str, comment: str, expected_version: int | None) -> Document:
        latest = self._latest(doc.kind, doc.name)
        current = latest[0] if latest else 0
        if expected_version is not None and expected_version != current:
            raise ConflictError(
                f"{doc.kind} {doc.name!r} is at version {current}, not {expected_version}; reload and retry."
            )
        if latest and latest[1] == doc.spec_hash:
            return self.get(doc.kind, doc.name, current)
        new = doc.model_copy(
            update={
                "version": current + 1,
                "status": "draft",
                "created_at": datetime.now(UTC),
                "created_by": by or doc.created_by,
                "comment": comment or doc.comment,
            }
        )
        self.db.execute(
            "INSERT INTO documents (kind, name, version, spec_hash, status, body) VALUES (?,?,?,?,?,?)",
            (new.kind, new.name, new.version, new.spec_hash, new.status, new.model_dump_json()),
        )
        return new

    # -- interface -------------------------------------------------------------------------------------------------

    def save(
        self, doc: Document, *, by: str = "", comment: str = "", expected_version: int | None = None
    ) -> Document:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            out = self._insert(doc, by, comment, expected_version)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return out

    def save_many(self, docs: Iterable[Document], *, by: str = "", comment: str = "") -> list[Document]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            out = [self._insert(d, by, comment, None) for d in docs]
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return out

    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        if version == "latest":
            sql, args = "kind=? AND name=? ORDER BY version DESC LIMIT 1", (kind, name)
        elif version == "published":
            sql, args = "kind=? AND name=? AND status='published'", (kind, name)
        else:
            sql, args = "kind=? AND name=? AND version=?", (kind, name, int(version))
        row = self.db.execute(f"SELECT body, status FROM documents WHERE {sql}", args).fetchone()
        if row is None:
            raise NotFoundError(f"No {kind} {name!r} ({version}) in the store {self.path!r}.")
        return self._row_doc(row[0], row[1])

    def list(self, kind: Kind | None = None, status: str | None = None) -> list[Document]:
        rows = self.db.execute(
            "SELECT d.body, d.status FROM documents d JOIN ("
            " SELECT kind, name, MAX(version) v FROM documents GROUP BY kind, name) m"
            " ON d.kind=m.kind AND d.name=m.name AND d.version=m.v"
            " WHERE (? IS NULL OR d.kind=?) ORDER BY d.kind, d.name",
            (kind, kind),
        ).fetchall()
        docs = [self._row_doc(b, s) for b, s in rows]
        return [d for d in docs if status is None or d.status == status]

    def history(self, kind: Kind, name: str) -> list[Document]:
        rows = self.db.execute(
            "SELECT body, status FROM documents WHERE kind=? AND name=? ORDER BY version", (kind, name)
        ).fetchall()
        if not rows:
            raise NotFoundError(f"No {kind} {name!r} in the store {self.path!r}.")
        return [self._row_doc(b, s) for b, s in rows]

    def publish(self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = "") -> Document:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            target = self.get(kind, name, "latest" if version is None else version)
            self.db.execute(
                "UPDATE documents SET status='draft' WHERE kind=? AND name=? AND status='published'", (kind, name)
            )
            self.db.execute(
                "UPDATE documents SET status='published' WHERE kind=? AND name=? AND version=?",
                (kind, name, target.version),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return target.model_copy(update={"status": "published"})

    def published(self, kind: Kind) -> list[Document]:
        rows = self.db.execute(
            "SELECT body, status FROM documents WHERE kind=? AND status='published' ORDER BY name", (kind,)
        ).fetchall()
        return [self._row_doc(b, s) for b, s in rows]



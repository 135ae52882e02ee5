"""SQLite backend: one file, WAL, every write one `BEGIN IMMEDIATE` transaction (so a killed batch leaves nothing).

Readers never block on a writer in WAL mode; only a writer that holds the file exclusively (another tool's
`locking_mode=EXCLUSIVE`, a rollback-journal copy) makes them wait, for `timeout` seconds at most. Every sqlite3
error becomes a StoreUnavailable naming the file and what to do (corrupt, read-only, locked, cannot open).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.model import Document, Kind, from_dict
from jenkins2flow_runtime.store.base import (
    Action,
    AuditEntry,
    InvalidDocument,
    NotFoundError,
    PipelineHead,
    RefError,
    Store,
    StoreUnavailable,
    Usage,
    describe,
    no_catalog,
)
from jenkins2flow_runtime.store.plan import (
    Head,
    as_given,
    build_valid,
    index_fields,
    key,
    plan,
    publish_problems,
    ref_keys,
    ref_problems,
    version_number,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    kind TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    spec_hash TEXT NOT NULL, schema_version INTEGER NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, comment TEXT NOT NULL,
    tags TEXT NOT NULL, owners TEXT NOT NULL, source_job TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, name, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS versions_source_job ON versions (source_job);
CREATE TABLE IF NOT EXISTS heads (
    kind TEXT NOT NULL, name TEXT NOT NULL,
    latest INTEGER NOT NULL, latest_hash TEXT NOT NULL,
    published INTEGER, released TEXT NOT NULL DEFAULT '[]', retired TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (
    kind TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    ref_kind TEXT NOT NULL, ref_name TEXT NOT NULL, ref_version INTEGER NOT NULL, path TEXT NOT NULL,
    PRIMARY KEY (kind, name, version, path)
);
CREATE INDEX IF NOT EXISTS refs_target ON refs (ref_kind, ref_name);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    version INTEGER NOT NULL, action TEXT NOT NULL, by TEXT NOT NULL, comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_doc ON audit (kind, name, id);
"""

HEAD_COLS = "h.kind, h.name, h.latest, h.latest_hash, h.published, h.released, h.retired"
CHUNK = 400
TABLES = ("audit", "heads", "refs", "versions")
DEFAULT_TIMEOUT = 60.0


def _head(row: Any) -> Head:
    return Head(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]))


def _folder_problem(path: Path) -> str:
    """Why `path` cannot hold a file: a parent that is a regular file, or a missing folder ("" if neither)."""
    for parent in path.parents:
        if parent.exists():
            return "" if parent.is_dir() else f"{str(parent)!r} is a file, not a folder"
    return ""


def explain(path: str, exc: sqlite3.Error, timeout: float) -> str:
    """A sqlite3 error on the catalog at `path` as one line a person can act on."""
    msg = str(exc)
    where = f"The store {path!r}"
    if "not a database" in msg or "malformed" in msg:
        return f"{where} is not a readable SQLite catalog ({msg}): restore it from a backup or use another --store."
    if "readonly" in msg or "read-only" in msg:
        return f"{where} is read-only ({msg}): make the file and its folder writable, or pass another --store."
    if "locked" in msg or "busy" in msg:
        return f"{where} is locked by another writer ({msg}, waited {timeout:g} s): try again when it is done."
    if "unable to open" in msg:
        return f"Cannot open the store {path!r} ({msg}): check that it and its folder are readable."
    return f"{where} failed: {type(exc).__name__}: {msg}"


class SqliteStore(Store):
    def __init__(self, path: str, *, create: bool = False, timeout: float | None = None) -> None:
        self.path = path
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.lock = threading.RLock()
        file = Path(path)
        if file.is_dir():
            raise StoreUnavailable(f"The store {path!r} is a folder, not a SQLite file: pass a file's path to --store.")
        if not create and not file.is_file():
            problem = _folder_problem(file)
            raise no_catalog(repr(path), problem or ("" if file.parent.is_dir() else "its folder does not exist"))
        if create:
            problem = _folder_problem(file)
            if problem:
                raise StoreUnavailable(f"Cannot create the store {path!r}: {problem}.")
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"Cannot create the folder of the store {path!r}: {exc.strerror}.") from None
        with self._errors():
            self.db = sqlite3.connect(path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            if create:
                self._create_schema()
            else:
                self._check_schema()
        except BaseException:
            self.db.close()
            raise

    def _create_schema(self) -> None:
        with self._errors():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        with self._tx():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)

    def _check_schema(self) -> None:
        """An existing file opened without `create`: it must already be a catalog (nothing is written here)."""
        with self._errors():
            self.db.execute("PRAGMA synchronous=NORMAL")
            found = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in TABLES if t not in found]
        if missing:
            raise StoreUnavailable(
                f"The file {self.path!r} is not a jenkins2flow catalog (no {', '.join(missing)} table): "
                "pass the right --store, or run convert to make a new catalog elsewhere."
            )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Every sqlite3 error as one line a person can act on."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreUnavailable(self._explain(exc)) from None

    def _explain(self, exc: sqlite3.Error) -> str:
        return explain(self.path, exc, self.timeout)

    def close(self) -> None:
        self.db.close()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    # -- helpers ---------------------------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self.lock, self._errors():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
                raise

    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self.lock, self._errors():
            yield

    def _checkpoint(self, stage: str) -> None:
        """A hook between the steps of a batch write (tests kill the process here)."""

    def _heads(self, keys: set[str]) -> dict[str, Head]:
        by_kind: dict[str, list[str]] = {}
        for k in keys:
            kind, _, name = k.partition("/")
            by_kind.setdefault(kind, []).append(name)
        out: dict[str, Head] = {}
        for kind, names in by_kind.items():
            for i in range(0, len(names), CHUNK):
                part = names[i : i + CHUNK]
                rows = self.db.execute(
                    f"SELECT {HEAD_COLS} FROM heads h WHERE h.kind=? AND h.name IN ({','.join('?' * len(part))})",
                    (kind, *part),
                ).fetchall()
                out.update((key(r[0], r[1]), _head(r)) for r in rows)
        return out

    def _head_of(self, kind: str, name: str) -> Head:
        row = self.db.execute(f"SELECT {HEAD_COLS} FROM heads h WHERE kind=? AND name=?", (kind, name)).fetchone()
        if row is None:
            raise NotFoundError(f"No {kind} {name!r} in the store {self.path!r}.")
        return _head(row)

    def _doc(self, body: str, head: Head, version: int) -> Document:
        data = json.loads(body)
        data["status"] = head.status(version)
        return from_dict(data)

    def _audit(self, rows: builtins.list[tuple[Any, ...]]) -> None:
        self.db.executemany(
            "INSERT INTO audit (at, kind, name, version, action, by, comment) VALUES (?,?,?,?,?,?,?)", rows
        )

    # -- writes ----------------------------------------------------------------------------------------------------

    def _write(
        self,
        docs: builtins.list[Document],
        *,
        by: str,
        comment: str,
        expected: builtins.list[int | None],
        action: Action,
        read_unchanged: bool = True,
    ) -> builtins.list[Document]:
        now = datetime.now(UTC)
        with self._tx():
            heads = self._heads(ref_keys(docs))
            p = plan(docs, heads, expected, by=by, comment=comment, now=now)
            versions, refs, audit = [], [], []
            for d in p.new:
                f = index_fields(d)
                versions.append(
                    (
                        d.kind, d.name, d.version, d.spec_hash, d.schema_version, now.isoformat(), d.created_by,
                        d.comment, json.dumps(f["tags"]), json.dumps(f["owners"]), f["source_job"],
                        d.model_dump_json(exclude={"status"}),
                    )
                )
                refs += [(d.kind, d.name, d.version, *r) for r in f["refs"]]
                audit.append((now.isoformat(), d.kind, d.name, d.version, action, d.created_by, d.comment))
            self.db.executemany("INSERT INTO versions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", versions)
            self._checkpoint("versions")
            self.db.executemany("INSERT INTO refs VALUES (?,?,?,?,?,?,?)", refs)
            self.db.executemany(
                "INSERT INTO heads (kind, name, latest, latest_hash) VALUES (?,?,?,?) ON CONFLICT (kind, name) "
                "DO UPDATE SET latest=excluded.latest, latest_hash=excluded.latest_hash",
                [(h.kind, h.name, h.latest, h.latest_hash) for k, h in p.heads.items() if k in p.before],
            )
            self._checkpoint("heads")
            self._audit(audit)
            unchanged = {r[0] for r in p.results if not isinstance(r, Document)}
            same = self._latest_bodies(unchanged) if read_unchanged else {}
            out: builtins.list[Document] = []
            for r in p.results:
                if isinstance(r, Document):
                    out.append(r)
                elif not read_unchanged:
                    out.append(as_given(r, p.heads[r[0]]))
                elif (r[0], r[1]) in same:
                    out.append(self._doc(same[r[0], r[1]], p.heads[r[0]], r[1]))
                else:
                    kind, _, name = r[0].partition("/")
                    out.append(self._get(kind, name, r[1]))  # type: ignore[arg-type]
        return out

    def _latest_bodies(self, keys: set[str]) -> dict[tuple[str, int], str]:
        """The bodies of the latest versions of `keys`, in a few queries (re-saving unchanged documents)."""
        by_kind: dict[str, list[str]] = {}
        for k in keys:
            kind, _, name = k.partition("/")
            by_kind.setdefault(kind, []).append(name)
        out: dict[tuple[str, int], str] = {}
        for kind, names in by_kind.items():
            for i in range(0, len(names), CHUNK):
                part = names[i : i + CHUNK]
                rows = self.db.execute(
                    "SELECT v.name, v.version, v.body FROM heads h JOIN versions v"
                    " ON v.kind=h.kind AND v.name=h.name AND v.version=h.latest"
                    f" WHERE h.kind=? AND h.name IN ({','.join('?' * len(part))})",
                    (kind, *part),
                ).fetchall()
                out.update(((key(kind, n), v), body) for n, v, body in rows)
        return out

    def _set_status(
        self, kind: Kind, name: str, version: int | None, action: Action, by: str, comment: str
    ) -> Document:
        with self._tx():
            head = self._head_of(kind, name)
            if action == "publish":
                v = head.latest if version is None else version
            else:
                v = version or head.published or head.latest
            if not 1 <= v <= head.latest:
                raise NotFoundError(f"{describe(kind, name)} has no version {v} (latest is {head.latest}).")
            doc = self._get(kind, name, v)
            if action == "publish":
                problems = publish_problems(doc, self._heads(ref_keys([doc])))
                if problems:
                    raise RefError([f"Cannot publish {describe(kind, name, v)}: " + problems[0], *problems[1:]])
                head.published = v
                head.released = sorted({*head.released, v})
                head.retired = [x for x in head.retired if x != v]
            else:
                if head.published == v:
                    head.published = None
                head.retired = sorted({*head.retired, v})
            self.db.execute(
                "UPDATE heads SET published=?, released=?, retired=? WHERE kind=? AND name=?",
                (head.published, json.dumps(head.released), json.dumps(head.retired), kind, name),
            )
            self._audit([(datetime.now(UTC).isoformat(), kind, name, v, action, by, comment)])
        return doc.model_copy(update={"status": head.status(v)})

    def publish(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        return self._set_status(kind, name, version, "publish", by, comment)

    def publish_many(self, items: Iterable[tuple[Kind, str, int]], *, by: str = "", comment: str = "") -> None:
        """One transaction: the heads and the pipelines' references read in a few queries (no version body is read),
        each pipeline checked against the heads as the documents before it left them; nothing is published when
        one is refused."""
        items = builtins.list(items)
        with self._tx():
            refs = self._refs([(k, n, v) for k, n, v in items if k == "pipeline"])
            pinned = {key(r[1], r[2]) for rs in refs.values() for r in rs}
            heads = self._heads({key(k, n) for k, n, _ in items} | pinned)
            at, audit = datetime.now(UTC).isoformat(), []
            for kind, name, v in items:
                head = heads.get(key(kind, name))
                if head is None or not 1 <= v <= head.latest:
                    raise NotFoundError(f"{describe(kind, name)} has no version {v}.")
                problems = ref_problems(refs.get((kind, name, v), []), heads)
                if problems:
                    raise RefError([f"Cannot publish {describe(kind, name, v)}: " + problems[0], *problems[1:]])
                head.published = v
                head.released = sorted({*head.released, v})
                head.retired = [x for x in head.retired if x != v]
                audit.append((at, kind, name, v, "publish", by, comment))
            self.db.executemany(
                "UPDATE heads SET published=?, released=?, retired=? WHERE kind=? AND name=?",
                [(h.published, json.dumps(h.released), json.dumps(h.retired), h.kind, h.name)
                 for h in (heads[key(k, n)] for k, n in dict.fromkeys((k, n) for k, n, _ in items))],
            )
            self._audit(audit)

    def _refs(self, items: builtins.list[tuple[str, str, int]]) -> dict[tuple[str, str, int], builtins.list[Any]]:
        """The references of versions (kind, name, version), each as (field path, kind, name, version)."""
        out: dict[tuple[str, str, int], builtins.list[Any]] = {}
        for i in range(0, len(items), CHUNK // 3):
            part = items[i : i + CHUNK // 3]
            where = " OR ".join("(kind=? AND name=? AND version=?)" for _ in part)
            rows = self.db.execute(
                f"SELECT kind, name, version, path, ref_kind, ref_name, ref_version FROM refs WHERE {where}"
                " ORDER BY kind, name, version, rowid", [x for item in part for x in item]).fetchall()
            for k, n, v, *ref in rows:
                out.setdefault((k, n, v), []).append(tuple(ref))
        return out

    def retire(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        return self._set_status(kind, name, version, "retire", by, comment)

    # -- reads -----------------------------------------------------------------------------------------------------

    def _get(self, kind: Kind, name: str, version: int | str) -> Document:
        head = self._head_of(kind, name)
        v = version_number(head, version)
        row = self.db.execute(
            "SELECT body FROM versions WHERE kind=? AND name=? AND version=?", (kind, name, v)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{describe(kind, name)} has no version {v} (latest is {head.latest}).")
        return self._doc(row[0], head, v)

    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        with self._reading():
            return self._get(kind, name, version)

    def list(
        self,
        kind: Kind | None = None,
        status: str | None = None,
        *,
        tag: str | None = None,
        owner: str | None = None,
        source_job: str | None = None,
        invalid: builtins.list[InvalidDocument] | None = None,
    ) -> builtins.list[Document]:
        pointer = "h.published" if status == "published" else "h.latest"
        sql = (
            f"SELECT {HEAD_COLS}, v.version, v.body FROM heads h JOIN versions v"
            f" ON v.kind=h.kind AND v.name=h.name AND v.version={pointer}"
            " WHERE (?1 IS NULL OR h.kind=?1)"
            " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(v.tags) WHERE value=?2))"
            " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(v.owners) WHERE value=?3))"
            " AND (?4 IS NULL OR v.source_job=?4)"
            " ORDER BY h.kind, h.name"
        )
        with self._reading():
            rows = self.db.execute(sql, (kind, tag, owner, source_job)).fetchall()
        docs = build_valid(((r[0], r[1], r[7], r) for r in rows), lambda r: self._doc(r[8], _head(r), r[7]), invalid)
        return [d for d in docs if status is None or d.status == status]

    def pipeline_heads(self, names: Iterable[str] | None = None) -> dict[str, PipelineHead]:
        sql = ("SELECT h.name, h.latest, h.published, h.retired, json_extract(v.body, '$.spec.provenance.job'),"
               " json_extract(v.body, '$.spec.provenance.source') FROM heads h JOIN versions v"
               " ON v.kind=h.kind AND v.name=h.name AND v.version=h.latest WHERE h.kind='pipeline'")
        with self._reading():
            if names is None:
                rows = self.db.execute(sql).fetchall()
            else:
                wanted, rows = builtins.list(dict.fromkeys(names)), []
                for i in range(0, len(wanted), CHUNK):
                    part = wanted[i : i + CHUNK]
                    rows += self.db.execute(f"{sql} AND h.name IN ({','.join('?' * len(part))})", part).fetchall()
        return {r[0]: PipelineHead(r[0], r[1], r[2], r[1] in json.loads(r[3]), r[4] or "", r[5] or "")
                for r in rows}

    def history(self, kind: Kind, name: str) -> builtins.list[Document]:
        with self._reading():
            head = self._head_of(kind, name)
            rows = self.db.execute(
                "SELECT version, body FROM versions WHERE kind=? AND name=? AND version<=? ORDER BY version",
                (kind, name, head.latest),
            ).fetchall()
        return [self._doc(b, head, v) for v, b in rows]

    def audit(self, kind: Kind | None = None, name: str | None = None) -> builtins.list[AuditEntry]:
        with self._reading():
            rows = self.db.execute(
                "SELECT at, kind, name, version, action, by, comment FROM audit"
                " WHERE (?1 IS NULL OR kind=?1) AND (?2 IS NULL OR name=?2) ORDER BY id",
                (kind, name),
            ).fetchall()
        return [AuditEntry(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    def where_used(self, kind: Kind, name: str) -> builtins.list[Usage]:
        with self._reading():
            self._head_of(kind, name)
            rows = self.db.execute(
                f"SELECT {HEAD_COLS}, r.version, r.ref_version, r.path FROM refs r JOIN heads h"
                " ON h.kind=r.kind AND h.name=r.name AND (r.version=h.latest OR r.version=h.published)"
                " WHERE r.ref_kind=? AND r.ref_name=? ORDER BY h.name, r.version, r.path",
                (kind, name),
            ).fetchall()
        return [Usage(r[1], r[7], _head(r).status(r[7]), r[8], r[9]) for r in rows]

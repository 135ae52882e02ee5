"""Migration records kept next to the catalog: the estate reports of `convert` / `audit` and the shadow runs.

They live in the catalog's own database: tables of its SQLite file, or collections of its MongoDB database.
- `estate_reports`: written here, one row per run, the report's totals as JSON; `estate_report_jobs`: one row per
  job of that run (status, reasons, ledger, diagnostics), so that neither the writer nor a reader ever holds a large
  estate's report at once. `audit` saves its report at once (`save_estate_report`); `convert` begins its report
  (`begin_estate_report`), adds each batch's job rows with the batch's job states, and finishes it with its totals:
  a report not finished (its run goes on, or was killed) is not read;
- `job_states`: per Jenkins job, what its last conversion read and saved (the input's sha256, a fingerprint of the
  conversion's rules and options, the pipeline version, the DAG file) and its report row, so that `convert` leaves
  a job alone when nothing it depends on changed;
- `shadow_runs`: written by the toolkit's shadow harness (jenkins2flow.shadow.results); read here, by its columns
  and its JSON body, so that the runtime (and the catalog UI in it) never imports the toolkit.
Readers never create anything: a missing file or table reads as "no records yet".
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from jenkins2flow_runtime.store import StoreUnavailable, store_uri
from jenkins2flow_runtime.store.sqlite import explain

MONGO_SCHEMES = ("mongodb://", "mongodb+srv://", "mongomock://")
ESTATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS estate_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, command TEXT NOT NULL, by TEXT NOT NULL,
    sources TEXT NOT NULL, jobs INTEGER NOT NULL, body TEXT NOT NULL
)
"""
ESTATE_JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS estate_report_jobs (
    report INTEGER NOT NULL, seq INTEGER NOT NULL, job TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (report, seq)
)
"""
JOB_STATES_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_states (
    job TEXT PRIMARY KEY, source TEXT NOT NULL, input TEXT NOT NULL, context TEXT NOT NULL, links TEXT NOT NULL,
    pipeline TEXT NOT NULL, version INTEGER NOT NULL, published INTEGER NOT NULL, dag TEXT NOT NULL,
    summary TEXT NOT NULL, at TEXT NOT NULL
)
"""
STATE_FIELDS = ("job", "source", "input", "context", "links", "pipeline", "version", "published", "dag")
CHUNK = 500
UNFINISHED = ""  # the body of an estate report begun and not finished (`begin_estate_report`)
Row = dict[str, Any] | str | tuple[str, str, str]  # a report's job row: data, its JSON, or (job, status, JSON)
SHADOW_FIELDS = ("run_id", "pipeline", "started_at", "finished_at", "verdict", "exit_code", "reason", "differences")


@dataclass(frozen=True, slots=True)
class EstateRecord:
    id: str
    at: str
    command: str  # convert | audit
    by: str
    sources: list[str]
    report: dict[str, Any]  # Estate.report() plus "ledgers": per job, what was not simply mapped


@dataclass(frozen=True, slots=True)
class EstateJobs:
    """A page of one estate report's jobs: `rows` (at most the limit asked), how many match, how many in all."""

    rows: list[dict[str, Any]]
    matched: int
    total: int


@dataclass(frozen=True, slots=True)
class JobState:
    """What the last conversion of one Jenkins job read and saved (written by the toolkit's `convert`)."""

    job: str  # the Jenkins full name
    source: str  # where it was read from
    input: str  # the sha256 of the bytes read
    context: str  # a fingerprint of the converter, its rules and options
    links: str  # what the conversion read of other jobs (JSON, the toolkit's own format)
    pipeline: str = ""  # the pipeline saved ("" when the job has none)
    version: int = 0  # its version
    published: bool = False  # saved as published
    dag: str = ""  # the DAG file written, as "path size mtime_ns" ("" when none)


def _sqlite_path(uri: str) -> Path:
    return Path(uri.removeprefix("sqlite:///"))


class Records:
    """The migration records of the catalog at `uri` (a SQLite path or a MongoDB URI)."""

    def __init__(self, uri: str | None = None, *, write: bool = False) -> None:
        self.uri = store_uri(uri)
        self.write = write
        self.db: sqlite3.Connection | None = None
        self.mongo: Any = None
        self.client: Any = None
        self.tables: set[str] = set()  # the tables seen to exist (a table, once made, stays)
        if self.uri.startswith(MONGO_SCHEMES):
            from jenkins2flow_runtime.store.mongo import _client  # the catalog's own client rules (mongomock too)

            self.client, database, _ = _client(self.uri)
            self.mongo = self.client[database]
            return
        path = _sqlite_path(self.uri)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._errors():
                self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")  # as the catalog's own connection: no fsync per commit
                for schema in (ESTATE_SCHEMA, ESTATE_JOBS_SCHEMA, JOB_STATES_SCHEMA):
                    self.db.execute(schema)
        elif path.is_file():
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60, check_same_thread=False)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """A SQLite error as the catalog's own store says it (StoreUnavailable: read-only, locked, corrupt...)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreUnavailable(explain(str(_sqlite_path(self.uri)), exc, 60)) from None

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

    def save_estate_report(self, report: dict[str, Any], *, command: str, sources: list[str], by: str = "",
                           jobs: Iterable[Row] = ()) -> str:
        """Store one estate report: its totals (`report`) and, one row each, its jobs (dicts with at least `job`
        and `status`, their JSON text, or (job, status, JSON text), read from `jobs` as it goes: it may be a
        generator). Returns its id."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        row = {"at": at, "command": command, "by": by, "sources": sources, "jobs": int(report.get("jobs", 0))}
        if self.mongo is not None:
            report_id = self.mongo["estate_reports"].insert_one({**row, "body": report}).inserted_id
            self._add_report_jobs(None, str(report_id), 0, jobs)
            return str(report_id)
        db = self._writer()
        with self._errors():
            return self._save_estate_report(db, at, command, by, sources, row, report, jobs)

    def _save_estate_report(self, db: sqlite3.Connection, at: str, command: str, by: str, sources: list[str],
                            row: dict[str, Any], report: dict[str, Any], jobs: Iterable[Row]) -> str:
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute(
                "INSERT INTO estate_reports (at, command, by, sources, jobs, body) VALUES (?,?,?,?,?,?)",
                (at, command, by, json.dumps(sources), row["jobs"], json.dumps(report, default=str)),
            )
            report_id = cur.lastrowid
            self._add_report_jobs(db, str(report_id), 0, jobs)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return str(report_id)

    def begin_estate_report(self, *, command: str, sources: list[str], by: str = "") -> str:
        """Start an estate report whose job rows come with the batches of its run (`save_job_states(..., report=)`)
        and whose totals come last (`finish_estate_report`): until then no reader sees it. Returns its id."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.mongo is not None:
            doc = {"at": at, "command": command, "by": by, "sources": sources, "jobs": 0, "body": None}
            return str(self.mongo["estate_reports"].insert_one(doc).inserted_id)
        db = self._writer()
        with self._errors():
            cur = db.execute("INSERT INTO estate_reports (at, command, by, sources, jobs, body) VALUES (?,?,?,?,?,?)",
                             (at, command, by, json.dumps(sources), 0, UNFINISHED))
        return str(cur.lastrowid)

    def finish_estate_report(self, report_id: str, report: dict[str, Any]) -> None:
        """Give a begun estate report its totals (`report`): readers see it from now on."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.mongo is not None:
            self.mongo["estate_reports"].update_one({"_id": _object_id(report_id)}, {"$set": {
                "at": at, "jobs": int(report.get("jobs", 0)), "body": report}})
            return
        db = self._writer()
        with self._errors():
            db.execute("UPDATE estate_reports SET at=?, jobs=?, body=? WHERE id=?",
                       (at, int(report.get("jobs", 0)), json.dumps(report, default=str), int(report_id)))

    def drop_estate_report(self, report_id: str) -> None:
        """Remove a begun estate report that will not be finished (its run failed), with its job rows."""
        if self.mongo is not None:
            self.mongo["estate_report_jobs"].delete_many({"report": _object_id(report_id)})
            self.mongo["estate_reports"].delete_one({"_id": _object_id(report_id)})
            return
        db = self._writer()
        with self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM estate_report_jobs WHERE report=?", (int(report_id),))
                db.execute("DELETE FROM estate_reports WHERE id=?", (int(report_id),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _add_report_jobs(self, db: sqlite3.Connection | None, report_id: str, first: int, jobs: Iterable[Row]) -> None:
        """Add job rows to an estate report, numbered from `first` (SQLite: in the caller's transaction on `db`)."""
        for part in _chunks(enumerate(jobs, first)):
            if db is None:
                self.mongo["estate_report_jobs"].insert_many(
                    [{"report": _object_id(report_id), "seq": i, "job": j["job"], "status": j["status"], "body": j}
                     for i, j in ((i, _as_dict(row)) for i, row in part)])
            else:
                db.executemany("INSERT INTO estate_report_jobs VALUES (?,?,?,?,?)",
                               [(int(report_id), i, *_columns(row)) for i, row in part])

    def _writer(self) -> sqlite3.Connection:
        if self.db is None or not self.write:
            raise RuntimeError("Records opened for reading only")
        return self.db

    def latest_estate_report(self, command: str | None = None) -> EstateRecord | None:
        """The last estate report (of `command`, if given), or None."""
        if self.mongo is not None:
            query: dict[str, Any] = {"body": {"$ne": None}}  # not one begun and not finished (its run goes on)
            if command:
                query["command"] = command
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
            " AND body != ?2 ORDER BY id DESC LIMIT 1", (command, UNFINISHED),
        ).fetchone()
        if row is None:
            return None
        return EstateRecord(str(row[0]), row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]))

    def estate_jobs(self, record: EstateRecord, *, status: str = "", q: str = "", limit: int = 300) -> EstateJobs:
        """The jobs of an estate report, in order: those of `status` (if given) whose name holds every word of `q`
        (case-insensitive), at most `limit` of them, with how many match and how many there are. A report stored
        before the jobs had rows of their own carries them in its body (`ledgers`)."""
        words = q.lower().split()

        def wanted(job: str, state: str) -> bool:
            return (not status or state == status) and all(w in job.lower() for w in words)

        if "ledgers" in record.report:
            every = record.report["ledgers"]
            shown = [j for j in every if wanted(str(j.get("job", "")), str(j.get("status", "")))]
            return EstateJobs(shown[:limit], len(shown), len(every))
        if self.mongo is not None:
            coll = self.mongo["estate_report_jobs"]
            query = {"report": _object_id(record.id)}
            names = list(coll.find(query, {"seq": 1, "job": 1, "status": 1}).sort("seq", 1))
            seqs = [n["seq"] for n in names if wanted(n["job"], n["status"])]
            page = {d["seq"]: d["body"] for d in coll.find({**query, "seq": {"$in": seqs[:limit]}})}
            return EstateJobs([page[i] for i in seqs[:limit]], len(seqs), len(names))
        if not self._has_table("estate_report_jobs"):
            return EstateJobs([], 0, 0)
        assert self.db is not None
        rows = self.db.execute("SELECT seq, job, status FROM estate_report_jobs WHERE report=? ORDER BY seq",
                               (int(record.id),)).fetchall()
        seqs = [seq for seq, job, state in rows if wanted(job, state)]
        bodies: dict[int, dict[str, Any]] = {}
        for part in _chunks(iter(seqs[:limit])):
            found = self.db.execute(f"SELECT seq, body FROM estate_report_jobs WHERE report=? AND seq IN "
                                    f"({','.join('?' * len(part))})", (int(record.id), *part)).fetchall()
            bodies.update((seq, json.loads(body)) for seq, body in found)
        return EstateJobs([bodies[i] for i in seqs[:limit]], len(seqs), len(rows))

    # -- job states (written by the toolkit's convert) ------------------------------------------------------------

    def job_state(self, job: str) -> JobState | None:
        """One job's state (without its report row), or None."""
        if self.mongo is not None:
            d = self.mongo["job_states"].find_one({"_id": job}, {"summary": 0, "at": 0})
            return None if d is None else JobState(d["_id"], d["source"], d["input"], d["context"], d["links"],
                                                   d["pipeline"], d["version"], bool(d["published"]), d["dag"])
        if not self._has_table("job_states"):
            return None
        assert self.db is not None
        r = self.db.execute(f"SELECT {', '.join(STATE_FIELDS)} FROM job_states WHERE job=?", (job,)).fetchone()
        return None if r is None else JobState(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8])

    def job_summary(self, job: str) -> dict[str, Any] | None:
        """The report row of a job's last conversion, or None."""
        return self._body("job_states", "job", job, "summary")

    def job_row(self, job: str) -> str | None:
        """The report row of a job's last conversion as the JSON text it was saved as (SQLite keeps the text; None
        where the store keeps a document, MongoDB, or when there is none)."""
        if self.mongo is not None or not self._has_table("job_states"):
            return None
        assert self.db is not None
        row = self.db.execute("SELECT summary FROM job_states WHERE job = ?", (job,)).fetchone()
        return str(row[0]) if row else None

    def save_job_states(self, states: Iterable[tuple[JobState, dict[str, Any] | str]], *,
                        report: tuple[str, int, Iterable[Row]] | None = None) -> None:
        """Replace the states of these jobs, each with its report row (or its JSON text), and add `report`'s job rows
        (a begun report's id, the first row's number, each row's job, status and JSON text); one transaction."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [(*(getattr(st, f) for f in STATE_FIELDS[:7]), int(st.published), st.dag, summary)
                for st, summary in states]
        if self.mongo is not None:  # replaced as delete + insert (mongomock's bulk_write refuses pymongo 4's ops)
            docs = [{"_id": r[0], **dict(zip(STATE_FIELDS[1:], r[1:9], strict=True)), "summary": _as_dict(r[9]),
                     "at": at} for r in rows]
            if docs:
                self.mongo["job_states"].delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
                self.mongo["job_states"].insert_many(docs)
            if report is not None:
                self._add_report_jobs(None, *report)
            return
        db = self._writer()
        with self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO job_states VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               [(*r[:9], _as_text(r[9]), at) for r in rows])
                if report is not None:
                    self._add_report_jobs(db, *report)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def forget_job_states(self, jobs: Iterable[str]) -> None:
        """Drop these jobs' states (their next conversion reads and converts them again)."""
        names = list(jobs)
        if self.mongo is not None:
            if names:
                self.mongo["job_states"].delete_many({"_id": {"$in": names}})
            return
        db = self._writer()
        with self._errors():
            for part in _chunks(iter(names)):
                db.execute(f"DELETE FROM job_states WHERE job IN ({','.join('?' * len(part))})", part)

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
        return self._body("shadow_runs", "run_id", run_id, "body")

    def _body(self, table: str, key: str, value: str, field: str) -> dict[str, Any] | None:
        """The JSON `field` of the row (document) of `table` whose `key` (`_id`) is `value`, or None."""
        if self.mongo is not None:
            doc = self.mongo[table].find_one({"_id": value}, {field: 1})
            return dict(doc[field]) if doc else None
        if not self._has_table(table):
            return None
        assert self.db is not None
        row = self.db.execute(f"SELECT {field} FROM {table} WHERE {key} = ?", (value,)).fetchone()
        return json.loads(row[0]) if row else None

    def _has_table(self, name: str) -> bool:
        if self.db is None:
            return False
        if name not in self.tables and self.db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None:
            self.tables.add(name)
        return name in self.tables


def save_estate_report(uri: str | None, report: dict[str, Any], *, command: str, sources: list[str],
                       by: str = "", jobs: Iterable[dict[str, Any]] = ()) -> str:
    """Store an estate report next to the catalog at `uri`; returns its id."""
    with Records(uri, write=True) as records:
        return records.save_estate_report(report, command=command, sources=sources, by=by, jobs=jobs)


T = TypeVar("T")


def _as_dict(row: Row) -> dict[str, Any]:
    if isinstance(row, tuple):
        row = row[2]
    return json.loads(row) if isinstance(row, str) else row  # type: ignore[no-any-return]


def _as_text(row: Row) -> str:
    if isinstance(row, tuple):
        return row[2]
    return row if isinstance(row, str) else json.dumps(row, default=str)


def _columns(row: Row) -> tuple[str, str, str]:
    """A job's row as its columns: job, status and the JSON body."""
    if isinstance(row, tuple):
        return row
    data = _as_dict(row)
    return data["job"], data["status"], _as_text(row)


def _chunks(items: Iterator[T], size: int = CHUNK) -> Iterator[list[T]]:
    while part := list(itertools.islice(items, size)):
        yield part


def _object_id(value: str) -> Any:
    """A MongoDB `_id` as stored: an ObjectId when the text is one."""
    from bson import ObjectId

    return ObjectId(value) if ObjectId.is_valid(value) else value

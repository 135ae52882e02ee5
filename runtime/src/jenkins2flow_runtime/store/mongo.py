"""MongoDB backend (pymongo; `mongomock://` URIs use mongomock for tests). Works on a standalone server.

No multi-document transactions are needed; writes are ordered so readers only ever see complete states:
1. version bodies are inserted first (insert_many). A unique index on (kind, name, version) lets exactly one writer
   claim each version number; a version is invisible until its head points at it;
2. heads move by compare-and-set (`latest` must still be what the plan read), tasks and templates before pipelines,
   so a visible pipeline never pins an invisible task.
A batch that dies between 1 and 2 leaves invisible orphans; saving the same documents again adopts them (same spec
hash), and an orphan with another spec is reclaimed once older than `orphan_timeout` seconds.
Status changes and their audit events are one atomic update of the head document; save events are the versions.
Every pymongo error (server unreachable, authentication, a write refused) becomes a StoreUnavailable naming the
server without its password.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from jenkins2flow_runtime.extras import missing
from jenkins2flow_runtime.model import Document, Kind, from_dict
from jenkins2flow_runtime.store.base import (
    Action,
    AuditEntry,
    InvalidDocument,
    NotFoundError,
    PipelineHead,
    RefError,
    Store,
    StoreError,
    StoreUnavailable,
    Usage,
    describe,
    no_catalog,
    redact,
)
from jenkins2flow_runtime.store.plan import (
    Head,
    Plan,
    as_given,
    build_valid,
    index_fields,
    key,
    plan,
    publish_problems,
    ref_keys,
    version_number,
)

try:
    from pymongo import ASCENDING, MongoClient, UpdateOne
    from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError
except ImportError as exc:
    raise missing("pymongo", "mongo", "The MongoDB store") from exc

CHUNK = 1000
NEW_HEAD: dict[str, Any] = {"published": None, "released": [], "retired": [], "events": []}
RETRIES = 200
_MOCK_SERVERS: dict[str, Any] = {}
_MOCK_LOCK = threading.RLock()
DEFAULT_TIMEOUT_MS = 10_000
F = TypeVar("F", bound=Callable[..., Any])


def _unavailable(uri: str, exc: PyMongoError) -> StoreUnavailable:
    # pymongo appends the whole topology description to a server-selection error: keep the reason only.
    reason = str(exc).split(", Timeout:")[0].split(" (configured timeouts")[0].splitlines()[0][:300]
    return StoreUnavailable(f"The MongoDB store {redact(uri)!r} cannot be used: {type(exc).__name__}: {reason}")


def _guarded(fn: F) -> F:
    """A store method whose pymongo errors become one StoreUnavailable line."""

    @functools.wraps(fn)
    def wrapper(self: MongoStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except PyMongoError as exc:
            raise _unavailable(self.uri, exc) from None

    return wrapper  # type: ignore[return-value]


class _Serialized:
    """mongomock is not thread-safe: run each operation under one lock, as a server applies each atomically."""

    def __init__(self, coll: Any) -> None:
        self._coll = coll

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._coll, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with _MOCK_LOCK:
                out = attr(*args, **kwargs)
                return list(out) if name == "find" else out

        return call


def _client(uri: str, timeout: float | None = None) -> tuple[Any, str, bool]:
    """The client, database name and whether it is mongomock. The server-selection timeout: `timeout` when given,
    else the URI's own serverSelectionTimeoutMS, else 10 s (keyword options override the URI's in pymongo)."""
    parts = urlsplit(uri)
    database = parts.path.lstrip("/") or "jenkins2flow"
    if parts.scheme == "mongomock":
        import mongomock

        with _MOCK_LOCK:
            server = _MOCK_SERVERS.setdefault(parts.netloc, mongomock.store.ServerStore())  # type: ignore[attr-defined]
        return mongomock.MongoClient(f"mongodb://{parts.netloc or 'localhost'}", _store=server), database, True
    options: dict[str, Any] = {}
    if timeout is not None:
        options["serverSelectionTimeoutMS"] = int(timeout * 1000)
    elif "serverselectiontimeoutms" not in parts.query.lower():
        options["serverSelectionTimeoutMS"] = DEFAULT_TIMEOUT_MS
    return MongoClient(uri, **options), database, False


def _head(h: dict[str, Any]) -> Head:
    return Head(
        h["kind"], h["name"], h["latest"], h["latest_hash"], h.get("published"), h.get("released", []),
        h.get("retired", []),
    )


class MongoStore(Store):
    def __init__(
        self,
        uri: str,
        *,
        create: bool = False,
        timeout: float | None = None,
        orphan_timeout: float = 60.0,
        prefix: str = "catalog_",
    ) -> None:
        self.uri = uri
        self.orphan_timeout = orphan_timeout
        try:
            self.client, self.database, self.mock = _client(uri, timeout)
        except PyMongoError as exc:  # e.g. an option the URI spells wrong
            raise _unavailable(uri, exc) from None
        db = self.client[self.database]
        wrap: Callable[[Any], Any] = _Serialized if self.mock else (lambda c: c)
        self.versions = wrap(db[prefix + "versions"])
        self.heads = wrap(db[prefix + "heads"])
        try:
            if create:
                self._create_indexes()
            else:
                with _MOCK_LOCK if self.mock else contextlib.nullcontext():
                    names = db.list_collection_names()
                if prefix + "heads" not in names:
                    raise no_catalog(repr(redact(uri)), f"database {self.database!r} has no {prefix}heads collection")
        except PyMongoError as exc:
            self.client.close()
            raise _unavailable(uri, exc) from None
        except StoreError:
            self.client.close()
            raise

    def _create_indexes(self) -> None:
        # _id is "kind/name/version" (names cannot hold "/"), so _id already makes versions unique; the compound
        # index is unique too on a real server (mongomock checks unique indexes by scanning: quadratic batches).
        self.versions.create_index(
            [("kind", ASCENDING), ("name", ASCENDING), ("version", ASCENDING)], unique=not self.mock
        )
        for field in ("ref_keys", "tags", "owners", "source_job"):
            self.versions.create_index([(field, ASCENDING)])
        self.heads.create_index([("kind", ASCENDING), ("name", ASCENDING)])

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"MongoStore({redact(self.uri)!r})"

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _checkpoint(self, stage: str) -> None:
        """A hook between the steps of a batch write (tests raise here to simulate a crash)."""

    def _by_ids(
        self, coll: Any, ids: builtins.list[str] | set[str], projection: dict[str, int] | None = None, **query: Any
    ) -> builtins.list[dict[str, Any]]:
        """Documents by _id in chunks of `$in`. mongomock evaluates `$in` against every document with a list scan,
        so for it a large lookup is one pass over the collection filtered here."""
        ids = list(ids)
        if self.mock and len(ids) > 200:
            wanted = set(ids)
            return [d for d in coll.find(query, projection) if d["_id"] in wanted]
        out: builtins.list[dict[str, Any]] = []
        for i in range(0, len(ids), CHUNK):
            out.extend(coll.find({"_id": {"$in": ids[i : i + CHUNK]}, **query}, projection))
        return out

    def _fetch_heads(self, keys: builtins.list[str] | set[str]) -> dict[str, Head]:
        return {h["_id"]: _head(h) for h in self._by_ids(self.heads, keys, {"events": 0})}

    def _head_of(self, kind: str, name: str) -> Head:
        h = self.heads.find_one({"_id": key(kind, name)}, {"events": 0})
        if h is None:
            raise NotFoundError(f"No {kind} {name!r} in the store {redact(self.uri)!r}.")
        return _head(h)

    def _doc(self, v: dict[str, Any], head: Head) -> Document:
        data = json.loads(v["body"])
        data["status"] = head.status(v["version"])
        return from_dict(data)

    def _vdoc(self, d: Document, txn: str, action: Action, at: str) -> dict[str, Any]:
        f = index_fields(d)
        return {
            "_id": f"{d.kind}/{d.name}/{d.version}",
            "kind": d.kind,
            "name": d.name,
            "version": d.version,
            "spec_hash": d.spec_hash,
            "schema_version": d.schema_version,
            "txn": txn,
            "at": at,
            "action": action,
            "by": d.created_by,
            "comment": d.comment,
            "tags": f["tags"],
            "owners": f["owners"],
            "source_job": f["source_job"],
            "ref_keys": sorted({f"{k}/{n}" for k, n, _, _ in f["refs"]}),
            "refs": [{"kind": k, "name": n, "version": v, "path": p} for k, n, v, p in f["refs"]],
            "body": d.model_dump_json(exclude={"status"}),
        }

    def _bulk_cas(self, ops: builtins.list[tuple[str, int, dict[str, Any]]]) -> int:
        """Ordered compare-and-set of heads (`latest` must still be `before`; 0: the head must not exist yet).
        Returns how many were applied before the first one that lost its race."""
        if not self.mock:
            updates = [
                UpdateOne(
                    {"_id": k, "latest": before},
                    {"$set": fields, **({} if before else {"$setOnInsert": NEW_HEAD})},
                    upsert=not before,
                )
                for k, before, fields in ops
            ]
            try:
                r = self.heads.bulk_write(updates, ordered=True)
            except BulkWriteError as err:  # a duplicate _id: another writer created the head first
                return int(err.details.get("nMatched", 0)) + len(err.details.get("upserted", []))
            return int(r.matched_count) + len(r.upserted_ids or {})
        # mongomock: its bulk_write rejects pymongo 4's UpdateOne and every filtered update scans the collection,
        # so apply the same ordered compare-and-set under the lock that serializes all mongomock operations.
        with _MOCK_LOCK:
            existing = {h["_id"]: h for h in self._by_ids(self.heads, [k for k, _, _ in ops])}
            done = 0
            for k, before, _ in ops:
                h = existing.get(k)
                if (h["latest"] if h else 0) != before:
                    break
                done += 1
            applied = ops[:done]
            replaced = [k for k, _, _ in applied if k in existing]
            if replaced:
                self.heads.delete_many({"_id": {"$in": replaced}})
            docs = [{**existing.get(k, {"_id": k, **NEW_HEAD}), **fields} for k, _, fields in applied]
            if docs:
                self.heads.insert_many(docs)
            return done

    # -- writes ----------------------------------------------------------------------------------------------------

    def _insert_versions(self, vdocs: builtins.list[dict[str, Any]], txn: str) -> bool:
        """Insert the new versions; adopt identical orphans, reclaim stale ones; False if a number is taken."""
        try:
            self.versions.insert_many(vdocs, ordered=False)
            return True
        except BulkWriteError as err:
            errors = err.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise StoreError(f"Writing to {redact(self.uri)!r} failed: {errors[0].get('errmsg')}") from None
            failed = [vdocs[e["index"]] for e in errors]
        ok = True
        for vd in failed:
            existing = self.versions.find_one({"_id": vd["_id"]}, {"body": 0})
            if existing is None:
                try:
                    self.versions.insert_one(vd)
                    continue
                except DuplicateKeyError:
                    existing = self.versions.find_one({"_id": vd["_id"]}, {"body": 0})
            if existing and existing["spec_hash"] == vd["spec_hash"]:
                r = self.versions.update_one({"_id": vd["_id"], "txn": existing["txn"]}, {"$set": {"txn": txn}})
                ok = ok and bool(r.matched_count)
                continue
            head = self.heads.find_one({"_id": key(vd["kind"], vd["name"])}, {"latest": 1})
            committed = head is not None and head["latest"] >= vd["version"]
            age = time.time() - datetime.fromisoformat(existing["at"]).timestamp() if existing else 0.0
            if existing and not committed and age > self.orphan_timeout:
                self.versions.delete_one({"_id": vd["_id"], "txn": existing["txn"]})
            ok = False
        return ok

    def _commit_heads(self, p: Plan) -> bool:
        """Move the heads (compare-and-set on `latest`), in write order; False if another writer got there first."""
        ops: dict[str, tuple[str, int, dict[str, Any]]] = {}
        for d in p.new:
            k = key(d.kind, d.name)
            h = p.heads[k]
            fields = {"kind": h.kind, "name": h.name, "latest": h.latest, "latest_hash": h.latest_hash}
            ops[k] = (k, p.before[k], fields)
        todo = list(ops.values())
        for i in range(0, len(todo), CHUNK):
            chunk = todo[i : i + CHUNK]
            if self._bulk_cas(chunk) != len(chunk):
                return False
            self._checkpoint("heads")
        return True

    def _results(self, p: Plan, read_unchanged: bool = True) -> builtins.list[Document]:
        if not read_unchanged:
            return [r if isinstance(r, Document) else as_given(r, p.heads[r[0]]) for r in p.results]
        wanted = {f"{r[0]}/{r[1]}" for r in p.results if not isinstance(r, Document)}
        found: dict[str, Document] = {}
        for v in self._by_ids(self.versions, wanted):
            found[v["_id"]] = self._doc(v, p.heads[key(v["kind"], v["name"])])
        return [r if isinstance(r, Document) else found[f"{r[0]}/{r[1]}"] for r in p.results]

    @_guarded
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
        txn = uuid.uuid4().hex
        needed = ref_keys(docs)
        for attempt in range(RETRIES):
            now = datetime.now(UTC)
            p = plan(docs, self._fetch_heads(needed), expected, by=by, comment=comment, now=now)
            if not p.new:
                return self._results(p, read_unchanged)
            vdocs = [self._vdoc(d, txn, action, now.isoformat()) for d in p.new]
            if self._insert_versions(vdocs, txn):
                self._checkpoint("versions")
                if self._commit_heads(p):
                    return self._results(p, read_unchanged)
            # Lost a race: drop what this attempt inserted and is not visible, then plan again.
            heads = self._fetch_heads({key(d.kind, d.name) for d in p.new})
            invisible = [
                vd["_id"] for vd in vdocs if heads.get(key(vd["kind"], vd["name"]), Head("", "")).latest < vd["version"]
            ]
            if invisible:
                self.versions.delete_many({"_id": {"$in": invisible}, "txn": txn})
            time.sleep(min(0.002 * (attempt + 1), 0.05))
        raise StoreError(f"Could not save to {redact(self.uri)!r}: too many concurrent writers; try again.")

    @_guarded
    def _set_status(
        self, kind: Kind, name: str, version: int | None, action: Action, by: str, comment: str
    ) -> Document:
        head = self._head_of(kind, name)
        if action == "publish":
            v = head.latest if version is None else version
        else:
            v = version or head.published or head.latest
        if not 1 <= v <= head.latest:
            raise NotFoundError(f"{describe(kind, name)} has no version {v} (latest is {head.latest}).")
        doc = self.get(kind, name, v)
        event = {"at": datetime.now(UTC).isoformat(), "version": v, "action": action, "by": by, "comment": comment}
        k = key(kind, name)
        if action == "publish":
            problems = publish_problems(doc, self._fetch_heads(ref_keys([doc])))
            if problems:
                raise RefError([f"Cannot publish {describe(kind, name, v)}: " + problems[0], *problems[1:]])
            self.heads.update_one(
                {"_id": k},
                {"$set": {"published": v}, "$addToSet": {"released": v}, "$pull": {"retired": v},
                 "$push": {"events": event}},
            )
        else:
            self.heads.update_one({"_id": k, "published": v}, {"$set": {"published": None}})
            self.heads.update_one({"_id": k}, {"$addToSet": {"retired": v}, "$push": {"events": event}})
        return doc.model_copy(update={"status": self._head_of(kind, name).status(v)})

    def publish(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        return self._set_status(kind, name, version, "publish", by, comment)

    def retire(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        return self._set_status(kind, name, version, "retire", by, comment)

    # -- reads -----------------------------------------------------------------------------------------------------

    @_guarded
    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        head = self._head_of(kind, name)
        v = version_number(head, version)
        found = self.versions.find_one({"_id": f"{kind}/{name}/{v}"}) if 1 <= v <= head.latest else None
        if found is None:
            raise NotFoundError(f"{describe(kind, name)} has no version {v} (latest is {head.latest}).")
        return self._doc(found, head)

    @_guarded
    def pipeline_heads(self, names: Iterable[str] | None = None) -> dict[str, PipelineHead]:
        if names is None:
            found = self.heads.find({"kind": "pipeline"}, {"events": 0})
        else:
            found = self._by_ids(self.heads, {key("pipeline", n) for n in names}, {"events": 0})
        heads = {h["_id"]: _head(h) for h in found}
        out: dict[str, PipelineHead] = {}
        for v in self._by_ids(self.versions, [f"{k}/{h.latest}" for k, h in heads.items()], {"body": 1}):
            kind, name, version = v["_id"].rsplit("/", 2)
            head = heads[key(kind, name)]
            provenance = json.loads(v["body"]).get("spec", {}).get("provenance", {})
            out[name] = PipelineHead(name, head.latest, head.published, head.latest in head.retired,
                                     str(provenance.get("job", "")), str(provenance.get("source", "")))
        return out

    @_guarded
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
        heads = {h["_id"]: _head(h) for h in self.heads.find({"kind": kind} if kind else {}, {"events": 0})}
        pointer = {k: (h.published if status == "published" else h.latest) for k, h in heads.items()}
        ids = [f"{k}/{v}" for k, v in pointer.items() if v]
        query: dict[str, Any] = {}
        if tag is not None:
            query["tags"] = tag
        if owner is not None:
            query["owners"] = owner
        if source_job is not None:
            query["source_job"] = source_job
        found = ((v["kind"], v["name"], v["version"], v) for v in self._by_ids(self.versions, ids, **query))
        docs = build_valid(found, lambda v: self._doc(v, heads[key(v["kind"], v["name"])]), invalid)
        docs.sort(key=lambda d: (d.kind, d.name))
        return [d for d in docs if status is None or d.status == status]

    @_guarded
    def history(self, kind: Kind, name: str) -> builtins.list[Document]:
        head = self._head_of(kind, name)
        query = {"kind": kind, "name": name, "version": {"$lte": head.latest}}
        found = self.versions.find(query, sort=[("version", ASCENDING)])
        return [self._doc(v, head) for v in found]

    @_guarded
    def audit(self, kind: Kind | None = None, name: str | None = None) -> builtins.list[AuditEntry]:
        query: dict[str, Any] = {}
        if kind is not None:
            query["kind"] = kind
        if name is not None:
            query["name"] = name
        heads = {h["_id"]: h for h in self.heads.find(query)}
        entries: builtins.list[tuple[str, int, AuditEntry]] = []
        for v in self.versions.find(query, {"body": 0, "refs": 0}):
            h = heads.get(key(v["kind"], v["name"]))
            if h is not None and v["version"] <= h["latest"]:
                at = v["at"]
                entries.append((at, 0, AuditEntry(datetime.fromisoformat(at), v["kind"], v["name"], v["version"],
                                                  v["action"], v["by"], v["comment"])))
        for h in heads.values():
            for e in h.get("events", []):
                entries.append((e["at"], 1, AuditEntry(datetime.fromisoformat(e["at"]), h["kind"], h["name"],
                                                       e["version"], e["action"], e["by"], e["comment"])))
        entries.sort(key=lambda e: (e[0], e[1]))
        return [e[2] for e in entries]

    @_guarded
    def where_used(self, kind: Kind, name: str) -> builtins.list[Usage]:
        self._head_of(kind, name)
        target = key(kind, name)
        found = list(self.versions.find({"ref_keys": target}, {"body": 0}))
        heads = self._fetch_heads({key(v["kind"], v["name"]) for v in found})
        out: builtins.list[Usage] = []
        for v in found:
            h = heads[key(v["kind"], v["name"])]
            if v["version"] not in (h.latest, h.published) or v["version"] > h.latest:
                continue
            for r in v["refs"]:
                if key(r["kind"], r["name"]) == target:
                    out.append(Usage(v["name"], v["version"], h.status(v["version"]), r["version"], r["path"]))
        return sorted(out, key=lambda u: (u.pipeline, u.version, u.where))

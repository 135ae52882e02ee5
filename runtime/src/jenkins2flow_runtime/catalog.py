"""What the sync engine needs from the store, read once per parse, and its local snapshot.

`read_catalog` reads the published pipelines and the published tasks and templates in a few bulk queries, then
fetches only the pinned versions that are not the published ones. `Snapshot` keeps the last good read as a JSON
file, so that when the store cannot be reached the DAGs are built from it instead of vanishing. No Airflow here.

The store is opened for reading only: a missing store is an outage (never an empty catalog that would replace the
snapshot), and a SQLite writer holding the file, or an unreachable MongoDB, makes the read give up after
$JENKINS2FLOW_STORE_TIMEOUT_MS (default 2000 ms for SQLite, 5000 ms for MongoDB) rather than hold up a DAG parse.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import (
    InvalidDocument,
    NotFoundError,
    Store,
    StoreUnavailable,
    is_mongo,
    open_store,
    store_uri,
)
from jenkins2flow_runtime.store.base import redact

log = logging.getLogger("jenkins2flow_runtime.sync")

SNAPSHOT_FORMAT = 1
DocKey = tuple[str, str, int]
_FINGERPRINT_RE = re.compile(rb'^\{"fingerprint":"([0-9a-f]{64})"')
REF_KINDS: tuple[model.Kind, ...] = ("parameter_template", "concrete_task", "view_task")


@dataclass
class Catalog:
    """Published pipelines and every document they pin, keyed by (kind, name, version)."""

    pipelines: list[model.Document]
    docs: dict[DocKey, model.Document] = field(default_factory=dict)
    source: str = "store"  # "store" or "snapshot"
    origin: str = ""  # the store URI (credentials removed) or the snapshot path
    fingerprint: str = ""
    invalid: list[InvalidDocument] = field(default_factory=list)  # stored documents that do not validate

    def get(self, ref: model.Ref) -> model.Document:
        doc = self.docs.get((ref.kind, ref.name, ref.version))
        if doc is None:
            for bad in self.invalid:
                if (bad.kind, bad.name) == (ref.kind, ref.name) and ref.version in (0, bad.version):
                    raise NotFoundError(f"The {ref} it uses is in the {self.source} but {bad}.")
            raise NotFoundError(f"The {ref} it uses is not in the {self.source} (or not readable).")
        return doc

    def only(self, name: str) -> Catalog:
        """The part of the catalog one pipeline needs."""
        pipelines = [p for p in self.pipelines if p.name == name]
        invalid = [b for b in self.invalid if b.kind != "pipeline" or b.name == name]
        return Catalog(pipelines, self.docs, self.source, self.origin, "", invalid)

    def documents(self) -> list[model.Document]:
        return [*self.pipelines, *self.docs.values()]


def fingerprint(docs: Iterable[model.Document]) -> str:
    """Identity of a catalog: versions are immutable, so kind/name/version/hash says it all."""
    lines = sorted(f"{d.kind}/{d.name}@{d.version}:{d.spec_hash}:{d.status}" for d in docs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def read_timeout(uri: str) -> float | None:
    """Seconds a DAG parse waits for the store: $JENKINS2FLOW_STORE_TIMEOUT_MS, else 2 s for a SQLite writer's
    lock and 5 s for a MongoDB server (None: the MongoDB URI's own serverSelectionTimeoutMS)."""
    ms = os.environ.get("JENKINS2FLOW_STORE_TIMEOUT_MS")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            raise StoreUnavailable(f"JENKINS2FLOW_STORE_TIMEOUT_MS must be milliseconds, not {ms!r}.") from None
    if is_mongo(uri):
        return None if "serverselectiontimeoutms" in uri.lower() else 5.0
    return 2.0


def open_for_read(uri: str | None = None) -> Store:
    """Open the store without creating anything and with the short parse timeout: a missing SQLite file is an
    outage, not an empty catalog."""
    uri = store_uri(uri)
    return open_store(uri, timeout=read_timeout(uri))


def read_catalog(store: Store, *, origin: str = "", only: str | None = None) -> Catalog:
    """Published pipelines plus every document they pin: one bulk read per kind, then the stragglers.
    With `only` (a task runner parsing the DAG file for one DAG), that pipeline alone and what it pins.
    Stored documents that no longer validate are collected in `Catalog.invalid`, never hiding the others."""
    invalid: list[InvalidDocument] = []
    if only is not None:
        pipelines = _one(store, "pipeline", only, "published", invalid)
    else:
        pipelines = store.published("pipeline", invalid=invalid)
    docs = pinned_documents(store, pipelines, invalid, bulk=only is None)
    return Catalog(pipelines, docs, "store", origin, fingerprint([*pipelines, *docs.values()]), invalid)


def catalog_at(store: Store, name: str, version: int) -> Catalog:
    """One version of one pipeline and every document it pins (what a run that started on it needs)."""
    invalid: list[InvalidDocument] = []
    pipelines = _one(store, "pipeline", name, version, invalid)
    if not pipelines:
        raise NotFoundError(f"pipeline {name!r} version {version}: " + (str(invalid[0]) if invalid else "not found"))
    docs = pinned_documents(store, pipelines, invalid, bulk=False)
    return Catalog(pipelines, docs, "store", repr(store), "", invalid)


def _one(store: Store, kind: model.Kind, name: str, version: int | str, invalid: list[InvalidDocument]) -> list[
        model.Document]:
    try:
        return [store.get(kind, name, version)]
    except NotFoundError:
        return []
    except ValueError as exc:  # stored, but does not validate
        invalid.append(InvalidDocument(kind, name, version if isinstance(version, int) else 0,
                                       str(exc).splitlines()[0][:500]))
        return []


def pinned_documents(store: Store, pipelines: list[model.Document], invalid: list[InvalidDocument], *,
                     bulk: bool = True) -> dict[DocKey, model.Document]:
    """The documents `pipelines` pin: with `bulk`, the published ones of each kind in one read, then the others
    one by one; missing ones are left out (the pipeline that needs one reports it), invalid ones collected."""
    docs: dict[DocKey, model.Document] = {}
    needed: set[tuple[model.Kind, str, int]] = set()
    for p in pipelines:
        assert isinstance(p.spec, model.PipelineSpec)
        for _, ref in p.spec.refs():
            needed.add((ref.kind, ref.name, ref.version))
    kinds = {k for k, _, _ in needed} if bulk else set()
    for kind in REF_KINDS:
        if kind in kinds:
            for d in store.published(kind, invalid=invalid):
                docs[(d.kind, d.name, d.version)] = d
    for kind, name, version in sorted(needed):
        if (kind, name, version) not in docs:
            for d in _one(store, kind, name, version if version else "published", invalid):
                docs[(kind, name, version)] = d
    return docs


def load_from_store(uri: str | None = None, only: str | None = None) -> Catalog:
    """Read the catalog from the store; any failure becomes StoreUnavailable naming the store and the cause."""
    shown = redact(store_uri(uri))
    try:
        store = open_for_read(uri)
        try:
            return read_catalog(store, origin=shown, only=only)
        finally:
            store.close()
    except StoreUnavailable:
        raise
    except Exception as exc:  # anything else the backend raised: the store is not usable right now
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise StoreUnavailable(f"The store {shown!r} cannot be read: {type(exc).__name__}: {first}") from exc


def default_snapshot_path(dag_file: str | None) -> Path:
    """$JENKINS2FLOW_SNAPSHOT, else a JSON file next to the dags folder named after the DAG file."""
    env = os.environ.get("JENKINS2FLOW_SNAPSHOT")
    if env:
        return Path(env)
    if dag_file:
        f = Path(dag_file).resolve()
        return f.parent.parent / f"jenkins2flow-snapshot.{f.parent.name}.{f.stem}.json"
    return Path(tempfile.gettempdir()) / "jenkins2flow-snapshot.json"


@dataclass
class Snapshot:
    path: Path

    def fingerprint(self) -> str:
        try:
            with self.path.open("rb") as fh:
                m = _FINGERPRINT_RE.match(fh.read(100))
        except OSError:
            return ""
        return m.group(1).decode() if m else ""

    def save(self, catalog: Catalog) -> bool:
        """Write the catalog when it changed (atomic replace); False when unchanged. Raises OSError."""
        if catalog.fingerprint and catalog.fingerprint == self.fingerprint():
            return False
        body = {
            "fingerprint": catalog.fingerprint,
            "format": SNAPSHOT_FORMAT,
            "written_at": datetime.now(UTC).isoformat(),
            "store": catalog.origin,
            "pipelines": [model.to_dict(d) for d in catalog.pipelines],
            "documents": [model.to_dict(d) for d in catalog.docs.values()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, separators=(",", ":"), default=str)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def load(self) -> Catalog:
        """The catalog as last saved. A document that no longer loads goes to `Catalog.invalid` (only the pipelines
        that need it are lost); a snapshot that cannot be read at all raises OSError or ValueError."""
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"Snapshot {str(self.path)!r} has format {found!r}, not {SNAPSHOT_FORMAT}.")
        invalid: list[InvalidDocument] = []
        pipelines = _load_each(data.get("pipelines", []), invalid, "pipeline")
        docs: dict[DocKey, model.Document] = {
            (d.kind, d.name, d.version): d for d in _load_each(data.get("documents", []), invalid, "document")
        }
        written = data.get("written_at", "?")
        origin = f"{self.path} (written {written} from {data.get('store', '?')})"
        return Catalog(pipelines, docs, "snapshot", origin, data.get("fingerprint", ""), invalid)


def _load_each(raw: Any, invalid: list[InvalidDocument], kind: str) -> list[model.Document]:
    """Every document of a snapshot list that still loads; the others named in `invalid` (by their position when
    they have no name, as `kind` when they have no kind)."""
    out: list[model.Document] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            out.append(model.from_dict(item))
        except (ValueError, TypeError, KeyError) as exc:  # ModelError is a ValueError
            fields = item if isinstance(item, dict) else {}
            version = fields.get("version")
            invalid.append(InvalidDocument(str(fields.get("kind", kind)), str(fields.get("name", f"#{i}")),
                                           version if isinstance(version, int) else 0,
                                           (str(exc).splitlines() or [type(exc).__name__])[0][:500]))
    return out

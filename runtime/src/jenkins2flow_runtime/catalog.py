"""What the sync engine needs from the store, read once per parse, and its local snapshot.

`read_catalog` reads the published pipelines and the published tasks and templates in a few bulk queries, then
fetches only the pinned versions that are not the published ones. `Snapshot` keeps the last good read as a JSON
file, so that when the store cannot be reached the DAGs are built from it instead of vanishing. No Airflow here.
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
from urllib.parse import urlsplit, urlunsplit

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import InvalidDocument, NotFoundError, Store, open_store, store_uri

log = logging.getLogger("jenkins2flow_runtime.sync")

SNAPSHOT_FORMAT = 1
DocKey = tuple[str, str, int]
_FINGERPRINT_RE = re.compile(rb'^\{"fingerprint":"([0-9a-f]{64})"')
REF_KINDS: tuple[model.Kind, ...] = ("parameter_template", "concrete_task", "view_task")


class StoreUnavailable(RuntimeError):
    """The store could not be read (down, missing, unreadable); the message says which and why."""


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
                    raise NotFoundError(f"The {ref} it uses is in the store but {bad}.")
            raise NotFoundError(f"The {ref} it uses is not in the store (or not readable).")
        return doc

    def only(self, name: str) -> Catalog:
        """The part of the catalog one pipeline needs."""
        pipelines = [p for p in self.pipelines if p.name == name]
        return Catalog(pipelines, self.docs, self.source, self.origin, "", self.invalid)

    def documents(self) -> list[model.Document]:
        return [*self.pipelines, *self.docs.values()]


def fingerprint(docs: Iterable[model.Document]) -> str:
    """Identity of a catalog: versions are immutable, so kind/name/version/hash says it all."""
    lines = sorted(f"{d.kind}/{d.name}@{d.version}:{d.spec_hash}:{d.status}" for d in docs)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def redact(uri: str) -> str:
    """The URI without its password, for logs and the snapshot."""
    if "://" not in uri:
        return uri
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _with_timeout(uri: str) -> str:
    """MongoDB waits 30 s for a server by default, as long as a whole DAG-file parse may take: cap it."""
    if uri.startswith(("mongodb://", "mongodb+srv://")) and "serverselectiontimeoutms" not in uri.lower():
        ms = os.environ.get("JENKINS2FLOW_STORE_TIMEOUT_MS", "5000")
        sep = "&" if "?" in uri else ("?" if uri.count("/") > 2 else "/?")
        return f"{uri}{sep}serverSelectionTimeoutMS={ms}"
    return uri


def open_for_read(uri: str | None = None) -> Store:
    """Open the store without creating anything: a missing SQLite file is an outage, not an empty catalog."""
    uri = store_uri(uri)
    if "://" not in uri or uri.startswith("sqlite:///"):
        path = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else uri
        if not Path(path).is_file():
            raise StoreUnavailable(f"The SQLite store {path!r} does not exist (or is not mounted).")
    return open_store(_with_timeout(uri))


def read_catalog(store: Store, *, origin: str = "", only: str | None = None) -> Catalog:
    """Published pipelines plus every document they pin: one bulk read per kind, then the stragglers.
    With `only` (a task runner parsing the DAG file for one DAG), that pipeline alone and what it pins.
    Stored documents that no longer validate are collected in `Catalog.invalid`, never hiding the others."""
    invalid: list[InvalidDocument] = []
    if only is not None:
        try:
            pipelines = [store.get("pipeline", only, "published")]
        except NotFoundError:
            pipelines = []
        except ValueError as exc:  # stored, but does not validate
            pipelines = []
            invalid.append(InvalidDocument("pipeline", only, 0, str(exc).splitlines()[0][:500]))
    else:
        pipelines = store.published("pipeline", invalid=invalid)
    docs: dict[DocKey, model.Document] = {}
    needed: set[tuple[model.Kind, str, int]] = set()
    for p in pipelines:
        assert isinstance(p.spec, model.PipelineSpec)
        for _, ref in p.spec.refs():
            needed.add((ref.kind, ref.name, ref.version))
    kinds = {k for k, _, _ in needed} if only is None else set()
    for kind in REF_KINDS:
        if kind in kinds:
            for d in store.published(kind, invalid=invalid):
                docs[(d.kind, d.name, d.version)] = d
    for kind, name, version in sorted(needed):
        if (kind, name, version) in docs:
            continue
        try:
            d = store.get(kind, name, version if version else "published")
        except NotFoundError:
            continue  # reported by the pipeline that needs it; the others still load
        except ValueError as exc:  # a pinned version that does not validate
            invalid.append(InvalidDocument(kind, name, version, str(exc).splitlines()[0][:500]))
            continue
        docs[(kind, name, version)] = d
    return Catalog(pipelines, docs, "store", origin, fingerprint([*pipelines, *docs.values()]), invalid)


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
    except Exception as exc:  # sqlite3, pymongo, model errors...: the store is not usable right now
        raise StoreUnavailable(f"The store {shown!r} cannot be read: {type(exc).__name__}: {exc}") from exc


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
        """The catalog as last saved. Raises FileNotFoundError, ValueError or model errors."""
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"Snapshot {str(self.path)!r} has format {data.get('format')!r}, not {SNAPSHOT_FORMAT}.")
        pipelines = [model.from_dict(d) for d in data["pipelines"]]
        docs: dict[DocKey, model.Document] = {
            (d.kind, d.name, d.version): d for d in map(model.from_dict, data["documents"])
        }
        written = data.get("written_at", "?")
        origin = f"{self.path} (written {written} from {data.get('store', '?')})"
        return Catalog(pipelines, docs, "snapshot", origin, data.get("fingerprint", ""))

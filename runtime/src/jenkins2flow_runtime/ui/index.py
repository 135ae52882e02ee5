"""The list and search pages' index: one small summary per document, kept in memory.

Listing the store parses every document (about 1 s for 10,000 pipelines), too slow for each page view. The index
is built from the store's own `list()` calls and rebuilt in a background thread when the store changed: a SQLite
store is watched through its files (a commit changes the WAL); other stores are re-read every `refresh_seconds`.
The UI's own writes update their document at once. Document pages always read the store itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.model import Document, PipelineSpec
from jenkins2flow_runtime.store import InvalidDocument, NotFoundError, Store

log = logging.getLogger("jenkins2flow_runtime.ui")
CHECK_SECONDS = 2.0
USED_FILTERS = ("used", "unused")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str
    name: str
    version: int
    status: str  # of the latest version
    published: int | None
    title: str  # the first line of the description
    team: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    updated_at: datetime | None
    updated_by: str
    job: str  # pipelines: the Jenkins job converted
    refs: tuple[str, ...]  # pipelines: "kind/name" of what their latest and published versions use
    text: str  # lower-case words searched


@dataclass
class Snapshot:
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    used_by: dict[str, set[str]] = field(default_factory=dict)  # "kind/name" -> pipelines
    invalid: list[InvalidDocument] = field(default_factory=list)
    built_at: float = 0.0
    seconds: float = 0.0  # how long the build took

    def ordered(self) -> list[Entry]:
        return [self.entries[k] for k in sorted(self.entries)]


def _refs(doc: Document | None) -> tuple[str, ...]:
    if doc is None or not isinstance(doc.spec, PipelineSpec):
        return ()
    return tuple(ref.key() for _, ref in doc.spec.refs())


def entry(latest: Document, published: Document | None) -> Entry:
    spec: Any = latest.spec
    description = (getattr(spec, "description", "") or "").strip()
    title = description.splitlines()[0][:160] if description else ""
    tags = tuple(dict.fromkeys([*latest.tags, *getattr(spec, "tags", [])]))
    team = getattr(spec, "team", "")
    owners = tuple(getattr(spec, "owners", ()))
    job = spec.provenance.job if isinstance(spec, PipelineSpec) else ""
    refs = tuple(dict.fromkeys([*_refs(latest), *_refs(published)]))
    words = [latest.name, title, team, *owners, *tags, job, latest.created_by]
    if isinstance(spec, PipelineSpec):
        words += [t.title for t in spec.tasks if t.title]
    return Entry(latest.kind, latest.name, latest.version, latest.status,
                 published.version if published is not None else None, title, team, owners, tags,
                 latest.created_at, latest.created_by, job, refs, " ".join(w for w in words if w).lower())


def build(store: Store) -> Snapshot:
    started = time.perf_counter()
    invalid: list[InvalidDocument] = []
    latest = store.list(invalid=invalid)
    published = {(d.kind, d.name): d for d in store.list(status="published", invalid=invalid)}
    snap = Snapshot(built_at=time.monotonic(), invalid=invalid)
    for d in latest:
        snap.entries[(d.kind, d.name)] = entry(d, published.get((d.kind, d.name)))
    for e in snap.entries.values():
        for ref in e.refs:
            snap.used_by.setdefault(ref, set()).add(e.name)
    snap.seconds = time.perf_counter() - started
    return snap


def _store_signature(store: Store) -> tuple[int, ...] | None:
    """A value that changes when another process commits to a SQLite store (its file and WAL); None otherwise."""
    path = getattr(store, "path", None)
    if not isinstance(path, str):
        return None
    out: list[int] = []
    for p in (Path(path), Path(path + "-wal")):
        try:
            st = p.stat()
            out += [st.st_mtime_ns, st.st_size]
        except FileNotFoundError:
            out += [0, 0]
    return tuple(out)


class CatalogIndex:
    def __init__(self, store: Callable[[], Store], refresh_seconds: float = 30.0) -> None:
        self._store = store
        self.refresh_seconds = refresh_seconds
        self._snap: Snapshot | None = None
        self._signature: tuple[int, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()  # one build at a time
        self._swap = threading.Lock()  # one update of the current snapshot at a time
        self._refreshing = False

    # -- reading -----------------------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        snap = self._snap
        if snap is None:
            with self._lock:
                if self._snap is None:
                    self._rebuild()
            snap = self._snap
            assert snap is not None
            return snap
        now = time.monotonic()
        if now - self._checked >= CHECK_SECONDS:
            self._checked = now
            signature = _store_signature(self._store())
            changed = signature != self._signature if signature is not None else \
                now - snap.built_at >= self.refresh_seconds
            if changed:
                self._refresh_in_background()
        return snap

    def query(self, *, q: str = "", kind: str = "", status: str = "", team: str = "", tag: str = "",
              used: str = "") -> list[Entry]:
        snap = self.snapshot()
        words = q.lower().split()
        out = []
        for key in sorted(snap.entries):
            e = snap.entries[key]
            if kind and e.kind != kind:
                continue
            if status == "published" and e.published is None:
                continue
            if status in ("draft", "retired") and (e.status != status or (status == "retired" and e.published)):
                continue
            if team and e.team != team:
                continue
            if tag and tag not in e.tags:
                continue
            if used in USED_FILTERS:
                if e.kind == "pipeline" or (f"{e.kind}/{e.name}" in snap.used_by) != (used == "used"):
                    continue
            if words and not all(w in e.text for w in words):
                continue
            out.append(e)
        return out

    def used_by(self, kind: str, name: str) -> set[str]:
        return self.snapshot().used_by.get(f"{kind}/{name}", set())

    def names(self, kind: str) -> list[str]:
        return sorted(n for k, n in self.snapshot().entries if k == kind)

    def facets(self) -> dict[str, list[str]]:
        snap = self.snapshot()
        teams = sorted({e.team for e in snap.entries.values() if e.team})
        tags = sorted({t for e in snap.entries.values() for t in e.tags})
        return {"teams": teams, "tags": tags}

    # -- updating ----------------------------------------------------------------------------------------------------

    def updated(self, kind: str, name: str) -> None:
        """After the UI's own write: the document's entry now, without waiting for a rebuild."""
        store = self._store()
        try:
            latest = store.get(kind, name)  # type: ignore[arg-type]
        except NotFoundError:
            return
        try:
            published: Document | None = store.get(kind, name, "published")  # type: ignore[arg-type]
        except NotFoundError:
            published = None
        with self._swap:
            snap = self._snap
            if snap is None:
                return
            new = Snapshot(dict(snap.entries), {k: set(v) for k, v in snap.used_by.items()}, snap.invalid,
                           snap.built_at, snap.seconds)
            old = new.entries.get((kind, name))
            for ref in old.refs if old else ():
                new.used_by.get(ref, set()).discard(name)
            fresh = entry(latest, published)
            new.entries[(kind, name)] = fresh
            for ref in fresh.refs:
                new.used_by.setdefault(ref, set()).add(name)
            self._snap = new

    def _rebuild(self) -> None:
        store = self._store()
        signature = _store_signature(store)
        snap = build(store)
        self._snap, self._signature = snap, signature
        log.info("catalog index: %d documents in %.2f s", len(snap.entries), snap.seconds)

    def _refresh_in_background(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True

        def run() -> None:
            try:
                with self._lock:
                    self._rebuild()
            except Exception:  # the old index keeps serving; the next check tries again
                log.exception("catalog index: rebuild failed")
            finally:
                self._refreshing = False

        threading.Thread(target=run, name="jenkins2flow-ui-index", daemon=True).start()

    def rebuild_now(self) -> Snapshot:
        with self._lock:
            self._rebuild()
        assert self._snap is not None
        return self._snap


def count_by(entries: Iterable[Entry], attr: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in entries:
        out[getattr(e, attr)] = out.get(getattr(e, attr), 0) + 1
    return out

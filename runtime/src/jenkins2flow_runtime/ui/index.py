"""The list and search pages' index: one small summary per document, kept in memory.

Listing the store parses every document (about 1 s for 10,000 pipelines), too slow for each page view. The index
is built from the store's own `list()` calls and rebuilt in a background thread when the store changed: a SQLite
store is watched through its files (a commit changes the WAL); other stores are re-read every `refresh_seconds`.
The UI's own writes update their document at once. Document pages always read the store itself.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.model import KINDS, Document, PipelineSpec
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
    title: str  # its own (own_title); Snapshot.titled shows a pipeline task's title when it has none
    team: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    updated_at: datetime | None
    updated_by: str
    job: str  # pipelines: the Jenkins job converted
    refs: tuple[str, ...]  # pipelines: "kind/name" of what their latest and published versions use
    text: str  # lower-case words searched
    task_titles: tuple[tuple[str, str], ...] = ()  # pipelines: ("kind/name" a task uses, the task's title)


@dataclass
class Snapshot:
    """The entries, and what makes a query cheap: entries in (kind, name) order, one lower-case text of them all
    (a word is found by str.find, in C), and the positions of the entries by kind, status, team, tag and use."""

    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    invalid: list[InvalidDocument] = field(default_factory=list)
    built_at: float = 0.0
    seconds: float = 0.0  # how long the build took
    used_by: dict[str, set[str]] = field(default_factory=dict)  # "kind/name" -> pipelines
    titles: dict[str, str] = field(default_factory=dict)  # "kind/name" -> title from a pipeline task (`titled`)
    ordered: list[Entry] = field(default_factory=list)
    text: str = ""
    starts: list[int] = field(default_factory=list)  # where each entry's text starts in `text`
    groups: dict[str, set[int]] = field(default_factory=dict)  # "kind:pipeline", "tag:x", "used"... -> positions
    teams: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def derive(self) -> Snapshot:
        """(Re)compute everything but the entries from the entries; a task without a description of its own gets
        the title of the first pipeline task (by pipeline name) that uses it, without the stage (`step_title`):
        searched here, shown through `titled`."""
        self.ordered = [self.entries[k] for k in sorted(self.entries)]
        self.used_by = {}
        titles: dict[str, str] = {}
        for e in self.ordered:
            for ref in e.refs:
                self.used_by.setdefault(ref, set()).add(e.name)
            for ref, title in e.task_titles:
                titles.setdefault(ref, step_title(title))
        self.titles = {}
        for ref, title in titles.items():
            kind, _, name = ref.partition("/")
            used = self.entries.get((kind, name))
            if used is not None and not used.title:
                self.titles[ref] = title
        self.starts, offset, texts = [], 0, []
        groups: dict[str, set[int]] = {}
        for i, e in enumerate(self.ordered):
            self.starts.append(offset)
            derived = self.titles.get(f"{e.kind}/{e.name}", "") if self.titles else ""
            text = f"{e.text} {derived.lower()}" if derived else e.text
            texts.append(text)
            offset += len(text) + 1
            keys = [f"kind:{e.kind}", f"status:{e.status}", f"team:{e.team}", *(f"tag:{t}" for t in e.tags)]
            if e.published is not None:
                keys.append("published")
            if e.kind != "pipeline":
                keys.append("used" if f"{e.kind}/{e.name}" in self.used_by else "unused")
            for k in keys:
                groups.setdefault(k, set()).add(i)
        self.text, self.groups = "\n".join(texts), groups
        self.teams = sorted(k[5:] for k in groups if k.startswith("team:") and k != "team:")
        self.tags = sorted(k[4:] for k in groups if k.startswith("tag:"))
        return self

    def titled(self, entries: list[Entry]) -> list[Entry]:
        """`entries` as shown: one without a title of its own has the title of a pipeline task that uses it."""
        return [replace(e, title=self.titles[f"{e.kind}/{e.name}"])
                if not e.title and f"{e.kind}/{e.name}" in self.titles else e for e in entries]

    def text_of(self, i: int) -> str:
        """The searched text of the entry at position `i` (with its title from a pipeline task)."""
        return self.text[self.starts[i]: self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)]

    def find(self, word: str) -> set[int]:
        """The positions of the entries whose text holds `word`."""
        found: set[int] = set()
        at = self.text.find(word)
        while at != -1:
            i = bisect.bisect_right(self.starts, at) - 1
            found.add(i)
            nxt = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
            at = self.text.find(word, nxt)
        return found


def _refs(doc: Document | None) -> tuple[str, ...]:
    if doc is None or not isinstance(doc.spec, PipelineSpec):
        return ()
    return tuple(ref.key() for _, ref in doc.spec.refs())


def step_title(task_title: str) -> str:
    """What a converted pipeline task's step does, without its stage: the conversion titles a task
    `Stage · what the step does` (`Build · sh: make all`); a title without the separator is kept whole."""
    return task_title.split(" · ", 1)[-1].strip()


def own_title(doc: Document) -> str:
    """A document's title from itself: the first line of its description; for a parameter template without one,
    the names of its parameters."""
    spec: Any = doc.spec
    description = (getattr(spec, "description", "") or "").strip()
    if description:
        first = description.splitlines()[0]
        return first if len(first) <= 160 else first[:159].rstrip() + "…"
    if doc.kind == "parameter_template" and spec.parameters:
        names = ", ".join(p.name for p in spec.parameters)
        return f"Parameters {names if len(names) <= 150 else names[:149] + '…'}"
    return ""


def entry(latest: Document, published: Document | None) -> Entry:
    spec: Any = latest.spec
    title = own_title(latest)
    tags = tuple(dict.fromkeys([*latest.tags, *getattr(spec, "tags", [])]))
    team = getattr(spec, "team", "")
    owners = tuple(getattr(spec, "owners", ()))
    job = spec.provenance.job if isinstance(spec, PipelineSpec) else ""
    refs = tuple(dict.fromkeys([*_refs(latest), *_refs(published)]))
    words = [latest.name, title, team, *owners, *tags, job, latest.created_by]
    task_titles: tuple[tuple[str, str], ...] = ()
    if isinstance(spec, PipelineSpec):
        words += [t.title for t in spec.tasks if t.title]
        task_titles = tuple((t.uses.key(), t.title) for t in spec.tasks if t.title)
    return Entry(latest.kind, latest.name, latest.version, latest.status,
                 published.version if published is not None else None, title, team, owners, tags,
                 latest.created_at, latest.created_by, job, refs, " ".join(w for w in words if w).lower(),
                 task_titles)


def build(store: Store) -> Snapshot:
    started = time.perf_counter()
    invalid: list[InvalidDocument] = []
    latest = store.list(invalid=invalid)
    published = {(d.kind, d.name): d for d in store.list(status="published", invalid=invalid)}
    snap = Snapshot(built_at=time.monotonic(), invalid=invalid)
    for d in latest:
        snap.entries[(d.kind, d.name)] = entry(d, published.get((d.kind, d.name)))
    snap.derive()
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
        self._touched: set[tuple[str, str]] = set()  # written by the UI since the running build started

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
        """The entries that pass every filter and hold every word of `q`, in (kind, name) order."""
        snap = self.snapshot()
        wanted = [f"kind:{kind}" if kind else "", f"team:{team}" if team else "", f"tag:{tag}" if tag else "",
                  used if used in USED_FILTERS else "",
                  {"published": "published", "draft": "status:draft", "retired": "status:retired"}.get(status, "")]
        picked: set[int] | None = None
        for key in filter(None, wanted):
            group = snap.groups.get(key, set())
            picked = set(group) if picked is None else picked & group
        if status == "retired" and picked:
            picked -= snap.groups.get("published", set())
        words = sorted(set(q.lower().split()), key=len, reverse=True)
        if words:
            found = snap.find(words[0])
            picked = found if picked is None else picked & found
            picked = {i for i in picked if all(w in snap.text_of(i) for w in words[1:])}
        if picked is None:
            return snap.ordered
        return [snap.ordered[i] for i in sorted(picked)]

    def used_by(self, kind: str, name: str) -> set[str]:
        return self.snapshot().used_by.get(f"{kind}/{name}", set())

    def facets(self) -> dict[str, list[str]]:
        snap = self.snapshot()
        return {"teams": snap.teams, "tags": snap.tags}

    # -- updating ----------------------------------------------------------------------------------------------------

    def updated(self, kind: str, name: str) -> None:
        """After the UI's own write: the document's entry now, without waiting for a rebuild (and again after a
        rebuild that was running meanwhile, which may have read the store before the write)."""
        with self._swap:
            self._touched.add((kind, name))
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
            entries = dict(snap.entries)
            entries[(kind, name)] = entry(latest, published)
            self._snap = Snapshot(entries, snap.invalid, snap.built_at, snap.seconds).derive()

    def _rebuild(self) -> None:
        store = self._store()
        signature = _store_signature(store)
        with self._swap:
            self._touched = set()
        snap = build(store)
        with self._swap:
            self._snap, self._signature = snap, signature
            touched, self._touched = self._touched, set()
        for kind, name in sorted(touched):  # written while the build was reading
            self.updated(kind, name)
        log.info("catalog index: %d documents in %.2f s", len(snap.entries), snap.seconds)

    def warm(self) -> None:
        """Build the index in the background now, so that the first list page does not wait for it."""
        def run() -> None:
            try:
                self.snapshot()
            except Exception:  # the first page will build it, and say why it cannot
                log.exception("catalog index: first build failed")

        threading.Thread(target=run, name="jenkins2flow-ui-index-warm", daemon=True).start()

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

    def idle(self) -> threading.Lock:
        """Held, no build reads the store: close the store under it (a background build reading the store's connection
        while another thread closed it hung the app's shutdown)."""
        return self._lock

    def rebuild_now(self) -> Snapshot:
        with self._lock:
            self._rebuild()
        assert self._snap is not None
        return self._snap


def count_by_kind(entries: list[Entry]) -> dict[str, int]:
    """How many of each kind in a list in (kind, name) order (a query's result): by bisection, not by a pass."""
    out: dict[str, int] = {}
    for kind in KINDS:
        lo = bisect.bisect_left(entries, kind, key=lambda e: e.kind)
        hi = bisect.bisect_right(entries, kind, key=lambda e: e.kind)
        if hi > lo:
            out[kind] = hi - lo
    return out

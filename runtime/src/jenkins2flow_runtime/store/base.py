"""The store interface shared by both backends, its errors and record types.

Layout common to both backends:
- versions: immutable bodies, one per (kind, name, version), numbered 1, 2, 3... without gaps;
- heads: one pointer row per document: latest version and its spec hash, the published version, the versions
  ever released (published) and the retired ones. Status lives here, never in a version body;
- the audit trail: who, when, action, version, comment for every change.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from jenkins2flow_runtime.model import Document, Kind, make

Action = Literal["save", "rollback", "import", "publish", "retire"]


class StoreError(Exception):
    """Any store failure a user can act on."""


class NotFoundError(StoreError):
    pass


class StoreUnavailable(StoreError):
    """The store cannot be opened, read or written at all (missing, corrupt, read-only, locked, unreachable):
    nothing about one document, so a batch stops and the runtime serves its snapshot. The message says which."""


class StoreMissing(StoreUnavailable):
    """No catalog at the path or database given: read commands and the runtime never create one."""


class ConflictError(StoreError):
    """A save whose expected version is not the latest one."""


class RefError(StoreError):
    """References to documents that are missing (on save) or not published (on publish); names each."""

    def __init__(self, problems: builtins.list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    kind: str
    name: str
    version: int
    action: str
    by: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class InvalidDocument:
    """A stored version that no longer validates (e.g. written by an older, unmigrated model): skipped by a
    listing that was given a list to collect these in, so one bad document never hides the others."""

    kind: str
    name: str
    version: int
    error: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r} version {self.version} does not validate: {self.error}"


@dataclass(frozen=True, slots=True)
class Usage:
    """A pipeline version (its latest or published one) that uses a task or template."""

    pipeline: str
    version: int
    status: str
    uses_version: int
    where: str  # the field path of the reference, e.g. spec.tasks[2].uses


@dataclass(frozen=True, slots=True)
class PipelineHead:
    """A stored pipeline's versions and the provenance of its latest one: what a batch conversion checks before it
    saves over the pipeline (whose job it is) and before it leaves an unchanged job alone."""

    name: str
    latest: int
    published: int | None
    retired: bool  # the latest version is retired
    job: str  # the latest version's provenance: the Jenkins job's full name
    source: str  # and where it was read from


class Store(ABC):
    # -- writes ------------------------------------------------------------------------------------------------------

    def save(
        self,
        doc: Document,
        *,
        by: str = "",
        comment: str = "",
        expected_version: int | None = None,
        action: Action = "save",
    ) -> Document:
        """Store `doc` as a new version when its spec changed; return the stored (new or unchanged) document.

        `expected_version` (0 for "must not exist yet") turns on optimistic concurrency: ConflictError when the
        latest version is another one. A pipeline's references must exist; version 0 pins to the latest."""
        return self._write([doc], by=by, comment=comment, expected=[expected_version], action=action)[0]

    def save_many(
        self,
        docs: Iterable[Document],
        *,
        by: str = "",
        comment: str = "",
        expected_versions: Iterable[int | None] | None = None,
        action: Action = "save",
        batch_size: int | None = None,
        read_unchanged: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> builtins.list[Document]:
        """Save many documents in one transaction (SQLite) / a few bulk round trips (MongoDB), results in input
        order. Tasks and templates are written before pipelines, so pipelines may pin what the same batch saves.

        With `batch_size`, the documents are written in successive batches of at most that many (tasks and
        templates first), each committed on its own: a long import never holds the store's write lock for long.
        A failure then leaves the earlier batches saved, each complete; saving the same documents again is a no-op
        for them and completes the rest.

        With `read_unchanged=False`, a document whose spec is unchanged comes back as given (references pinned) with
        the stored version's number and status, instead of being read back from the store: less work for a caller
        that needs only version numbers (its created_at, created_by and comment are then the given ones).
        `progress` is told how many documents each committed batch held."""
        docs = list(docs)
        expected: builtins.list[int | None] = (
            list(expected_versions) if expected_versions is not None else [None] * len(docs)
        )
        if len(expected) != len(docs):
            raise ValueError("expected_versions must have one entry per document")
        if batch_size is None or len(docs) <= batch_size:
            written = self._write(docs, by=by, comment=comment, expected=expected, action=action,
                                  read_unchanged=read_unchanged)
            if progress is not None:
                progress(len(docs))
            return written
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        order = sorted(range(len(docs)), key=lambda i: docs[i].kind == "pipeline")
        out: builtins.list[Document | None] = [None] * len(docs)
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            saved = self._write([docs[i] for i in part], by=by, comment=comment, expected=[expected[i] for i in part],
                                action=action, read_unchanged=read_unchanged)
            for i, d in zip(part, saved, strict=True):
                out[i] = d
            if progress is not None:
                progress(len(part))
        return [d for d in out if d is not None]

    @abstractmethod
    def _write(
        self,
        docs: builtins.list[Document],
        *,
        by: str,
        comment: str,
        expected: builtins.list[int | None],
        action: Action,
        read_unchanged: bool = True,
    ) -> builtins.list[Document]: ...

    @abstractmethod
    def publish(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        """Publish a version (default: latest); the previously published one goes back to draft. A pipeline is
        refused (RefError) when any task or template it pins is missing, unreleased or retired."""

    def publish_many(self, items: Iterable[tuple[Kind, str, int]], *, by: str = "", comment: str = "") -> None:
        """Publish each (kind, name, version), in the order given (tasks and templates before the pipelines that
        pin them), as `publish` does one; a backend may do it in one transaction. RefError on the first refused."""
        for kind, name, version in items:
            self.publish(kind, name, version, by=by, comment=comment)

    @abstractmethod
    def retire(
        self, kind: Kind, name: str, version: int | None = None, *, by: str = "", comment: str = ""
    ) -> Document:
        """Retire a version (default: the published one, else the latest); it is no longer published."""

    def rollback(self, kind: Kind, name: str, version: int, *, by: str = "", comment: str = "") -> Document:
        """Publish the spec of an old `version` as a NEW version (or the latest, if it already has that spec)."""
        old = self.get(kind, name, version)
        note = comment or f"rollback to version {version}"
        new = self.save(make(kind, name, old.spec, tags=old.tags), by=by, comment=note, action="rollback")
        return self.publish(kind, name, new.version, by=by, comment=note)

    # -- reads -------------------------------------------------------------------------------------------------------

    @abstractmethod
    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        """A version number, "latest" or "published"."""

    @abstractmethod
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
        """With `invalid`, documents that do not validate are skipped and collected there (else they raise).

        The latest version of every document, filtered; with status="published", the published versions.
        Tags are the spec's and the envelope's; owner and source job are the pipeline spec's owners and
        provenance.job."""

    @abstractmethod
    def pipeline_heads(self, names: Iterable[str] | None = None) -> dict[str, PipelineHead]:
        """The stored pipelines (all, or those of `names` that exist) by name: their versions and their latest
        version's provenance, in a few queries."""

    @abstractmethod
    def history(self, kind: Kind, name: str) -> builtins.list[Document]:
        """Every version, oldest first."""

    def published(
        self, kind: Kind, *, invalid: builtins.list[InvalidDocument] | None = None
    ) -> builtins.list[Document]:
        """The published version of every document of `kind` (invalid ones collected in `invalid`, if given)."""
        return self.list(kind, "published", invalid=invalid)

    @abstractmethod
    def audit(self, kind: Kind | None = None, name: str | None = None) -> builtins.list[AuditEntry]:
        """Every change (save, rollback, import, publish, retire), oldest first."""

    @abstractmethod
    def where_used(self, kind: Kind, name: str) -> builtins.list[Usage]:
        """The pipelines whose latest or published version uses the task or template `kind`/`name`."""

    def diff(self, kind: Kind, name: str, a: int | str, b: int | str = "latest") -> builtins.list[str]:
        """Readable differences between two versions' specs, one line per change (deepdiff-based)."""
        from jenkins2flow_runtime.store.diff import spec_diff

        return spec_diff(self.get(kind, name, a), self.get(kind, name, b))

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 - optional for backends
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def no_catalog(where: str, why: str = "") -> StoreMissing:
    """The error of a read (or an update) aimed at a store that does not exist."""
    return StoreMissing(f"no catalog at {where}{f' ({why})' if why else ''}; run convert first or pass --store")


def redact(uri: str) -> str:
    """The URI without its password, for messages, logs and the snapshot."""
    if "://" not in uri:
        return uri
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def describe(kind: str, name: str, version: Any = None) -> str:
    return f"{kind} {name!r}" + (f" version {version}" if version not in (None, "latest") else "")

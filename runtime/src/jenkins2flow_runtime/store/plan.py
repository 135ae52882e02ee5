"""Pure bookkeeping shared by both backends: document heads, reference checks, and the plan of a batch save.

Backends fetch the heads a batch needs in one query, `plan()` decides every version number and reference in
memory, and the backend writes the result in one transaction (SQLite) or a few bulk operations (MongoDB).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jenkins2flow_runtime.model import SCHEMA_VERSION, Document, PipelineSpec, Status
from jenkins2flow_runtime.model.document import spec_hash
from jenkins2flow_runtime.model.errors import dotted
from jenkins2flow_runtime.store.base import (
    ConflictError,
    InvalidDocument,
    NotFoundError,
    RefError,
    StoreError,
    describe,
)

CLI_GROUP = {"concrete_task": "tasks", "view_task": "views", "parameter_template": "templates", "pipeline": "pipelines"}


def key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


@dataclass(slots=True)
class Head:
    kind: str
    name: str
    latest: int = 0
    latest_hash: str = ""
    published: int | None = None
    released: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return key(self.kind, self.name)

    def status(self, version: int) -> Status:
        if version == self.published:
            return "published"
        if version in self.retired:
            return "retired"
        return "draft"

    def usable(self, version: int) -> bool:
        """Released (published at some point) and not retired since: what a published pipeline may pin."""
        return version == self.published or (version in self.released and version not in self.retired)


def index_fields(doc: Document) -> dict[str, Any]:
    """The columns / fields that `list` filters on and `where_used` searches."""
    spec = doc.spec
    tags = sorted({*doc.tags, *getattr(spec, "tags", [])})
    owners = list(spec.owners) if isinstance(spec, PipelineSpec) else []
    source_job = spec.provenance.job if isinstance(spec, PipelineSpec) else ""
    refs = (
        [(r.kind, r.name, r.version, "spec." + dotted(loc)) for loc, r in spec.refs()]
        if isinstance(spec, PipelineSpec)
        else []
    )
    return {"tags": tags, "owners": owners, "source_job": source_job, "refs": refs}


def ref_keys(docs: Iterable[Document]) -> set[str]:
    """The keys of the documents and of everything their pipelines reference: the heads a batch needs."""
    out: set[str] = set()
    for d in docs:
        out.add(key(d.kind, d.name))
        if isinstance(d.spec, PipelineSpec):
            out.update(r.key() for _, r in d.spec.refs())
    return out


def resolve_refs(doc: Document, heads: dict[str, Head]) -> Document:
    """Pin version-0 references to the latest version; RefError naming every missing document or version. The
    result has its spec hash (computed here when the document came without one)."""
    if not isinstance(doc.spec, PipelineSpec):
        return doc if doc.spec_hash else doc.model_copy(update={"spec_hash": spec_hash(doc.spec)})
    problems: list[str] = []
    pins: dict[str, int] = {}
    for loc, ref in doc.spec.refs():
        head = heads.get(ref.key())
        where = f"{doc.kind} {doc.name!r}: spec.{dotted(loc)}"
        if head is None or head.latest == 0:
            problems.append(f"{where}: {ref.kind} {ref.name!r} is not in the store")
        elif ref.version > head.latest:
            problems.append(f"{where}: {ref.kind} {ref.name!r} has no version {ref.version} (latest is {head.latest})")
        elif ref.version == 0:
            pins[ref.key()] = head.latest
    if problems:
        raise RefError(problems)
    if not pins:
        return doc if doc.spec_hash else doc.model_copy(update={"spec_hash": spec_hash(doc.spec)})
    spec = doc.spec.pinned(pins)
    return doc.model_copy(update={"spec": spec, "spec_hash": spec_hash(spec)})


def publish_problems(doc: Document, heads: dict[str, Head]) -> list[str]:
    """Why `doc` (a pipeline) cannot be published: each reference missing, never published, or retired."""
    if not isinstance(doc.spec, PipelineSpec):
        return []
    return ref_problems(((f"spec.{dotted(loc)}", ref.kind, ref.name, ref.version) for loc, ref in doc.spec.refs()),
                        heads)


def ref_problems(refs: Iterable[tuple[str, str, str, int]], heads: dict[str, Head]) -> list[str]:
    """`publish_problems` for references given as (field path, kind, name, version)."""
    problems: list[str] = []
    for where, kind, name, version in refs:
        head = heads.get(key(kind, name))
        ref = f"{kind} {name!r} version {version}"
        if head is None or not 1 <= version <= head.latest:
            problems.append(f"{where}: {ref} is missing from the store")
        elif not head.usable(version):
            state = "retired" if version in head.retired else "not published"
            problems.append(
                f"{where}: {ref} is {state} (publish it first: jenkins2flow {CLI_GROUP[kind]} publish "
                f"{name} --version {version})"
            )
    return problems


@dataclass(slots=True)
class Plan:
    results: list[Document | tuple[str, int, Document]]  # per input: the new version, or (key, existing version,
    # the document as given, its references pinned)
    new: list[Document]  # new versions in write order (tasks and templates before pipelines)
    before: dict[str, int]  # latest version of each touched document before the batch (for compare-and-set)
    heads: dict[str, Head]


def plan(
    docs: list[Document],
    heads: dict[str, Head],
    expected: list[int | None],
    *,
    by: str,
    comment: str,
    now: datetime,
) -> Plan:
    """Number every changed document; the same spec as the latest version is a no-op. Mutates `heads`."""
    results: list[Document | tuple[str, int, Document]] = [("", 0, d) for d in docs]
    new: list[Document] = []
    before: dict[str, int] = {}
    for i in sorted(range(len(docs)), key=lambda i: docs[i].kind == "pipeline"):
        doc = docs[i]
        k = key(doc.kind, doc.name)
        head = heads.setdefault(k, Head(doc.kind, doc.name))
        if expected[i] is not None and expected[i] != head.latest:
            raise ConflictError(
                f"{doc.kind} {doc.name!r} is at version {head.latest}, not {expected[i]}: someone saved it "
                "meanwhile; reload it and apply your change again."
            )
        doc = resolve_refs(doc, heads)
        if head.latest and head.latest_hash == doc.spec_hash:
            results[i] = (k, head.latest, doc)
            continue
        before.setdefault(k, head.latest)
        head.latest += 1
        head.latest_hash = doc.spec_hash
        stored = doc.model_copy(
            update={
                "schema_version": SCHEMA_VERSION,
                "version": head.latest,
                "status": "draft",
                "created_at": now,
                "created_by": by or doc.created_by,
                "comment": comment or doc.comment,
            }
        )
        new.append(stored)
        results[i] = stored
    return Plan(results, new, before, heads)


def as_given(result: tuple[str, int, Document], head: Head) -> Document:
    """An unchanged document as it was given, with the stored version's number and status (its envelope is not
    read back: created_at, created_by and comment are the given ones)."""
    _, version, doc = result
    return doc.model_copy(update={"version": version, "status": head.status(version)})


def version_number(head: Head, version: int | str) -> int:
    """The version number that `version` ("latest", "published" or a number) names for this document."""
    if version == "latest":
        return head.latest
    if version == "published":
        if head.published is None:
            raise NotFoundError(f"{describe(head.kind, head.name)} has no published version.")
        return head.published
    try:
        return int(version)
    except ValueError:
        raise StoreError(f"Version {version!r} is not a number, 'latest' or 'published'.") from None


def build_valid(
    items: Iterable[tuple[str, str, int, Any]],
    build: Callable[[Any], Document],
    invalid: list[InvalidDocument] | None,
) -> list[Document]:
    """`build(raw)` for each (kind, name, version, raw); failures go to `invalid`, or raise when it is None."""
    out: list[Document] = []
    for kind, name, version, raw in items:
        try:
            out.append(build(raw))
        except (ValueError, KeyError, TypeError) as exc:  # ModelError is a ValueError
            if invalid is None:
                raise
            invalid.append(InvalidDocument(kind, name, version, str(exc).splitlines()[0][:500]))
    return out

"""The catalog as the UI uses it: the store's own API (versions, optimistic concurrency, audit trail) behind the
access rules, secret values hidden on the way out and restored on the way in, the list index kept current."""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from typing import Any

from jenkins2flow_runtime.model import Document, Kind, ModelError, PipelineSpec, make
from jenkins2flow_runtime.model.specs import check_name
from jenkins2flow_runtime.store import AuditEntry, NotFoundError, Store, Usage, open_store
from jenkins2flow_runtime.store.diff import spec_diff
from jenkins2flow_runtime.ui import access
from jenkins2flow_runtime.ui.auth import User
from jenkins2flow_runtime.ui.diffview import Row, side_by_side
from jenkins2flow_runtime.ui.index import CatalogIndex
from jenkins2flow_runtime.ui.yamltext import dump, hide_secrets, restore_secrets

GROUPS: dict[str, Kind] = {"tasks": "concrete_task", "views": "view_task", "templates": "parameter_template",
                           "pipelines": "pipeline"}
GROUP_OF = {kind: group for group, kind in GROUPS.items()}
LABELS = {"concrete_task": "Task", "view_task": "View", "parameter_template": "Template", "pipeline": "Pipeline"}
DOC_KEYS = ("kind", "name", "tags", "spec")
TASK_AT = re.compile(r"spec\.tasks\[(\d+)\]")  # a Usage's field path that is a pipeline task


@dataclass(frozen=True)
class Use:
    """Where a task or template is used: the store's Usage, and the pipeline task at that place (id and title)."""

    usage: Usage
    task_id: str = ""
    title: str = ""


@dataclass(frozen=True)
class Comparison:
    a: Document
    b: Document
    rows: list[Row]
    lines: list[str]  # the store's readable one-line-per-change summary (secrets hidden)
    secret_only: bool  # the specs differ only in hidden values


class Catalog:
    def __init__(self, uri: str | None, refresh_seconds: float = 30.0, create: bool = False) -> None:
        self.uri = uri
        self.create = create
        self._store: Store | None = None
        self._open = threading.Lock()
        self.index = CatalogIndex(self.store, refresh_seconds)

    def store(self) -> Store:
        if self._store is None:
            with self._open:
                if self._store is None:
                    self._store = open_store(self.uri, create=self.create)
        return self._store

    def close(self) -> None:
        with self.index.idle():  # a background build of the index may be reading the store: it ends first
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- reading -----------------------------------------------------------------------------------------------------

    def get(self, kind: Kind, name: str, version: int | str = "latest") -> Document:
        return self.store().get(kind, name, version)

    def find(self, kind: Kind, name: str) -> Document | None:
        try:
            return self.get(kind, name)
        except NotFoundError:
            return None

    def history(self, kind: Kind, name: str) -> list[Document]:
        return self.store().history(kind, name)

    def audit(self, kind: Kind, name: str) -> list[AuditEntry]:
        return self.store().audit(kind, name)

    def where_used(self, kind: Kind, name: str) -> list[Usage]:
        return [] if kind == "pipeline" else self.store().where_used(kind, name)

    def uses(self, kind: Kind, name: str, *, read_at_most: int = 50) -> list[Use]:
        """where_used with the pipeline task at each place; reads at most `read_at_most` pipeline versions (the
        other places keep their field path only)."""
        out: list[Use] = []
        pipelines: dict[tuple[str, int], Document | None] = {}
        for u in self.where_used(kind, name):
            found = TASK_AT.match(u.where)
            key = (u.pipeline, u.version)
            if found is None or (key not in pipelines and len(pipelines) >= read_at_most):
                out.append(Use(u))
                continue
            if key not in pipelines:
                try:
                    pipelines[key] = self.get("pipeline", u.pipeline, u.version)
                except NotFoundError:
                    pipelines[key] = None
            doc, at = pipelines[key], int(found.group(1))
            tasks = doc.spec.tasks if doc is not None and isinstance(doc.spec, PipelineSpec) else []
            out.append(Use(u, tasks[at].id, tasks[at].title) if at < len(tasks) else Use(u))
        return out

    @staticmethod
    def shown_spec(doc: Document) -> dict[str, Any]:
        """The spec as a page or the API shows it: JSON form, secret values hidden."""
        return hide_secrets(doc.spec.model_dump(mode="json"))

    def doc_yaml(self, doc: Document) -> str:
        return dump({"kind": doc.kind, "name": doc.name, "tags": list(doc.tags), "spec": self.shown_spec(doc)})

    def compare(self, kind: Kind, name: str, a: int | str, b: int | str) -> Comparison:
        da, db = self.get(kind, name, a), self.get(kind, name, b)
        ha, hb = self.doc_yaml(da), self.doc_yaml(db)
        hidden_a = da.model_copy(update={"spec": type(da.spec).model_validate(self.shown_spec(da))})
        hidden_b = db.model_copy(update={"spec": type(db.spec).model_validate(self.shown_spec(db))})
        return Comparison(da, db, side_by_side(ha, hb), spec_diff(hidden_a, hidden_b),
                          ha == hb and da.spec_hash != db.spec_hash)

    # -- building a document from what a user typed ------------------------------------------------------------------

    def build(self, kind: Kind, name: str, spec: dict[str, Any], tags: list[str], base: Document | None) -> Document:
        """The document to save: hidden values put back from `base`, validated. Raises ModelError by field.

        The stored values go into a copy: `spec` is what the user sent, which a refused save shows again."""
        spec = copy.deepcopy(spec)
        problems = restore_secrets(spec, base.spec.model_dump(mode="json") if base is not None else None)
        try:
            check_name(name)
        except ValueError as err:
            problems.append(("name", str(err)))
        try:
            doc = make(kind, name, spec, tags=tags)
        except ModelError as err:  # every problem at once: the name's and the spec's
            raise ModelError([*problems, *(i for i in err.issues if i not in problems)]) from None
        if problems:
            raise ModelError(problems)
        return doc

    # -- writing (access checked; the store does versions and concurrency) -------------------------------------------

    def save(self, user: User, doc: Document, *, comment: str, expected_version: int) -> Document:
        current = self.find(doc.kind, doc.name)
        access.check_save(user, current, doc)
        saved = self.store().save(doc, by=user.name, comment=comment, expected_version=expected_version)
        self.index.updated(doc.kind, doc.name)
        return saved

    def publish(self, user: User, kind: Kind, name: str, version: int | None, comment: str) -> Document:
        access.check(user, "publish", self.get(kind, name))
        doc = self.store().publish(kind, name, version, by=user.name, comment=comment)
        self.index.updated(kind, name)
        return doc

    def retire(self, user: User, kind: Kind, name: str, version: int | None, comment: str) -> Document:
        access.check(user, "publish", self.get(kind, name))
        doc = self.store().retire(kind, name, version, by=user.name, comment=comment)
        self.index.updated(kind, name)
        return doc

    def act(self, user: User, action: str, kind: Kind, name: str, version: int | None, comment: str) -> Document:
        """publish | retire | rollback (which needs a version)."""
        if action == "publish":
            return self.publish(user, kind, name, version, comment)
        if action == "retire":
            return self.retire(user, kind, name, version, comment)
        if version is None:
            raise ValueError("Roll back to which version? Give its number.")
        return self.rollback(user, kind, name, version, comment)

    def rollback(self, user: User, kind: Kind, name: str, version: int, comment: str) -> Document:
        current = self.get(kind, name)
        access.check(user, "publish", current)
        access.check(user, "edit", self.get(kind, name, version))  # its old spec comes back: its team too
        doc = self.store().rollback(kind, name, version, by=user.name, comment=comment)
        self.index.updated(kind, name)
        return doc

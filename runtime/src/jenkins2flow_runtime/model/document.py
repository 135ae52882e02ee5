"""The document envelope, its construction (`make`), loading with migrations (`from_dict`) and JSON Schema."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator

from jenkins2flow_runtime.model.errors import ModelError, from_validation_error
from jenkins2flow_runtime.model.migrations import SCHEMA_VERSION, migrate
from jenkins2flow_runtime.model.specs import (
    KINDS,
    SPEC_TYPES,
    ConcreteTaskSpec,
    Kind,
    ParameterTemplateSpec,
    PipelineSpec,
    Status,
    Strict,
    ViewTaskSpec,
    check_name,
)

AnySpec = ConcreteTaskSpec | ViewTaskSpec | ParameterTemplateSpec | PipelineSpec


def spec_hash(spec: BaseModel | dict[str, Any]) -> str:
    """The sha256 of the spec's canonical JSON (sorted keys, no spaces, fields at their default left out, so that
    adding a field with a default to the model does not change the hash of existing specs)."""
    digest = hashlib.sha256()
    for text in _canonical(spec):
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


TASK_LISTS = ("tasks", "draft_tasks")  # a pipeline's task lists: their JSON is made a task at a time


def _canonical(spec: BaseModel | dict[str, Any]) -> Iterator[str]:
    """The canonical JSON of a spec, in parts. A pipeline's tasks are dumped one at a time (the same text as the
    whole dumped at once), so that a pipeline of thousands of tasks is never held whole as JSON data."""
    if not isinstance(spec, PipelineSpec):
        yield _json(spec.model_dump(mode="json", exclude_defaults=True) if isinstance(spec, BaseModel) else spec)
        return
    rest = spec.model_dump(mode="json", exclude_defaults=True, exclude=set(TASK_LISTS))
    lists = {name: getattr(spec, name) for name in TASK_LISTS if _list_default(name) != getattr(spec, name)}
    for i, key in enumerate(sorted([*rest, *lists])):
        yield ("{" if i == 0 else ",") + _json(key) + ":"
        if key not in lists:
            yield _json(rest[key])
            continue
        yield "["
        for j, task in enumerate(lists[key]):
            yield ("," if j else "") + _json(task.model_dump(mode="json", exclude_defaults=True))
        yield "]"
    yield "}" if rest or lists else "{}"


@functools.cache
def _list_default(name: str) -> list[Any] | None:
    """A pipeline task list's default (None: the field is required). Computed once: pydantic inspects the default
    factory's signature at each call."""
    field = PipelineSpec.model_fields[name]
    return None if field.is_required() else field.get_default(call_default_factory=True)


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Envelope(Strict):
    schema_version: int = Field(
        default=SCHEMA_VERSION, description="The layout version of the document (migrated on load).")
    kind: Kind = Field(description="concrete_task, view_task, parameter_template or pipeline.")
    name: str = Field(description="The document's unique name within its kind: letters, digits, '_', '.', '-'.")
    version: int = Field(
        default=0, description="Its version number, given by the store (1, 2, 3...); versions never change.")
    spec_hash: str = Field(default="", description="The sha256 of the spec: an unchanged spec makes no new version.")
    status: Status = Field(default="draft", description="draft, published (the version Airflow runs) or retired.")
    tags: list[str] = Field(default_factory=list, description="Labels on the document, for search and filters.")
    created_at: datetime | None = Field(default=None, description="When this version was saved.")
    created_by: str = Field(default="", description="Who saved this version.")
    comment: str = Field(default="", description="Why this version was saved (the audit trail's comment).")

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return check_name(v)


class Document(Envelope):
    """A stored, versioned catalog document."""

    spec: AnySpec

    def ref(self) -> str:
        return f"{self.kind}/{self.name}@{self.version}"


def _kind(kind: Any) -> Kind:
    if kind not in SPEC_TYPES:
        raise ModelError([("kind", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")])
    return kind  # type: ignore[no-any-return]


def _spec(kind: Kind, spec: dict[str, Any] | BaseModel) -> AnySpec:
    spec_type = SPEC_TYPES[kind]
    if isinstance(spec, spec_type):
        return spec  # type: ignore[return-value]
    if isinstance(spec, BaseModel):
        spec = spec.model_dump()
    if not isinstance(spec, dict):
        raise ModelError([("spec", f"spec must be a mapping, got {type(spec).__name__}")])
    try:
        return spec_type.model_validate(spec)  # type: ignore[return-value]
    except ValidationError as err:
        raise from_validation_error(err, ("spec",)) from None


def _envelope(doc: Document | None, data: dict[str, Any]) -> Document:
    try:
        return Document.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err) from None


def make(kind: Kind, name: str, spec: dict[str, Any] | BaseModel, **envelope: Any) -> Document:
    """Build a Document, validating `spec` against the spec type of `kind`. Raises ModelError naming field paths."""
    parsed = _spec(_kind(kind), spec)
    envelope.pop("spec_hash", None)
    return _envelope(None, {"kind": kind, "name": name, "spec": parsed, "spec_hash": spec_hash(parsed), **envelope})


def from_dict(data: dict[str, Any]) -> Document:
    """Load a stored or exported document: migrate it to SCHEMA_VERSION, then validate its spec by its kind."""
    if not isinstance(data, dict):
        raise ModelError([("", f"a document must be a mapping, got {type(data).__name__}")])
    try:
        data, migrated = migrate(dict(data))
    except ValueError as err:
        raise ModelError([("schema_version", str(err))]) from None
    kind = _kind(data.get("kind"))
    if "spec" not in data:
        raise ModelError([("spec", "required field is missing")])
    parsed = _spec(kind, data["spec"])
    data["spec"] = parsed
    if migrated or not data.get("spec_hash"):
        data["spec_hash"] = spec_hash(parsed)
    return _envelope(None, data)


def to_dict(doc: Document) -> dict[str, Any]:
    """The JSON-ready form of a document (what export writes and `from_dict` reads back)."""
    return doc.model_dump(mode="json")


def _document_models() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for kind, spec_type in SPEC_TYPES.items():
        title = "".join(p.title() for p in kind.split("_")) + "Document"
        spec = Field(description=f"The {kind.replace('_', ' ')} itself: what is versioned and validated.")
        out[kind] = create_model(title, __base__=Envelope, spec=(spec_type, spec))
    return out


DOCUMENT_MODELS = _document_models()


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a whole document of `kind` (envelope + spec)."""
    schema = DOCUMENT_MODELS[_kind(kind)].model_json_schema()
    schema["properties"]["kind"] = {"const": kind, "title": "Kind", "type": "string",
                                    "description": schema["properties"]["kind"].get("description", "")}
    schema["$id"] = f"https://jenkins2flow.dev/schema/v{SCHEMA_VERSION}/{kind}.json"
    return schema

"""Catalog documents: concrete tasks, view tasks, parameter templates and pipelines.

A document is an envelope (kind, name, version, status, audit fields) around a `spec`. The spec is what is
versioned: its canonical JSON hash (`spec_hash`) decides whether a save makes a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")

Kind = Literal["concrete_task", "view_task", "parameter_template", "pipeline"]
Status = Literal["draft", "published", "retired"]
ParamType = Literal["string", "text", "boolean", "choice", "password", "integer", "number"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamSpec(Strict):
    name: str
    type: ParamType = "string"
    default: Any = None
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    description: str = ""


class SecretRef(Strict):
    """A secret by reference: the env var it fills and the Airflow connection or variable it comes from."""

    env: str
    source: Literal["connection", "variable"] = "variable"
    id: str
    field: str = ""  # for connections: login, password, host, extra key...


class ConcreteTaskSpec(Strict):
    type: Literal["python", "shell", "container"]
    callable: str = ""  # python: "pkg.module:function"
    command: str = ""  # shell: the script; container: the command run in the image
    shell: Literal["sh", "bat", "powershell"] = "sh"
    image: str = ""
    cpu: int = 256
    memory: int = 512
    parameters: list[ParamSpec] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[SecretRef] = Field(default_factory=list)
    retries: int = 0
    retry_delay_seconds: int = 60
    timeout_seconds: int | None = None
    description: str = ""


class ViewTaskSpec(Strict):
    sql: str
    connection: str = "default"
    materialize: Literal["query", "view", "table", "insert"] = "query"
    target: str = ""
    capture: bool = False
    parameters: list[ParamSpec] = Field(default_factory=list)
    description: str = ""


class ParameterTemplateSpec(Strict):
    parameters: list[ParamSpec]
    description: str = ""


class Ref(Strict):
    """A pinned reference to another document."""

    kind: Kind
    name: str
    version: int


class Schedule(Strict):
    cron: list[str] = Field(default_factory=list)  # resolved five-field expressions, H replaced
    timezone: str = "UTC"
    jenkins_spec: str = ""  # the original Jenkins spec text
    and_dom_dow: bool = False  # Jenkins ANDs day-of-month and day-of-week: needs a timetable


class PipelineParameters(Strict):
    templates: list[Ref] = Field(default_factory=list)
    overrides: list[ParamSpec] = Field(default_factory=list)


class PipelineTask(Strict):
    id: str
    uses: Ref
    bindings: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    trigger_rule: str = "all_success"
    retries: int | None = None
    timeout_seconds: int | None = None
    executor: Literal["local", "fargate"] = "local"
    queue: str = ""


class Notification(Strict):
    on: Literal["success", "failure", "retry", "always"] = "failure"
    channel: Literal["email", "slack", "other"] = "email"
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""


class Provenance(Strict):
    job: str = ""
    source: str = ""
    config_sha256: str = ""
    diagnostics: list[str] = Field(default_factory=list)


class PipelineSpec(Strict):
    description: str = ""
    schedule: Schedule | None = None
    parameters: PipelineParameters = Field(default_factory=PipelineParameters)
    tasks: list[PipelineTask]
    notifications: list[Notification] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    team: str = ""
    access_control: dict[str, list[str]] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    max_active_runs: int | None = None
    shadow_outputs: list[dict[str, Any]] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)


SPEC_TYPES: dict[str, type[Strict]] = {
    "concrete_task": ConcreteTaskSpec,
    "view_task": ViewTaskSpec,
    "parameter_template": ParameterTemplateSpec,
    "pipeline": PipelineSpec,
}


def spec_hash(spec: BaseModel | dict[str, Any]) -> str:
    """The sha256 of the spec's canonical JSON (sorted keys, no spaces)."""
    data = spec.model_dump(mode="json") if isinstance(spec, BaseModel) else spec
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Document(Strict):
    """A stored, versioned catalog document."""

    schema_version: int = SCHEMA_VERSION
    kind: Kind
    name: str
    version: int = 0
    spec: ConcreteTaskSpec | ViewTaskSpec | ParameterTemplateSpec | PipelineSpec
    spec_hash: str = ""
    status: Status = "draft"
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    created_by: str = ""
    comment: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(f"name {v!r} must match {NAME_RE.pattern}")
        return v


def make(kind: Kind, name: str, spec: dict[str, Any] | BaseModel, **envelope: Any) -> Document:
    """Build a Document, validating `spec` against the spec type of `kind`."""
    spec_type = SPEC_TYPES[kind]
    parsed = spec if isinstance(spec, spec_type) else spec_type.model_validate(spec)
    return Document(kind=kind, name=name, spec=parsed, spec_hash=spec_hash(parsed), **envelope)


def from_dict(data: dict[str, Any]) -> Document:
    """Load a stored document, validating its spec by its kind."""
    data = dict(data)
    kind = data["kind"]
    data["spec"] = SPEC_TYPES[kind].model_validate(data["spec"])
    return Document.model_validate(data)

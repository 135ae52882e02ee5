"""Catalog documents: concrete tasks, view tasks, parameter templates and pipelines.

A document is an envelope (kind, name, version, status, audit fields) around a `spec`. The spec is what is
versioned: its canonical JSON hash (`spec_hash`) decides whether a save makes a new version.

Modules: `specs` (the four spec types and their rules), `cron`, `errors` (field paths), `migrations`
(schema_version upgrades applied on load), `document` (envelope, make, from_dict, JSON Schema).
"""

from __future__ import annotations

from jenkins2flow_runtime.model.document import (
    DOCUMENT_MODELS,
    AnySpec,
    Document,
    Envelope,
    from_dict,
    json_schema,
    make,
    spec_hash,
    to_dict,
)
from jenkins2flow_runtime.model.errors import ModelError
from jenkins2flow_runtime.model.migrations import MIGRATIONS, SCHEMA_VERSION, migrate, migration
from jenkins2flow_runtime.model.specs import (
    KINDS,
    NAME_RE,
    RESERVED_TASK_IDS,
    RESERVED_TASK_PREFIX,
    SPEC_TYPES,
    ConcreteTaskSpec,
    Deadline,
    JenkinsFallback,
    Kind,
    Notification,
    ParameterTemplateSpec,
    ParamSpec,
    ParamType,
    PipelineParameters,
    PipelineSpec,
    PipelineTask,
    Provenance,
    Ref,
    Schedule,
    SecretRef,
    Status,
    Strict,
    ViewTaskSpec,
    is_reserved_task_id,
)

# The names for the four kinds.
ConcreteTask = ConcreteTaskSpec
ViewTask = ViewTaskSpec
ParameterTemplate = ParameterTemplateSpec
Pipeline = PipelineSpec

__all__ = [
    "DOCUMENT_MODELS", "KINDS", "MIGRATIONS", "NAME_RE", "RESERVED_TASK_IDS", "RESERVED_TASK_PREFIX",
    "SCHEMA_VERSION", "SPEC_TYPES", "AnySpec", "ConcreteTask", "ConcreteTaskSpec", "Deadline", "Document",
    "Envelope", "JenkinsFallback", "Kind", "ModelError", "Notification", "ParamSpec", "ParamType", "ParameterTemplate",
    "ParameterTemplateSpec", "Pipeline", "PipelineParameters", "PipelineSpec", "PipelineTask", "Provenance", "Ref",
    "Schedule", "SecretRef", "Status", "Strict", "ViewTask", "ViewTaskSpec", "from_dict", "is_reserved_task_id",
    "json_schema", "make", "migrate", "migration", "spec_hash", "to_dict",
]

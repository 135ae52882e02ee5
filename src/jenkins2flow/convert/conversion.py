"""The result of converting one job: catalog documents, diagnostics and a status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from jenkins2flow.ir import Diagnostic
from jenkins2flow_runtime.model import Document, PipelineSpec

Status = Literal["converted", "partial", "unsupported", "failed"]


@dataclass
class Conversion:
    job: str
    pipeline_name: str
    status: Status = "converted"
    templates: list[Document] = field(default_factory=list)
    tasks: list[Document] = field(default_factory=list)
    pipeline: PipelineSpec | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

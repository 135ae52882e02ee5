"""The result of converting one job: catalog documents, the coverage ledger, diagnostics and a status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from jenkins2flow_runtime.model import Document, PipelineSpec

from jenkins2flow.ir import Diagnostic, Span

# converted: every element faithful; partial: runnable, every approximation listed with its place; jenkins_only: one
# task triggers the whole Jenkins job (the converted draft kept for review); see docs/conversion-status.md
Status = Literal["converted", "partial", "jenkins_only", "unsupported", "failed"]
Outcome = Literal["mapped", "waived", "approximated", "placeholder"]
FALLBACK_TASK = "jenkins.run-original-job"  # the one task of a jenkins_only pipeline: triggers the whole Jenkins job
NOT_CONVERTED_TASK = "jenkins.not-converted"  # in a draft, an element that could not be converted: fails loudly


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What became of one element (step, plugin, option, trigger...): mapped (faithful), waived (a rule a user can
    read says why it needs nothing in Airflow), approximated (runnable, but not exactly what Jenkins does: the job is
    partial) or placeholder (not convertible)."""

    element: str  # "step sh", "publisher hudson.tasks.Mailer", "option timestamps"
    outcome: Outcome
    span: Span
    reason: str = ""
    key: str = ""  # the Jenkins id: step name or plugin class

    def to_dict(self) -> dict[str, Any]:
        return {"element": self.element, "outcome": self.outcome, "at": str(self.span), "reason": self.reason,
                "key": self.key}


@dataclass(frozen=True, slots=True)
class Finding:
    """A silent error the lint (convert.lint) found in a converted task: `kind` (unbound, groovy, gate, fallback),
    the task, the place of the element that made the task, and what is wrong."""

    kind: str
    task: str
    span: Span
    message: str

    def __str__(self) -> str:
        return f"{self.span}: task {self.task!r}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "task": self.task, "at": str(self.span), "message": self.message}


@dataclass(frozen=True, slots=True)
class CredentialUse:
    credentials_id: str
    job: str
    span: Span
    binding: str  # string, usernamePassword, file, sshUserPrivateKey, environment...
    env: tuple[str, ...]
    source: str  # connection | variable
    airflow_id: str
    kind: str = ""  # environment credentials(): the credential's kind as its store says, "unknown" when none does


@dataclass
class Conversion:
    job: str
    pipeline_name: str
    status: Status = "converted"
    templates: list[Document] = field(default_factory=list)
    tasks: list[Document] = field(default_factory=list)
    pipeline: PipelineSpec | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    credentials: list[CredentialUse] = field(default_factory=list)
    pools: dict[str, int | None] = field(default_factory=dict)  # Airflow pool -> its slots (None: not known)
    kind: str = ""
    source: str = ""
    classification: str = ""  # data | cicd
    class_reasons: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)  # recognized invocations: sql, spark, dbt, python...
    reasons: list[str] = field(default_factory=list)  # why the status is what it is
    lint: list[Finding] = field(default_factory=list)  # convert.lint: silent errors found in the tasks

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def jenkins_only(self) -> bool:
        """The pipeline runs the whole Jenkins job (one task): nothing of the job's work moved to Airflow yet."""
        return self.status == "jenkins_only"

    @property
    def placeholders(self) -> list[LedgerEntry]:
        return [e for e in self.ledger if e.outcome == "placeholder"]

    @property
    def approximations(self) -> list[LedgerEntry]:
        return [e for e in self.ledger if e.outcome == "approximated"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warnings that are reasons of their own (a job with one is at best `partial`): every warning
        diagnostic but the lint's findings and the notes placeholders write (both listed as themselves)."""
        notes = {(f"{e.element}: {e.reason}", e.span) for e in self.placeholders}
        return [d for d in self.diagnostics if d.level == "warning" and not d.code.startswith("lint-")
                and (d.message, d.span) not in notes]

    def summary(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "pipeline": self.pipeline_name,
            "kind": self.kind,
            "status": self.status,
            "reasons": self.reasons,
            "classification": self.classification,
            "classification_reasons": self.class_reasons,
            "tasks": [t.name for t in self.tasks],
            "templates": [t.name for t in self.templates],
            "ledger": [e.to_dict() for e in self.ledger],
            "lint": [f.to_dict() for f in self.lint],
            "diagnostics": [{"level": d.level, "message": d.message, "at": str(d.span)} for d in self.diagnostics],
        }

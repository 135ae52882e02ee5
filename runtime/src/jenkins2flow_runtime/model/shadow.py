"""The schema of a pipeline's `shadow_outputs`: what a shadow run compares between Jenkins and Airflow.

`PipelineSpec.shadow_outputs` stays a list of plain dicts (so old documents load unchanged); `shadow_config()`
validates them into typed entries. One entry per compared output, keyed by `kind`:

| kind     | compares                                                     | main fields                          |
|----------|--------------------------------------------------------------|--------------------------------------|
| status   | run result and stage <-> task statuses (always compared)     | stages (stage name -> task id)       |
| csv      | a CSV artifact row by row, matched on `keys`                 | path (glob), keys, tolerances        |
| json     | a JSON artifact structurally (deepdiff)                      | path (glob)                          |
| text     | a text artifact line by line                                 | path (glob)                          |
| sql      | a query snapshot on a SQLAlchemy URL, as a keyed table       | query, url or baseline_url +        |
|          |                                                              | candidate_url, keys                  |
| s3       | an S3 prefix: object listing and content hashes              | prefix or baseline_prefix +         |
|          |                                                              | candidate_prefix, endpoint_url       |
| log      | regex markers found in the console log / task logs           | markers                              |
| artifacts| every archived file matching globs, each by its extension    | path (globs, comma-separated)        |
| defaults | not an output: normalizers applied to every other entry      | normalizers                          |

Every entry may carry `normalizers`, merged over the `defaults` entry's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from jenkins2flow_runtime.antglob import split_patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    """Two numbers are equal when |a - b| <= abs + rel * max(|a|, |b|)."""

    abs: float = Field(0.0, ge=0)
    rel: float = Field(0.0, ge=0)


class Replace(_Strict):
    pattern: str
    replacement: str = Field("<X>", alias="with")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Normalizers(_Strict):
    """Noise removed from both sides before comparing."""

    timestamps: bool = False  # ISO-8601 / common date-times and HH:MM:SS times -> <TS>
    build_numbers: bool = False  # the Jenkins build number / tag and the Airflow run id -> <RUN>
    paths: bool = False  # both sides' workspace roots -> <WS>, other absolute paths -> <PATH>
    replace: list[Replace] = Field(default_factory=list)  # extra regex substitutions, in order
    ignore_fields: list[str] = Field(default_factory=list)  # CSV/SQL columns; JSON keys or deepdiff path regexes
    float_tolerance: Tolerance | None = None  # for every numeric value without a column tolerance
    ignore_order: bool = False  # JSON lists, text lines and log markers compared as multisets
    strip: bool = True  # strip surrounding whitespace of values and lines
    case_insensitive: bool = False

    def merged(self, over: Normalizers) -> Normalizers:
        """`self` (defaults) with every field `over` sets explicitly."""
        data = self.model_dump(by_alias=True)
        data.update(over.model_dump(by_alias=True, exclude_unset=True))
        return Normalizers.model_validate(data)


class _Output(_Strict):
    name: str = ""
    normalizers: Normalizers = Field(default_factory=Normalizers)
    required: bool = True  # a missing output on both sides is an error (False: skipped)

    @property
    def label(self) -> str:
        return self.name or self.default_name()

    def default_name(self) -> str:
        return str(getattr(self, "kind", "output"))


class StatusOutput(_Output):
    kind: Literal["status"]
    stages: dict[str, str] = Field(default_factory=dict)  # Jenkins stage name -> Airflow task id (else derived)


class _FileOutput(_Output):
    path: str  # relative to the archive (Jenkins) and the run workspace (Airflow); a glob may match several

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        if not v or v.startswith("/") or ".." in v.split("/"):
            raise ValueError(f"path {v!r} must be relative and stay inside the workspace")
        return v

    def default_name(self) -> str:
        return self.path


class CsvOutput(_FileOutput):
    kind: Literal["csv"]
    keys: list[str] = Field(default_factory=list)  # none: rows are matched whole (multiset), or by number if ordered
    tolerances: dict[str, Tolerance] = Field(default_factory=dict)
    delimiter: str = Field(",", min_length=1, max_length=1)
    ordered: bool = False  # without keys: compare row n with row n


class JsonOutput(_FileOutput):
    kind: Literal["json"]


class TextOutput(_FileOutput):
    kind: Literal["text"]


class SqlOutput(_Output):
    kind: Literal["sql"]
    query: str
    url: str = ""  # both sides, unless baseline_url / candidate_url are given
    baseline_url: str = ""
    candidate_url: str = ""
    keys: list[str] = Field(default_factory=list)
    tolerances: dict[str, Tolerance] = Field(default_factory=dict)
    ordered: bool = False

    def default_name(self) -> str:
        return "sql: " + " ".join(self.query.split())[:60]


class S3Output(_Output):
    kind: Literal["s3"]
    prefix: str = ""  # s3://bucket/prefix on both sides unless baseline_prefix / candidate_prefix are given
    baseline_prefix: str = ""
    candidate_prefix: str = ""
    endpoint_url: str = ""

    def default_name(self) -> str:
        return self.prefix or self.baseline_prefix


class ArtifactsOutput(_Output):
    """Every archived file matching `path` (Ant-style globs, comma-separated as in `archiveArtifacts`), each compared
    by its extension (csv, json, else text). Written by the converter for archiveArtifacts, junit and stash."""

    kind: Literal["artifacts"]
    path: str
    source: str = ""  # the Jenkins step or publisher it came from
    task: str = ""  # the pipeline task after which the files exist

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        for pattern in split_patterns(v):
            if pattern.startswith("/") or ".." in pattern.split("/"):
                raise ValueError(f"pattern {pattern!r} must be relative and stay inside the workspace")
        if not split_patterns(v):
            raise ValueError("path must name at least one pattern")
        return v

    def patterns(self) -> list[str]:
        return split_patterns(self.path)

    def default_name(self) -> str:
        return f"{self.source or 'artifacts'}: {self.path}"


class LogOutput(_Output):
    kind: Literal["log"]
    markers: list[str] = Field(min_length=1)  # regexes; each match (its groups, if any) is compared in order

    def default_name(self) -> str:
        return "log markers"


class DefaultsEntry(_Strict):
    kind: Literal["defaults"]
    normalizers: Normalizers = Field(default_factory=Normalizers)


ShadowOutput = Annotated[
    StatusOutput | CsvOutput | JsonOutput | TextOutput | SqlOutput | S3Output | LogOutput | ArtifactsOutput
    | DefaultsEntry,
    Field(discriminator="kind"),
]
OUTPUT_KINDS = ("status", "csv", "json", "text", "sql", "s3", "log", "artifacts", "defaults")
_ADAPTER: TypeAdapter[list[Any]] = TypeAdapter(list[ShadowOutput])


class ShadowConfig(_Strict):
    """The validated shadow declaration of one pipeline: outputs (status first) and default normalizers."""

    outputs: list[Any]
    defaults: Normalizers = Field(default_factory=Normalizers)

    def normalizers_for(self, output: Any) -> Normalizers:
        return self.defaults.merged(output.normalizers)


def shadow_config(entries: list[dict[str, Any]]) -> ShadowConfig:
    """Validate a pipeline's `shadow_outputs`; a `status` entry is added when none is declared."""
    parsed = _ADAPTER.validate_python(entries)
    defaults = Normalizers()
    outputs: list[Any] = []
    for entry in parsed:
        if isinstance(entry, DefaultsEntry):
            defaults = defaults.merged(entry.normalizers)
        else:
            outputs.append(entry)
    if not any(isinstance(o, StatusOutput) for o in outputs):
        outputs.insert(0, StatusOutput(kind="status"))
    return ShadowConfig(outputs=outputs, defaults=defaults)


__all__ = [
    "ArtifactsOutput",
    "CsvOutput", "DefaultsEntry", "JsonOutput", "LogOutput", "Normalizers", "OUTPUT_KINDS", "Replace", "S3Output",
    "ShadowConfig", "ShadowOutput", "SqlOutput", "StatusOutput", "TextOutput", "Tolerance", "shadow_config",
]

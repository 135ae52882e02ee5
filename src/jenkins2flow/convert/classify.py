"""Data pipeline (migrate to Airflow) or CI/CD (stays on Jenkins), from signals in the job, with reasons.

Overrides come from a YAML file (`--classify FILE`): `{job full name or glob: data | cicd}`.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from jenkins2flow.errors import UsageError
from jenkins2flow.ir import Job

if TYPE_CHECKING:
    from jenkins2flow.convert.conversion import Conversion

# (signal, weight, pattern, needles) searched, case-insensitive, in the job's commands and script. Every match of a
# pattern begins with one of its needles (lower case). So in an ASCII text (`ascii_view`), the pattern is tried,
# case-sensitive, only where a needle stands, found by `str.find`: the same answer as a case-insensitive search of the
# pattern (Signal.found; tests/convert/test_classify.py), in a fraction of the time on long scripts.
CICD = [
    ("docker build/push", 3, r"\bdocker\s+(build|push)\b|\bdocker\.build\(|\bbuildx\b", ("docker", "buildx")),
    ("mvn deploy/release", 3, r"\bmvn\b[^\n]*\b(deploy|release:)", ("mvn",)),
    ("kubectl", 3, r"\bkubectl\b", ("kubectl",)),
    ("helm", 3, r"\bhelm\s+(upgrade|install|package|push)\b", ("helm",)),
    ("npm publish", 3, r"\bnpm\s+publish\b", ("npm",)),
    ("git tag/push", 2, r"\bgit\s+(tag|push)\b", ("git",)),
    ("build tools", 1, r"\b(mvn|gradle|gradlew|npm|yarn|make|cmake|msbuild|xcodebuild|ant|go\s+build|cargo)\b",
     ("mvn", "gradle", "npm", "yarn", "make", "cmake", "msbuild", "xcodebuild", "ant", "go", "cargo")),
    ("unit tests", 1, r"\b(pytest|junit|jest|mocha|test)\b", ("pytest", "junit", "jest", "mocha", "test")),
    ("deployment", 2, r"\b(deploy|terraform|ansible-playbook|cloudformation)\b",
     ("deploy", "terraform", "ansible-playbook", "cloudformation")),
]
DATA = [
    ("SQL", 3, r"\b(select\s+[\w*]|insert\s+into|create\s+table|merge\s+into|psql|sqlplus|snowsql|bq\s+query)\b",
     ("select", "insert", "create", "merge", "psql", "sqlplus", "snowsql", "bq")),
    ("spark", 3, r"\bspark-submit\b|\bpyspark\b", ("spark-submit", "pyspark")),
    ("dbt", 3, r"\bdbt\s+(run|build|seed|snapshot|test)\b", ("dbt",)),
    ("etl words", 2, r"\b(etl|elt|extract|ingest|warehouse|datamart|data[-_ ]?lake|rollup|backfill|reporting)\b",
     ("etl", "elt", "extract", "ingest", "warehouse", "datamart", "data", "rollup", "backfill", "reporting")),
    ("data paths", 2, r"(s3://|gs://|hdfs://|abfss://|\.csv\b|\.parquet\b|\.avro\b)",
     ("s3://", "gs://", "hdfs://", "abfss://", ".csv", ".parquet", ".avro")),
    ("python script", 1, r"\bpython3?\s+[\w/.-]+\.py\b", ("python",)),
]

@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: int
    pattern: str
    needles: tuple[str, ...]
    anycase: re.Pattern[str] = field(init=False)  # the pattern, case-insensitive: for text that is not ASCII
    exact: re.Pattern[str] = field(init=False)  # the pattern on lower-cased ASCII text

    def __post_init__(self) -> None:
        object.__setattr__(self, "anycase", re.compile(self.pattern, re.I))
        object.__setattr__(self, "exact", re.compile(self.pattern))

    def found(self, text: str, low: str | None) -> bool:
        """Whether the pattern matches `text` (case-insensitive); `low`: `ascii_view(text)`."""
        if low is None:
            return self.anycase.search(text) is not None
        for needle in self.needles:
            at = low.find(needle)
            while at >= 0:
                if self.exact.match(low, at):
                    return True
                at = low.find(needle, at + 1)
        return False


_CICD = [Signal(*row) for row in CICD]
_DATA = [Signal(*row) for row in DATA]
# Case-insensitive matching folds four non-ASCII letters into ASCII ones (Python's re: İ ı -> i, ſ -> s, K -> k);
# any other non-ASCII character matches none of the patterns' letters, only \w, \s or a negated class. So a text
# without those four is searched as ASCII with each other non-ASCII character replaced by one that \w, \s and every
# class of the patterns take the same way, and that no pattern or needle holds: WORD, SPACE or OTHER.
FOLDED = frozenset("\u0130\u0131\u017f\u212a")
WORD, SPACE, OTHER = "z", " ", "#"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
assert not any(c in "".join((p, *n)) for _, _, p, n in (*CICD, *DATA) for c in (WORD, OTHER))


def ascii_view(text: str) -> str | None:
    """`text` lower-cased as ASCII for `Signal.found`, or None when it holds a letter re.I folds into ASCII."""
    if text.isascii():
        return text.lower()
    if FOLDED.intersection(text):
        return None
    return _NON_ASCII.sub(_stand_in, text).lower()


@functools.lru_cache(maxsize=4096)
def _stand_in_char(c: str) -> str:
    return WORD if c.isalnum() or c == "_" else SPACE if c.isspace() else OTHER


def _stand_in(m: re.Match[str]) -> str:
    return _stand_in_char(m.group())


def load_overrides(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read the classification overrides ({exc}).") from None
    if not isinstance(data, dict) or any(v not in ("data", "cicd") for v in data.values()):
        raise UsageError(f"{path}: overrides map job names (or globs) to 'data' or 'cicd'.")
    return {str(k): str(v) for k, v in data.items()}


def job_text(job: Job, conv: Conversion) -> str:
    parts = [job.full_name, job.description, job.script]
    for t in conv.tasks:
        spec = t.spec
        parts.append(getattr(spec, "command", "") or getattr(spec, "sql", ""))
    for pl in (*job.builders, *job.prebuilders, *job.postbuilders):
        parts += [str(v) for _, v in pl.fields if isinstance(v, str)]
    return "\n".join(p for p in parts if p)


def classify(job: Job, conv: Conversion, overrides: dict[str, str]) -> tuple[str, list[str]]:
    for pattern, value in overrides.items():
        if job.full_name == pattern or fnmatch.fnmatchcase(job.full_name, pattern):
            return value, [f"override {pattern!r} in the classification file"]
    body = job_text(job, conv)
    low = ascii_view(body)
    data, cicd, reasons = 0, 0, []
    for signal in _DATA:
        if signal.found(body, low):
            data += signal.weight
            reasons.append(f"data: {signal.name}")
    for signal in _CICD:
        if signal.found(body, low):
            cicd += signal.weight
            reasons.append(f"ci/cd: {signal.name}")
    if any(t.kind == "cron" for t in job.triggers):
        data += 2
        reasons.append("data: cron schedule")
    if any(t.kind in ("pollscm", "github-push", "gitlab-push") for t in job.triggers) or job.kind == "multibranch":
        cicd += 2
        reasons.append("ci/cd: triggered by source changes")
    for s in conv.signals:
        if s in ("sql", "spark", "dbt"):
            data += 1
    label = "data" if data > cicd else "cicd"
    reasons.insert(0, f"score data {data} vs ci/cd {cicd}")
    return label, reasons

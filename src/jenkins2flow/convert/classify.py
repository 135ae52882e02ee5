"""Data pipeline (migrate to Airflow) or CI/CD (stays on Jenkins), from signals in the job, with reasons.

Overrides come from a YAML file (`--classify FILE`): `{job full name or glob: data | cicd}`.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from jenkins2flow.errors import UsageError
from jenkins2flow.ir import Job

if TYPE_CHECKING:
    from jenkins2flow.convert.conversion import Conversion

# (signal, weight, pattern, needles) searched in the job's commands and script; the needles are words the pattern
# cannot match without (lower case): in an ASCII text that holds none of them, the pattern is not searched (same
# result; a substring test costs a fraction of a case-insensitive regex search)
CICD = [
    ("docker build/push", 3, r"\bdocker\s+(build|push)\b|\bdocker\.build\(|\bbuildx\b", ("docker", "buildx")),
    ("mvn deploy/release", 3, r"\bmvn\b[^\n]*\b(deploy|release:)", ("mvn",)),
    ("kubectl", 3, r"\bkubectl\b", ("kubectl",)),
    ("helm", 3, r"\bhelm\s+(upgrade|install|package|push)\b", ("helm",)),
    ("npm publish", 3, r"\bnpm\s+publish\b", ("npm",)),
    ("git tag/push", 2, r"\bgit\s+(tag|push)\b", ("git",)),
    ("build tools", 1, r"\b(mvn|gradle|gradlew|npm|yarn|make|cmake|msbuild|xcodebuild|ant|go\s+build|cargo)\b",
     ("mvn", "gradle", "npm", "yarn", "make", "msbuild", "xcodebuild", "ant", "go", "cargo")),
    ("unit tests", 1, r"\b(pytest|junit|jest|mocha|test)\b", ("test", "junit", "jest", "mocha")),
    ("deployment", 2, r"\b(deploy|terraform|ansible-playbook|cloudformation)\b",
     ("deploy", "terraform", "ansible-playbook", "cloudformation")),
]
DATA = [
    ("SQL", 3, r"\b(select\s+[\w*]|insert\s+into|create\s+table|merge\s+into|psql|sqlplus|snowsql|bq\s+query)\b",
     ("select", "insert", "create", "merge", "psql", "sqlplus", "snowsql", "bq")),
    ("spark", 3, r"\bspark-submit\b|\bpyspark\b", ("spark",)),
    ("dbt", 3, r"\bdbt\s+(run|build|seed|snapshot|test)\b", ("dbt",)),
    ("etl words", 2, r"\b(etl|elt|extract|ingest|warehouse|datamart|data[-_ ]?lake|rollup|backfill|reporting)\b",
     ("etl", "elt", "extract", "ingest", "warehouse", "datamart", "data", "rollup", "backfill", "reporting")),
    ("data paths", 2, r"(s3://|gs://|hdfs://|abfss://|\.csv\b|\.parquet\b|\.avro\b)",
     ("://", ".csv", ".parquet", ".avro")),
    ("python script", 1, r"\bpython3?\s+[\w/.-]+\.py\b", ("python",)),
]
_CICD = [(n, w, re.compile(p, re.I), needles) for n, w, p, needles in CICD]
_DATA = [(n, w, re.compile(p, re.I), needles) for n, w, p, needles in DATA]


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
    low = body.lower() if body.isascii() else None  # re.I also folds a few non-ASCII letters: no shortcut then
    data, cicd, reasons = 0, 0, []
    for name, weight, rx, needles in _DATA:
        if (low is None or any(n in low for n in needles)) and rx.search(body):
            data += weight
            reasons.append(f"data: {name}")
    for name, weight, rx, needles in _CICD:
        if (low is None or any(n in low for n in needles)) and rx.search(body):
            cicd += weight
            reasons.append(f"ci/cd: {name}")
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

"""Log markers: each regex's matches (its groups when it has any) in the Jenkins console log and in the Airflow
task logs, compared in order after normalization."""

from __future__ import annotations

import re

from jenkins2flow_runtime.model.shadow import LogOutput

from jenkins2flow.shadow.compare.text import compare_lines
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import OutputResult


def marker_hits(pattern: re.Pattern[str], log: str, norm: Normalizer) -> list[str]:
    hits = []
    for m in pattern.finditer(log):
        found = " | ".join(g or "" for g in m.groups()) if pattern.groups else m.group(0)
        hits.append(norm.text(found))
    return sorted(hits) if norm.spec.ignore_order else hits


def compare_logs(output: LogOutput, norm: Normalizer, baseline_log: str, candidate_log: str) -> OutputResult:
    result = OutputResult(output.label, "log")
    if not baseline_log and not candidate_log:
        result.status = "error"
        result.error = "Neither run has a log to look for markers in."
        return result
    absent: list[str] = []
    for raw in output.markers:
        try:
            pattern = re.compile(raw, re.MULTILINE)
        except re.error as exc:
            result.status = "error"
            result.error = f"Marker {raw!r} is not a valid regex: {exc}."
            return result
        b, c = marker_hits(pattern, baseline_log, norm), marker_hits(pattern, candidate_log, norm)
        compare_lines(b, c, result, prefix=f"/{raw}/ match ")
        if not b and not c:
            absent.append(raw)
    result.summary = f"{len(output.markers)} marker(s), {result.compared} match(es) compared"
    if absent:
        result.summary += "; found in neither log: " + ", ".join(repr(a) for a in absent)
    return result.finish()

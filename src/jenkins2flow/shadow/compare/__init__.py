"""Compare one declared output of two runs. One comparer per output kind, in one registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jenkins2flow_runtime.model.shadow import ShadowConfig

from jenkins2flow.shadow.compare.csv import compare_csv
from jenkins2flow.shadow.compare.json import compare_json
from jenkins2flow.shadow.compare.logs import compare_logs
from jenkins2flow.shadow.compare.s3 import compare_s3
from jenkins2flow.shadow.compare.sql import compare_sql
from jenkins2flow.shadow.compare.status import compare_status
from jenkins2flow.shadow.compare.text import compare_text
from jenkins2flow.shadow.normalize import Normalizer, RunContext
from jenkins2flow.shadow.outcome import OutputResult, SideRun

Comparer = Callable[[Any, Normalizer, SideRun, SideRun], OutputResult]

COMPARERS: dict[str, Comparer] = {
    "status": lambda o, n, b, c: compare_status(o, b, c),
    "csv": lambda o, n, b, c: compare_csv(o, n, b.files_root, c.files_root),
    "json": lambda o, n, b, c: compare_json(o, n, b.files_root, c.files_root),
    "text": lambda o, n, b, c: compare_text(o, n, b.files_root, c.files_root),
    "log": lambda o, n, b, c: compare_logs(o, n, b.log, c.log),
    "sql": lambda o, n, b, c: compare_sql(o, n),
    "s3": lambda o, n, b, c: compare_s3(o, n),
}


def context(*sides: SideRun) -> RunContext:
    tokens = [t for s in sides for t in s.run_tokens]
    return RunContext(tuple(tokens), tuple(s.files_root for s in sides if s.files_root))


def compare_output(output: Any, config: ShadowConfig, baseline: SideRun, candidate: SideRun) -> OutputResult:
    """Compare one output; a comparer's own failure becomes an `error` result, never an exception."""
    norm = Normalizer(config.normalizers_for(output), context(baseline, candidate))
    try:
        return COMPARERS[output.kind](output, norm, baseline, candidate)
    except Exception as exc:  # noqa: BLE001 - one broken output must not hide the others
        return OutputResult(output.label, output.kind, status="error",
                            error=f"Comparing failed: {type(exc).__name__}: {exc}")


def compare_all(
    config: ShadowConfig, baseline: SideRun, candidate: SideRun, noise: SideRun | None = None,
) -> list[OutputResult]:
    """Every declared output; with a second Jenkins run, differences it shows too are marked noise, not counted."""
    results = []
    for output in config.outputs:
        result = compare_output(output, config, baseline, candidate)
        if noise is not None and result.differences:
            noisy = compare_output(output, config, baseline, noise)
            where = {d.location for d in noisy.differences}
            if noisy.total_differences > len(noisy.differences):
                result.summary += "; noise run had more differences than kept, noise matching is partial"
            for d in result.differences:
                if d.location in where:
                    d.noise = True
            result.noise = sum(d.noise for d in result.differences)
            result.total_differences -= result.noise
            if result.noise:
                result.summary += f"; {result.noise} difference(s) also between two Jenkins runs (noise, not counted)"
            result.status = "equal" if result.status == "different" and result.total_differences == 0 else result.status
        results.append(result)
    return results

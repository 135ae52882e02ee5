"""JSON artifacts: compared structurally by deepdiff after normalization.

Strings pass through the normalizer; keys in `ignore_fields` are dropped wherever they occur, and entries starting
with `root` are deepdiff path regexes (`root\\['meta'\\]\\['generated_at'\\]`). Numbers within the float tolerance
are equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff
from jenkins2flow_runtime.model.shadow import JsonOutput

from jenkins2flow.shadow.compare.files import compare_files
from jenkins2flow.shadow.normalize import Normalizer, within
from jenkins2flow.shadow.outcome import Difference, OutputResult

KINDS = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_removed": "missing",
    "iterable_item_removed": "missing",
    "dictionary_item_added": "extra",
    "iterable_item_added": "extra",
    "set_item_removed": "missing",
    "set_item_added": "extra",
}


def normalize_json(value: Any, norm: Normalizer) -> Any:
    ignored = {f for f in norm.spec.ignore_fields if not f.startswith("root")}
    if isinstance(value, dict):
        return {norm.text(k): normalize_json(v, norm) for k, v in value.items() if k not in ignored}
    if isinstance(value, list):
        return [normalize_json(v, norm) for v in value]
    if isinstance(value, str):
        return norm.text(value)
    return value


def _show(value: Any) -> str | None:
    if value is None or type(value).__name__ == "NotPresent":
        return None
    return json.dumps(value, sort_keys=True, default=str)[:500]


def compare_values(b: Any, c: Any, result: OutputResult, norm: Normalizer, prefix: str = "") -> None:
    """deepdiff `b` against `c` (both already normalized); one difference per changed leaf."""
    excluded = [f for f in norm.spec.ignore_fields if f.startswith("root")]
    tol = norm.spec.float_tolerance
    dd = DeepDiff(b, c, ignore_order=norm.spec.ignore_order, exclude_regex_paths=excluded or None, view="tree")
    kept = 0
    for report, levels in dd.items():
        for level in levels:
            if report == "values_changed" and within(level.t1, level.t2, tol):
                continue
            kind = KINDS.get(report, "changed")
            result.add(Difference(prefix + level.path(), kind, _show(level.t1), _show(level.t2), report))
            kept += 1
    if kept and not result.explanation:
        result.explanation = DeepDiff(b, c, ignore_order=norm.spec.ignore_order,
                                      exclude_regex_paths=excluded or None).pretty()[:20_000]


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values()) or 1
    if isinstance(value, list):
        return sum(_leaves(v) for v in value) or 1
    return 1


def compare_json(output: JsonOutput, norm: Normalizer, baseline_root: str, candidate_root: str) -> OutputResult:
    result = OutputResult(output.label, "json")

    def one(b: Path, c: Path, res: OutputResult, prefix: str) -> None:
        bv = normalize_json(json.loads(b.read_text(encoding="utf-8")), norm)
        cv = normalize_json(json.loads(c.read_text(encoding="utf-8")), norm)
        res.compared += _leaves(bv)
        compare_values(bv, cv, res, norm, prefix)
        res.summary = f"{res.compared} values compared, {res.total_differences} differ"

    return compare_files(result, baseline_root, candidate_root, output.path, one, required=output.required)

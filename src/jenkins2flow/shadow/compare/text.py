"""Text artifacts: line by line after normalization; difflib shows the hunks."""

from __future__ import annotations

import difflib
from pathlib import Path

from jenkins2flow_runtime.model.shadow import TextOutput

from jenkins2flow.shadow.compare.files import compare_files
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import Difference, OutputResult

MAX_EXPLANATION_LINES = 400


def compare_lines(b: list[str], c: list[str], result: OutputResult, prefix: str = "") -> None:
    """Add one difference per changed, missing or extra line (numbers are the baseline's, 1-based)."""
    result.compared += max(len(b), len(c))
    matcher = difflib.SequenceMatcher(a=b, b=c, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = max(i2 - i1, j2 - j1)
        for k in range(pairs):
            bl = b[i1 + k] if i1 + k < i2 else None
            cl = c[j1 + k] if j1 + k < j2 else None
            kind = "changed" if bl is not None and cl is not None else ("missing" if cl is None else "extra")
            line = i1 + k + 1 if bl is not None else i2
            result.add(Difference(f"{prefix}line {line}", kind, bl, cl))
    if result.total_differences and not result.explanation:
        diff = list(difflib.unified_diff(b, c, "baseline", "candidate", lineterm="", n=2))
        result.explanation = "\n".join(diff[:MAX_EXPLANATION_LINES])


def compare_text(output: TextOutput, norm: Normalizer, baseline_root: str, candidate_root: str) -> OutputResult:
    result = OutputResult(output.label, "text")

    def one(b: Path, c: Path, res: OutputResult, prefix: str) -> None:
        bl = norm.lines(b.read_text(encoding="utf-8").splitlines())
        cl = norm.lines(c.read_text(encoding="utf-8").splitlines())
        compare_lines(bl, cl, res, prefix)
        res.summary = f"{len(bl)} baseline lines, {len(cl)} candidate lines, {res.total_differences} differ"

    return compare_files(result, baseline_root, candidate_root, output.path, one, required=output.required)

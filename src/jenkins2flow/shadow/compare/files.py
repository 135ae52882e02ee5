"""Find a declared file output on both sides (Ant-style globs allowed) and pair the matches by relative path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jenkins2flow_runtime.antglob import AntGlob

from jenkins2flow.shadow.outcome import Difference, OutputResult


def matches(root: str, pattern: str) -> dict[str, Path]:
    """Files under `root` matching the Ant pattern `pattern` (relative, posix), keyed by their relative path.
    A plain path names its file, even one Ant's default excludes would skip."""
    if not root:
        return {}
    base = Path(root)
    if not set("*?,") & set(pattern) and not pattern.endswith(("/", "\\")):
        path = base / pattern
        return {pattern: path} if path.is_file() else {}
    return {rel: base / rel for rel in AntGlob.parse(pattern).select(base)}


def compare_files(
    result: OutputResult,
    baseline_root: str,
    candidate_root: str,
    pattern: str,
    compare_one: Callable[[Path, Path, OutputResult, str], None],
    *,
    required: bool = True,
) -> OutputResult:
    """Run `compare_one(baseline_file, candidate_file, result, prefix)` on each pair; report files on one side only."""
    b, c = matches(baseline_root, pattern), matches(candidate_root, pattern)
    if not b and not c:
        if required:
            result.status = "error"
            result.error = (
                f"Neither run produced {pattern!r} (baseline files under {baseline_root or '(none)'!r}, candidate "
                f"workspace {candidate_root or '(none)'!r}); check the path in shadow_outputs "
                "or mark it required: false."
            )
        else:
            result.status = "skipped"
            result.summary = f"{pattern!r} absent on both sides"
        return result
    several = len(set(b) | set(c)) > 1
    for rel in sorted(set(b) | set(c)):
        prefix = f"{rel}: " if several else ""
        if rel not in c:
            result.add(Difference(rel, "missing", rel, None, "file missing in the candidate's output"))
        elif rel not in b:
            result.add(Difference(rel, "extra", None, rel, "file only in the candidate's output"))
        else:
            try:
                compare_one(b[rel], c[rel], result, prefix)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                result.status = "error"
                result.error = f"{rel}: could not be compared: {exc}"
                return result
    if several:
        result.summary = f"{len(set(b) & set(c))} file(s) compared; " + result.summary
    return result.finish()

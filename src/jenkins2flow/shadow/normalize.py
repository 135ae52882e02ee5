"""Normalizers: remove the noise two runs of the same job differ by before their outputs are compared.

A `Normalizer` is built once per output from the declared `Normalizers` and what is known of both runs (their run
ids and workspace roots); applying it is pure string work.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from jenkins2flow_runtime.model.shadow import Normalizers, Tolerance

# ISO-8601 date-times (T or space, optional fraction and zone), Jenkins' "[2026-01-15T02:00:01.123Z]" Timestamper
# prefixes, RFC-2822-ish "Thu Jan 15 02:00:01 UTC 2026", bare times, epoch milliseconds labelled as such.
TIMESTAMP_PATTERNS = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
    r"\d{2}:\d{2}:\d{2}(?: [A-Z]{2,5})? \d{4}",
    r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
)
TIMESTAMP_RE = re.compile("|".join(f"(?:{p})" for p in TIMESTAMP_PATTERNS))
ABS_PATH_RE = re.compile(r"(?<![\w.:/<])/(?:[\w.@+-]+/)+[\w.@+-]*")
NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class RunContext:
    """What is known of the two runs: tokens that name a run (build number, tag, run id) and workspace roots."""

    run_tokens: tuple[str, ...] = ()
    workspaces: tuple[str, ...] = ()


@dataclass(slots=True)
class Normalizer:
    spec: Normalizers = field(default_factory=Normalizers)
    context: RunContext = field(default_factory=RunContext)
    _subs: list[tuple[re.Pattern[str], str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        subs: list[tuple[re.Pattern[str], str]] = []
        if self.spec.paths:
            roots = sorted({w.rstrip("/") for w in self.context.workspaces if len(w.rstrip("/")) > 1}, key=len)
            for root in reversed(roots):
                subs.append((re.compile(re.escape(root) + r"(?=/|\b|$)"), "<WS>"))
        if self.spec.build_numbers:
            tokens = sorted({t for t in self.context.run_tokens if t}, key=len, reverse=True)
            for token in tokens:
                edge = r"\b" if token[:1].isalnum() else ""
                end = r"\b" if token[-1:].isalnum() else ""
                subs.append((re.compile(edge + re.escape(token) + end), "<RUN>"))
        if self.spec.timestamps:
            subs.append((TIMESTAMP_RE, "<TS>"))
        if self.spec.paths:
            subs.append((ABS_PATH_RE, "<PATH>"))
        for rule in self.spec.replace:
            subs.append((re.compile(rule.pattern), rule.replacement))
        self._subs = subs

    @property
    def identity(self) -> bool:
        """True when `text` changes nothing but surrounding whitespace (lets comparers skip work)."""
        return not self._subs and not self.spec.case_insensitive

    def text(self, value: str) -> str:
        for pattern, replacement in self._subs:
            value = pattern.sub(replacement, value)
        if self.spec.strip:
            value = value.strip()
        if self.spec.case_insensitive:
            value = value.casefold()
        return value

    def lines(self, lines: Iterable[str]) -> list[str]:
        out = [self.text(line) for line in lines]
        if self.spec.strip:
            out = [line for line in out if line]
        return sorted(out) if self.spec.ignore_order else out

    def ignored(self, column: str) -> bool:
        return column in self.spec.ignore_fields

    def tolerance(self, column: str, per_column: dict[str, Tolerance] | None = None) -> Tolerance | None:
        if per_column and column in per_column:
            return per_column[column]
        return self.spec.float_tolerance


def as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and NUMBER_RE.match(value.strip()):
        return float(value)
    return None


def within(a: object, b: object, tol: Tolerance | None) -> bool:
    """Whether two values are equal, numerically within `tol` when both are numbers."""
    if a == b:
        return True
    if tol is None:
        return False
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    return abs(x - y) <= tol.abs + tol.rel * max(abs(x), abs(y))

"""Side-by-side differences between two texts (two versions' YAML), long unchanged runs folded."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest

CONTEXT = 3


@dataclass(frozen=True, slots=True)
class Row:
    kind: str  # equal | change | delete | insert | fold
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(a: str, b: str, context: int = CONTEXT) -> list[Row]:
    """Rows of (old line, new line); runs of more than 2*context unchanged lines are folded into one row."""
    left, right = a.splitlines(), b.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if tag == "equal":
            run = [Row("equal", i + 1, left[i], j + 1, right[j]) for i, j in zip(range(i1, i2), range(j1, j2),
                                                                                strict=True)]
            first, last = not rows, i2 == len(left)
            keep_head = 0 if first else context
            keep_tail = 0 if last else context
            if len(run) > keep_head + keep_tail + 1:
                hidden = len(run) - keep_head - keep_tail
                tail = run[len(run) - keep_tail:] if keep_tail else []
                run = [*run[:keep_head], Row("fold", None, f"{hidden} unchanged lines", None, ""), *tail]
            rows += run
            continue
        kind = {"replace": "change", "delete": "delete", "insert": "insert"}[tag]
        for i, j in zip_longest(range(i1, i2), range(j1, j2)):
            rows.append(Row(kind, i + 1 if i is not None else None, left[i] if i is not None else "",
                            j + 1 if j is not None else None, right[j] if j is not None else ""))
    return rows


def changed(rows: list[Row]) -> int:
    return sum(1 for r in rows if r.kind in ("change", "delete", "insert"))

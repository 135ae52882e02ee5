"""Keyed table comparison in bounded memory, shared by CSV artifacts and SQL snapshots.

Both sides are read in lockstep. Rows that are equal as read are skipped at once (the common case when a migrated
pipeline writes the same rows in the same order). Unequal rows wait in a pending map per side until their key turns
up on the other side, so reordered rows cost memory only for the window they are out of place. If the pending
maps outgrow `spill_rows` (the inputs are ordered differently), every pending and remaining row is spilled to
`partitions` files per side by a hash of its key, and each partition pair is compared on its own: memory stays
about rows / partitions.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from jenkins2flow_runtime.model.shadow import Tolerance

from jenkins2flow.shadow.normalize import Normalizer, within
from jenkins2flow.shadow.outcome import Difference, OutputResult

Row = Sequence[str]
SPILL_ROWS = 200_000
PARTITIONS = 64
EXPLAINED_ROWS = 5


@dataclass(slots=True)
class TableSide:
    header: list[str]
    rows: Iterable[Row]


@dataclass(slots=True)
class _Plan:
    columns: list[str]  # compared columns, in baseline order
    b_idx: list[int]
    c_idx: list[int]
    key_pos: list[int]  # positions in the projected row
    fast: bool  # raw rows comparable as read
    ordered: bool
    norm: Normalizer
    tolerances: dict[str, Tolerance]
    tol: list[Tolerance | None] = field(default_factory=list)


def compare_tables(
    base: TableSide,
    cand: TableSide,
    result: OutputResult,
    *,
    norm: Normalizer,
    keys: Sequence[str] = (),
    tolerances: dict[str, Tolerance] | None = None,
    ordered: bool = False,
    spill_rows: int = SPILL_ROWS,
    partitions: int = PARTITIONS,
) -> OutputResult:
    plan = _plan(base.header, cand.header, result, norm, keys, tolerances or {}, ordered)
    if plan is None:
        return result
    state = _State(plan, result)
    b_iter, c_iter = iter(base.rows), iter(cand.rows)
    n = 0
    for rb in b_iter:
        rc = next(c_iter, None)
        if rc is None:
            state.add_base(n, rb)
            n += 1
            break
        n += 1
        if plan.fast and rb == rc:
            state.compared += 1
            continue
        state.add_base(n - 1, rb)
        state.add_cand(n - 1, rc)
        if state.pending > spill_rows:
            _spill(state, b_iter, c_iter, n, partitions)
            return state.finish()
    else:
        for m, rc in enumerate(c_iter, start=n):
            state.add_cand(m, rc)
            if state.pending > spill_rows:
                _spill(state, iter(()), c_iter, m + 1, partitions, cand_first=m + 1)
                return state.finish()
        return state.finish()
    for m, rb in enumerate(b_iter, start=n):
        state.add_base(m, rb)
        if state.pending > spill_rows:
            _spill(state, b_iter, iter(()), m + 1, partitions)
            return state.finish()
    return state.finish()


def _plan(
    bh: list[str], ch: list[str], result: OutputResult, norm: Normalizer, keys: Sequence[str],
    tolerances: dict[str, Tolerance], ordered: bool,
) -> _Plan | None:
    c_pos = {c: i for i, c in enumerate(ch)}
    b_set = set(bh)
    for col in bh:
        if col not in c_pos and not norm.ignored(col):
            result.add(Difference(f"column {col}", "header", col, None, "column missing in the candidate"))
    for col in ch:
        if col not in b_set and not norm.ignored(col):
            result.add(Difference(f"column {col}", "header", None, col, "column only in the candidate"))
    columns = [c for c in bh if c in c_pos and not norm.ignored(c)]
    missing_keys = [k for k in keys if k not in columns]
    if missing_keys:
        result.status = "error"
        result.error = (
            f"Key column(s) {missing_keys!r} are not in both headers (baseline {bh!r}, candidate {ch!r}); "
            "fix `keys` in the pipeline's shadow_outputs."
        )
        return None
    b_idx = [bh.index(c) for c in columns]
    c_idx = [c_pos[c] for c in columns]
    fast = bh == ch and columns == bh and norm.identity
    plan = _Plan(columns, b_idx, c_idx, [columns.index(k) for k in keys], fast, ordered, norm, tolerances)
    plan.tol = [norm.tolerance(c, tolerances) for c in columns]
    return plan


class _State:
    def __init__(self, plan: _Plan, result: OutputResult) -> None:
        self.plan = plan
        self.result = result
        self.pb: dict[Any, list[list[str]]] = {}
        self.pc: dict[Any, list[list[str]]] = {}
        self.pending = 0
        self.compared = 0
        self.rows_different = 0
        self.missing = 0
        self.extra = 0
        self.explained: list[str] = []

    def project(self, row: Row, idx: list[int]) -> list[str]:
        width = len(row)
        if self.plan.norm.identity:  # only whitespace to strip: no per-value function call
            if self.plan.norm.spec.strip:
                return [row[i].strip() if i < width else "" for i in idx]
            return [row[i] if i < width else "" for i in idx]
        text = self.plan.norm.text
        return [text(row[i]) if i < width else "" for i in idx]

    def key(self, n: int, row: list[str]) -> Any:
        if self.plan.key_pos:
            return tuple(row[p] for p in self.plan.key_pos)
        if self.plan.ordered:
            return n
        return tuple(row)

    def add_base(self, n: int, raw: Row) -> None:
        row = self.project(raw, self.plan.b_idx)
        self._add(self.key(n, row), row, self.pb, self.pc, base_side=True)

    def add_cand(self, n: int, raw: Row) -> None:
        row = self.project(raw, self.plan.c_idx)
        self._add(self.key(n, row), row, self.pc, self.pb, base_side=False)

    def _add(self, k: Any, row: list[str], mine: dict[Any, list[list[str]]], other: dict[Any, list[list[str]]],
             *, base_side: bool) -> None:
        waiting = other.get(k)
        if waiting:
            match = waiting.pop(0)
            if not waiting:
                del other[k]
            self.pending -= 1
            b, c = (row, match) if base_side else (match, row)
            self.compare_rows(k, b, c)
        else:
            mine.setdefault(k, []).append(row)
            self.pending += 1

    def label(self, k: Any) -> str:
        if self.plan.key_pos:
            return " ".join(f"{self.plan.columns[p]}={v}" for p, v in zip(self.plan.key_pos, k, strict=True))
        if isinstance(k, int):
            return f"row {k + 1}"
        return "row " + ",".join(k)

    def compare_rows(self, k: Any, b: list[str], c: list[str]) -> None:
        self.compared += 1
        if b == c:
            return
        changed = False
        for i, col in enumerate(self.plan.columns):
            if not within(b[i], c[i], self.plan.tol[i]):
                changed = True
                self.result.add(Difference(f"{self.label(k)} column={col}", "changed", b[i], c[i], _delta(b[i], c[i])))
        if changed:
            self.rows_different += 1
            if len(self.explained) < EXPLAINED_ROWS:
                cols = self.plan.columns
                dd = DeepDiff(dict(zip(cols, b, strict=True)), dict(zip(cols, c, strict=True)))
                self.explained.append(f"{self.label(k)}: {dd.pretty()}")

    def flush(self) -> None:
        for k, rows in self.pb.items():
            for row in rows:
                self.missing += 1
                self.result.add(Difference(self.label(k), "missing", ",".join(row), None, "row only in the baseline"))
        for k, rows in self.pc.items():
            for row in rows:
                self.extra += 1
                self.result.add(Difference(self.label(k), "extra", None, ",".join(row), "row only in the candidate"))
        self.pb, self.pc, self.pending = {}, {}, 0

    def finish(self) -> OutputResult:
        self.flush()
        r = self.result
        r.compared += self.compared + self.missing + self.extra
        by = "key " + ",".join(self.plan.columns[p] for p in self.plan.key_pos) if self.plan.key_pos else "content"
        if self.plan.ordered and not self.plan.key_pos:
            by = "row number"
        r.summary = (
            f"{self.compared} rows matched by {by}"
            f", {self.rows_different} differ, {self.missing} only in baseline, {self.extra} only in candidate"
        )
        if self.explained:
            r.explanation = "\n".join(self.explained)
        return r.finish()


def _delta(a: str, b: str) -> str:
    from jenkins2flow.shadow.normalize import as_number

    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        return ""
    return f"delta {y - x:+.6g}"


def _spill(
    state: _State, b_iter: Iterator[Row], c_iter: Iterator[Row], n: int, partitions: int, *,
    cand_first: int | None = None,
) -> None:
    """Move every pending and remaining row into hash partitions on disk and compare partition by partition.

    Partition files are CSV (the C writer and reader are the fastest way through Python); each line is the row
    number then the projected row, and the key is recomputed from it on the way back. Python's string hash is
    stable within one process, which is all partitioning needs."""
    with tempfile.TemporaryDirectory(prefix="j2f-shadow-") as tmp:
        handles = {side: [open(os.path.join(tmp, f"{side}{i}.csv"), "w", newline="", encoding="utf-8")  # noqa: SIM115
                          for i in range(partitions)] for side in ("b", "c")}
        writers = {side: [csv.writer(f) for f in fs] for side, fs in handles.items()}
        try:
            for side, pending in (("b", state.pb), ("c", state.pc)):
                for k, rows in pending.items():
                    for row in rows:
                        writers[side][hash(k) % partitions].writerow([_number(k), *row])
            state.pb, state.pc, state.pending = {}, {}, 0
            plan = state.plan
            for side, it, idx, start in (("b", b_iter, plan.b_idx, n), ("c", c_iter, plan.c_idx, cand_first or n)):
                out = writers[side]
                for m, raw in enumerate(it, start=start):
                    row = state.project(raw, idx)
                    out[hash(state.key(m, row)) % partitions].writerow([m, *row])
        finally:
            for fs in handles.values():
                for f in fs:
                    f.close()
        for i in range(partitions):
            with open(os.path.join(tmp, f"b{i}.csv"), newline="", encoding="utf-8") as fb:
                for rec in csv.reader(fb):
                    row = rec[1:]
                    state.pb.setdefault(state.key(int(rec[0]), row), []).append(row)
            with open(os.path.join(tmp, f"c{i}.csv"), newline="", encoding="utf-8") as fc:
                for rec in csv.reader(fc):
                    row = rec[1:]
                    state._add(state.key(int(rec[0]), row), row, state.pc, state.pb, base_side=False)
            state.flush()


def _number(k: Any) -> int:
    """The row number stored with a pending row: its key when rows are matched by number, else unused (-1)."""
    return k if isinstance(k, int) else -1

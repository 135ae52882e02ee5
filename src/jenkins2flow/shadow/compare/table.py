"""Keyed table comparison in bounded memory, shared by CSV artifacts and SQL snapshots.

Both sides are read in lockstep. Rows that are equal as read are skipped at once (the common case when a migrated
pipeline writes the same rows in the same order). Unequal rows wait in a pending map per side until their key turns
up on the other side, so reordered rows cost memory only for the window they are out of place.

A pending row is parked as read, not normalized: its compared values packed into one string (a tenth of the
memory of a list of strings), keyed by its normalized key columns only. When its partner turns up, the two packed
strings are compared first; only a pair that differs as read is projected, normalized and compared column by column
(values equal as read are equal after any normalizer). If the pending maps outgrow `spill_rows` rows or about
`spill_bytes` bytes (the inputs are ordered very differently), every pending and remaining row is spilled to
`partitions` files per side by a hash of its key, and each partition pair is compared on its own: memory stays
about rows / partitions.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from jenkins2flow_runtime.model.shadow import Tolerance

from jenkins2flow.shadow.normalize import Normalizer, within
from jenkins2flow.shadow.outcome import Difference, OutputResult

Row = Sequence[str]
SPILL_ROWS = 5_000_000
SPILL_BYTES = 256 * 2**20  # estimated bytes of pending rows (packed text + ROW_OVERHEAD each) before spilling
ROW_OVERHEAD = 200  # per parked row: str header, its key, dict slots (measured: ~230 MB RSS per 1,000,000 rows)
PARTITIONS = 64
EXPLAINED_ROWS = 5
SEP = "\x1f"  # joins a parked row's values; a row whose values contain it is parked as a tuple instead

Packed = str | tuple[str, ...]
Adder = Callable[[int, Row], None]


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
    spill_bytes: int = SPILL_BYTES,
    partitions: int = PARTITIONS,
) -> OutputResult:
    plan = _plan(base.header, cand.header, result, norm, keys, tolerances or {}, ordered)
    if plan is None:
        return result
    state = _State(plan, result, spill_rows, spill_bytes)
    add_base, add_cand = state.adder(plan.b_idx, True), state.adder(plan.c_idx, False)
    b_iter, c_iter = iter(base.rows), iter(cand.rows)
    fast = plan.fast
    n = 0
    for rb in b_iter:
        rc = next(c_iter, None)
        if rc is None:
            add_base(n, rb)
            n += 1
            break
        if fast and rb == rc:
            n += 1
            state.compared += 1
            continue
        add_base(n, rb)
        add_cand(n, rc)
        n += 1
        if state.full:
            _spill(state, b_iter, c_iter, n, partitions)
            return state.finish()
    else:
        for m, rc in enumerate(c_iter, start=n):
            add_cand(m, rc)
            if state.full:
                _spill(state, iter(()), c_iter, m + 1, partitions, cand_first=m + 1)
                return state.finish()
        return state.finish()
    for m, rb in enumerate(b_iter, start=n):
        add_base(m, rb)
        if state.full:
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


def _unpack(packed: Packed) -> list[str]:
    return packed.split(SEP) if isinstance(packed, str) else list(packed)


class _State:
    """The pending maps: key -> packed row, or a list of packed rows while a key waits more than once."""

    def __init__(self, plan: _Plan, result: OutputResult, spill_rows: int = SPILL_ROWS,
                 spill_bytes: int = SPILL_BYTES) -> None:
        self.plan = plan
        self.result = result
        self.spill_rows = spill_rows
        self.spill_bytes = spill_bytes
        self.pb: dict[Any, Any] = {}
        self.pc: dict[Any, Any] = {}
        self.pending = 0
        self.pending_bytes = 0
        self.compared = 0
        self.rows_different = 0
        self.missing = 0
        self.extra = 0
        self.explained: list[str] = []
        self.width = len(plan.columns)

    @property
    def full(self) -> bool:
        """The pending maps are past `spill_rows` rows or `spill_bytes` (estimated) bytes: time to spill."""
        return self.pending > self.spill_rows or self.pending_bytes > self.spill_bytes

    def project(self, sel: Row) -> list[str]:
        """Normalized compared values of a selected row (values in `columns` order, maybe short or long)."""
        width, n = len(sel), self.width
        if self.plan.norm.identity:  # only whitespace to strip: no per-value function call
            if self.plan.norm.spec.strip:
                return [sel[i].strip() if i < width else "" for i in range(n)]
            return [sel[i] if i < width else "" for i in range(n)]
        text = self.plan.norm.text
        return [text(sel[i]) if i < width else "" for i in range(n)]

    def key(self, n: int, sel: Row) -> Any:
        """The normalized key: one value alone, a tuple of values, the row number (ordered) or the whole row."""
        kp = self.plan.key_pos
        if kp:
            width, text = len(sel), self.plan.norm.text
            if len(kp) == 1:
                return text(sel[kp[0]]) if kp[0] < width else ""
            return tuple(text(sel[p]) if p < width else "" for p in kp)
        if self.plan.ordered:
            return n
        return tuple(self.project(sel))

    def adder(self, idx: list[int], base_side: bool, *, selected: bool = False) -> Adder:
        """`add(n, raw)`: park row number n of one side, or compare it with its waiting partner.

        `selected` rows already hold the compared values in `columns` order (read back from a spill)."""
        mine, other = (self.pb, self.pc) if base_side else (self.pc, self.pb)
        whole = selected or idx == list(range(len(idx)))
        kp = self.plan.key_pos
        k0 = kp[0] if len(kp) == 1 else -1
        norm = self.plan.norm
        strip_only = norm.identity and norm.spec.strip
        as_read = norm.identity and not norm.spec.strip
        key, text, sep, overhead = self.key, norm.text, SEP, ROW_OVERHEAD
        if not kp and not self.plan.ordered:  # the key is the whole normalized row: a tuple of its values
            overhead += 40 + 60 * self.width  # the tuple and each value's str header (their text is not counted)

        def add(n: int, raw: Row) -> None:
            sel = raw if whole else [raw[i] if i < len(raw) else "" for i in idx]
            width = len(sel)
            if k0 >= 0:  # one key column: the common case, inline
                if k0 >= width:
                    k: Any = ""
                elif strip_only:
                    k = sel[k0].strip()
                else:
                    k = sel[k0] if as_read else text(sel[k0])
            else:
                k = key(n, sel)
            packed: Packed = sep.join(sel)
            if packed.count(sep) != width - 1:
                packed = tuple(sel)
            waiting = other.get(k)
            if waiting is None:
                here = mine.get(k)
                if here is None:
                    mine[k] = packed
                elif type(here) is list:
                    here.append(packed)
                else:
                    mine[k] = [here, packed]
                self.pending += 1
                self.pending_bytes += len(packed) + overhead
                return
            if type(waiting) is list:
                match = waiting.pop(0)
                if len(waiting) == 1:
                    other[k] = waiting[0]
            else:
                match = waiting
                del other[k]
            self.pending -= 1
            self.pending_bytes -= len(match) + overhead
            if match == packed:  # equal as read: equal after normalizing too
                self.compared += 1
                return
            b, c = (packed, match) if base_side else (match, packed)
            self.compare_rows(k, self.project(_unpack(b)), self.project(_unpack(c)))

        return add

    def label(self, k: Any) -> str:
        kp = self.plan.key_pos
        if len(kp) == 1:
            return f"{self.plan.columns[kp[0]]}={k}"
        if kp:
            return " ".join(f"{self.plan.columns[p]}={v}" for p, v in zip(kp, k, strict=True))
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
        for k, packed in _entries(self.pb):
            self.missing += 1
            row = ",".join(self.project(_unpack(packed)))
            self.result.add(Difference(self.label(k), "missing", row, None, "row only in the baseline"))
        for k, packed in _entries(self.pc):
            self.extra += 1
            row = ",".join(self.project(_unpack(packed)))
            self.result.add(Difference(self.label(k), "extra", None, row, "row only in the candidate"))
        self.pb.clear()
        self.pc.clear()
        self.pending = self.pending_bytes = 0

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


def _entries(pending: dict[Any, Any]) -> Iterator[tuple[Any, Packed]]:
    for k, v in pending.items():
        if type(v) is list:
            for packed in v:
                yield k, packed
        else:
            yield k, v


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
    number then the row's compared values as read, and the key is recomputed from them on the way back. Python's
    string hash is stable within one process, which is all partitioning needs."""
    plan = state.plan
    with tempfile.TemporaryDirectory(prefix="j2f-shadow-") as tmp:
        handles = {side: [open(os.path.join(tmp, f"{side}{i}.csv"), "w", newline="", encoding="utf-8")  # noqa: SIM115
                          for i in range(partitions)] for side in ("b", "c")}
        try:
            for side, pending in (("b", state.pb), ("c", state.pc)):
                writers = [csv.writer(f) for f in handles[side]]
                for k, packed in _entries(pending):
                    writers[hash(k) % partitions].writerow([_number(k), *_unpack(packed)])
            state.pb.clear()
            state.pc.clear()
            state.pending = state.pending_bytes = 0
            for side, it, idx, start in (("b", b_iter, plan.b_idx, n), ("c", c_iter, plan.c_idx, cand_first or n)):
                _partition(state, it, idx, start, [csv.writer(f) for f in handles[side]])
        finally:
            for fs in handles.values():
                for f in fs:
                    f.close()
        add_base = state.adder(plan.b_idx, True, selected=True)
        add_cand = state.adder(plan.c_idx, False, selected=True)
        for i in range(partitions):
            for name, add in ((f"b{i}.csv", add_base), (f"c{i}.csv", add_cand)):
                with open(os.path.join(tmp, name), newline="", encoding="utf-8") as f:
                    for rec in csv.reader(f):
                        add(int(rec[0]), rec[1:])
            state.flush()


def _partition(state: _State, rows: Iterator[Row], idx: list[int], start: int, out: list[Any]) -> None:
    """Write one side's remaining rows, each as its row number and its compared values as read."""
    partitions = len(out)
    whole = idx == list(range(len(idx)))
    kp, key = state.plan.key_pos, state.key
    k0 = kp[0] if len(kp) == 1 else -1
    text = state.plan.norm.text
    for m, raw in enumerate(rows, start=start):
        sel = raw if whole else [raw[i] if i < len(raw) else "" for i in idx]
        if k0 >= 0:
            k = text(sel[k0]) if k0 < len(sel) else ""
        else:
            k = key(m, sel)
        out[hash(k) % partitions].writerow([m, *sel])


def _number(k: Any) -> int:
    """The row number stored with a pending row: its key when rows are matched by number, else unused (-1)."""
    return k if isinstance(k, int) else -1

"""CSV artifacts: row by row, matched on declared keys, per-column tolerances, in bounded memory.

A row with fewer or more cells than its file's header is a difference of its own (`ragged`, with its row and line
numbers and its cells): the comparison reads the columns it has, but a short row is never taken as padded nor a
long one as cut without it being reported.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.model.shadow import CsvOutput

from jenkins2flow.shadow.compare.files import compare_files
from jenkins2flow.shadow.compare.table import TableSide, compare_tables
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import Difference, OutputResult

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def compare_csv_files(
    baseline: Path, candidate: Path, result: OutputResult, output: CsvOutput, norm: Normalizer, **kw: int,
) -> OutputResult:
    with baseline.open(newline="", encoding="utf-8") as fb, candidate.open(newline="", encoding="utf-8") as fc:
        rb, rc = csv.reader(fb, delimiter=output.delimiter), csv.reader(fc, delimiter=output.delimiter)
        bh, ch = next(rb, []), next(rc, [])
        return compare_tables(
            TableSide([norm.text(h) for h in bh], _even(rb, len(bh), True, result)),
            TableSide([norm.text(h) for h in ch], _even(rc, len(ch), False, result)), result, norm=norm,
            keys=output.keys, tolerances=output.tolerances, ordered=output.ordered, **kw,
        )


def _even(reader: Any, width: int, baseline: bool, result: OutputResult) -> Iterator[list[str]]:
    """The rows of one side as read; each row whose cell count is not the header's is also reported."""
    side = "baseline" if baseline else "candidate"
    for n, row in enumerate(reader, start=1):
        if len(row) != width:
            text = ",".join(row)
            result.add(Difference(f"row {n}", "ragged", text if baseline else None, None if baseline else text,
                                  f"the {side} row has {len(row)} cells where its header has {width} "
                                  f"(line {reader.line_num})"))
        yield row


def compare_csv(output: CsvOutput, norm: Normalizer, baseline_root: str, candidate_root: str) -> OutputResult:
    result = OutputResult(output.label, "csv")

    def one(b: Path, c: Path, res: OutputResult, prefix: str) -> None:
        before = len(res.differences)
        compare_csv_files(b, c, res, output, norm)
        for d in res.differences[before:]:
            d.location = prefix + d.location

    return compare_files(result, baseline_root, candidate_root, output.path, one, required=output.required)

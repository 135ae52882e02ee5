"""CSV artifacts: row by row, matched on declared keys, per-column tolerances, in bounded memory."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from jenkins2flow_runtime.model.shadow import CsvOutput

from jenkins2flow.shadow.compare.files import compare_files
from jenkins2flow.shadow.compare.table import TableSide, compare_tables
from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import OutputResult

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def compare_csv_files(
    baseline: Path, candidate: Path, result: OutputResult, output: CsvOutput, norm: Normalizer, **kw: int,
) -> OutputResult:
    with baseline.open(newline="", encoding="utf-8") as fb, candidate.open(newline="", encoding="utf-8") as fc:
        rb, rc = csv.reader(fb, delimiter=output.delimiter), csv.reader(fc, delimiter=output.delimiter)
        bh, ch = next(rb, []), next(rc, [])
        return compare_tables(
            TableSide([norm.text(h) for h in bh], rb), TableSide([norm.text(h) for h in ch], rc), result, norm=norm,
            keys=output.keys, tolerances=output.tolerances, ordered=output.ordered, **kw,
        )


def compare_csv(output: CsvOutput, norm: Normalizer, baseline_root: str, candidate_root: str) -> OutputResult:
    result = OutputResult(output.label, "csv")

    def one(b: Path, c: Path, res: OutputResult, prefix: str) -> None:
        before = len(res.differences)
        compare_csv_files(b, c, res, output, norm)
        for d in res.differences[before:]:
            d.location = prefix + d.location

    return compare_files(result, baseline_root, candidate_root, output.path, one, required=output.required)

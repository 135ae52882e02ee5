"""Timing in chunks, shared by the parser benchmarks: each ratio compares parses made under the same conditions.

A chunk is one pass over the distinct corpus files. Per chunk, every parser runs back to back, in an order that
rotates from chunk to chunk; a ratio is then the median of the per-chunk CPU-time ratios. On a shared machine a
whole-run ratio moves by +-20% from run to run (other processes, CPU frequency); the per-chunk ratios do not.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

Timing = tuple[float, float]  # (wall seconds, CPU seconds)
Files = Sequence[tuple[str, Any]]  # one corpus pass: (path, content) of every file
Parser = Callable[[Any, str], object]  # (content, path) -> result


def timed(fn: Parser, files: Files) -> Timing:
    start, cpu = time.perf_counter(), time.process_time()
    for path, data in files:
        fn(data, path)
    return time.perf_counter() - start, time.process_time() - cpu


def one_run(chunks: Sequence[Files], parsers: dict[str, Parser]) -> dict[str, list[Timing]]:
    """Every chunk through every parser, back to back, the order rotating from chunk to chunk."""
    names = list(parsers)
    out: dict[str, list[Timing]] = {name: [] for name in names}
    for i, files in enumerate(chunks):
        for name in names[i % len(names):] + names[:i % len(names)]:
            out[name].append(timed(parsers[name], files))
    return out


def total(timings: list[Timing]) -> Timing:
    return sum(t[0] for t in timings), sum(t[1] for t in timings)


def ratios(ours: list[Timing], ref: list[Timing]) -> str:
    """The median of the per-chunk CPU-time ratios ours / ref, with its quartiles."""
    values = [o[1] / r[1] for o, r in zip(ours, ref, strict=True)]
    q1, med, q3 = statistics.quantiles(values, n=4)
    return f"{med:.2f}x (quartiles {q1:.2f}-{q3:.2f}, {len(values)} chunks)"

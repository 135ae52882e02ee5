"""config.xml parser throughput and memory, next to raw lxml on the same bytes in the same run.

The corpus (`../shared/corpus/configxml`) is repeated to >= 10,000 files. Each run parses every file with
`parse_config_xml` (bytes -> Job, with the safety checks, the XML 1.1 rewrite, every element kept raw) and, as the
reference, with `lxml.etree.fromstring` alone (same bytes, declaration already rewritten to 1.0 since libxml2
rejects 1.1; no safety scan, no Python walk). Figures are medians of the runs; the ratio is ours / lxml (goal <= 3x).
Peak memory is the tracemalloc peak of one pass over all files that keeps every result (Jobs vs lxml trees),
traced separately so that tracing does not slow the timed runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from lxml import etree

from jenkins2flow.parse.job_xml import parse_config_xml

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "configxml"


def _as_10(data: bytes) -> bytes:
    return data.replace(b"version='1.1'", b"version='1.0'", 1).replace(b'version="1.1"', b'version="1.0"', 1)


def run_ours(files: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    for path, data in files:
        parse_config_xml(data, path, "bench")
    return time.perf_counter() - start


def run_lxml(files: list[tuple[str, bytes]]) -> float:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    start = time.perf_counter()
    for _path, data in files:
        etree.fromstring(data, parser)
    return time.perf_counter() - start


def peak(fn: object, files: list[tuple[str, bytes]]) -> int:
    tracemalloc.start()
    kept = [fn(data, path) for path, data in files]  # type: ignore[operator]
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return top


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000, help="at least this many files (corpus repeated)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent")
        return 0
    base = [(str(p), p.read_bytes()) for p in sorted(CORPUS.glob("*.xml"))]
    reps = -(-args.files // len(base))
    ours_in = base * reps
    lxml_in = [(p, _as_10(d)) for p, d in ours_in]
    total_mb = sum(len(d) for _, d in ours_in) / 1e6
    ours_t, lxml_t = [], []
    for _ in range(args.runs):
        lxml_t.append(run_lxml(lxml_in))
        ours_t.append(run_ours(ours_in))
    ours, ref = statistics.median(ours_t), statistics.median(lxml_t)
    n = len(ours_in)
    print(f"files: {n} ({len(base)} distinct x {reps}), {total_mb:.1f} MB; medians of {args.runs} runs")
    print(f"parse_config_xml : {ours:7.3f} s  {n / ours:9,.0f} jobs/s  {total_mb / ours:6.1f} MB/s")
    print(f"lxml fromstring  : {ref:7.3f} s  {n / ref:9,.0f} jobs/s  {total_mb / ref:6.1f} MB/s")
    print(f"ratio ours/lxml  : {ours / ref:.2f}x (goal <= 3x)")
    lxml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    ours_peak = peak(lambda data, path: parse_config_xml(data, path, "bench"), ours_in)
    lxml_peak = peak(lambda data, path: etree.fromstring(data, lxml_parser), lxml_in)
    print(f"peak memory (tracemalloc, all {n} results kept): ours {ours_peak / 1e6:.1f} MB, "
          f"lxml trees {lxml_peak / 1e6:.1f} MB (lxml's C heap is not traced by tracemalloc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

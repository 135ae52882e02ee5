"""config.xml parser throughput and memory, next to raw lxml on the same bytes in the same run.

The corpus (`../shared/corpus/configxml`) is repeated to >= 10,000 files. Each run parses every file with
`parse_config_xml` (bytes -> Job, with the safety checks, the XML 1.1 rewrite, every element kept raw) and, as the
reference, with `lxml.etree.fromstring` alone (same bytes, declaration already rewritten to 1.0 since libxml2
rejects 1.1; no safety scan, no Python walk). `parse_config_xml` is timed twice: as used (inline pipeline scripts go
through the Jenkinsfile parser, a Groovy lexer and parser) and with `read_script=False` (the XML part alone: the
script is still kept as text, not parsed), so that the XML-vs-lxml comparison can be read without the Groovy part.
Figures are medians of the runs, wall clock and CPU time of this process (CPU time is less disturbed by other
processes on a shared machine); the ratios are ours / lxml (goal <= 3x, for the XML part).
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


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def run_ours(files: list[tuple[str, bytes]], read_script: bool = True) -> Timing:
    start, cpu = time.perf_counter(), time.process_time()
    for path, data in files:
        parse_config_xml(data, path, "bench", read_script=read_script)
    return time.perf_counter() - start, time.process_time() - cpu


def run_lxml(files: list[tuple[str, bytes]]) -> Timing:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    start, cpu = time.perf_counter(), time.process_time()
    for _path, data in files:
        etree.fromstring(data, parser)
    return time.perf_counter() - start, time.process_time() - cpu


def median(runs: list[Timing]) -> Timing:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


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
    ours_t: list[Timing] = []
    xml_t: list[Timing] = []
    lxml_t: list[Timing] = []
    for _ in range(args.runs):
        lxml_t.append(run_lxml(lxml_in))
        ours_t.append(run_ours(ours_in))
        xml_t.append(run_ours(ours_in, read_script=False))
    ours, xml, ref = median(ours_t), median(xml_t), median(lxml_t)
    n = len(ours_in)
    scripts = sum(1 for _, d in base if b"CpsFlowDefinition" in d and b"<script>" in d)
    print(f"files: {n} ({len(base)} distinct x {reps}, {scripts} distinct with an inline pipeline script), "
          f"{total_mb:.1f} MB; medians of {args.runs} runs; wall clock (CPU time of this process)")
    for label, (wall, cpu) in (("parse_config_xml, scripts parsed", ours), ("parse_config_xml, XML part only", xml),
                               ("lxml fromstring", ref)):
        print(f"{label:34s}: {wall:7.3f} s ({cpu:7.3f} s)  {n / wall:9,.0f} jobs/s ({n / cpu:9,.0f})  "
              f"{total_mb / wall:6.1f} MB/s")
    print(f"ratio ours/lxml, XML part only     : {xml[0] / ref[0]:.2f}x wall ({xml[1] / ref[1]:.2f}x CPU) (goal <= 3x)")
    print(f"ratio ours/lxml, with Groovy       : {ours[0] / ref[0]:.2f}x wall ({ours[1] / ref[1]:.2f}x CPU) "
          "(inline scripts through the Jenkinsfile parser)")
    lxml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    ours_peak = peak(lambda data, path: parse_config_xml(data, path, "bench"), ours_in)
    lxml_peak = peak(lambda data, path: etree.fromstring(data, lxml_parser), lxml_in)
    print(f"peak memory (tracemalloc, all {n} results kept): ours {ours_peak / 1e6:.1f} MB, "
          f"lxml trees {lxml_peak / 1e6:.1f} MB (lxml's C heap is not traced by tracemalloc); each Job also keeps "
          f"its input bytes for its raw nodes ({total_mb:.1f} MB in all here, allocated before tracing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""config.xml parser throughput and memory, next to raw lxml on the same bytes in the same run.

The corpus (`../shared/corpus/configxml`) is repeated to >= 10,000 files. Each run parses every file with
`parse_config_xml` (bytes -> Job, with the safety checks, every element kept raw) and, as the reference, with
`lxml.etree.fromstring` alone (the same bytes; no safety scan, no Python walk). `parse_config_xml` is timed
twice: as used (inline pipeline scripts go through the Jenkinsfile parser, a Groovy lexer and parser) and with
`read_script=False` (the XML part alone: the script is still kept as text, not parsed), so that the XML-vs-lxml
comparison can be read without the Groovy part.
The files are timed in chunks (one corpus pass each; `bench/_chunks.py`): per chunk, the three parses run back to
back, in an order that rotates from chunk to chunk, so that each ratio compares parses made under the same machine
conditions. Figures: throughput from the median run (wall clock and CPU time of this process), and the
ratios ours / lxml as the median of the per-chunk CPU-time ratios, with their quartiles (goal <= 3x, for the
XML part).
Peak memory is the tracemalloc peak of one pass over all files that keeps every result (Jobs vs lxml trees),
traced separately so that tracing does not slow the timed runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from _chunks import one_run, ratios, total
from lxml import etree

from jenkins2flow.parse.job_xml import parse_config_xml

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "configxml"


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
    chunks = [base] * reps
    n = len(base) * reps
    total_mb = sum(len(d) for _, d in base) * reps / 1e6
    lxml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    parsers: dict[str, Any] = {
        "scripts": lambda data, path: parse_config_xml(data, path, "bench"),
        "xml": lambda data, path: parse_config_xml(data, path, "bench", read_script=False),
        "lxml": lambda data, path: etree.fromstring(data, lxml_parser),
    }
    runs = [one_run(chunks, parsers) for _ in range(args.runs)]
    scripts = sum(1 for _, d in base if b"CpsFlowDefinition" in d and b"<script>" in d)
    print(f"files: {n} ({len(base)} distinct x {reps}, {scripts} distinct with an inline pipeline script), "
          f"{total_mb:.1f} MB; {args.runs} runs of {reps} chunks; throughput of the median run, wall clock "
          "(CPU time of this process)")
    labels = {"scripts": "parse_config_xml, scripts parsed", "xml": "parse_config_xml, XML part only",
              "lxml": "lxml fromstring"}
    for name, label in labels.items():
        wall = statistics.median(total(run[name])[0] for run in runs)
        cpu = statistics.median(total(run[name])[1] for run in runs)
        print(f"{label:34s}: {wall:7.3f} s ({cpu:7.3f} s)  {n / wall:9,.0f} jobs/s ({n / cpu:9,.0f})  "
              f"{total_mb / wall:6.1f} MB/s")
    every = {name: [t for run in runs for t in run[name]] for name in parsers}
    print(f"ratio ours/lxml, XML part only     : {ratios(every['xml'], every['lxml'])} (goal <= 3x)")
    print(f"ratio ours/lxml, with Groovy       : {ratios(every['scripts'], every['lxml'])} "
          "(inline scripts through the Jenkinsfile parser)")
    files = base * reps
    ours_peak = peak(lambda data, path: parse_config_xml(data, path, "bench"), files)
    lxml_peak = peak(lambda data, path: etree.fromstring(data, lxml_parser), files)
    print(f"peak memory (tracemalloc, all {n} results kept): ours {ours_peak / 1e6:.1f} MB, "
          f"lxml trees {lxml_peak / 1e6:.1f} MB (lxml's C heap is not traced by tracemalloc); each Job also keeps "
          f"its input bytes for its raw nodes ({total_mb:.1f} MB in all here, allocated before tracing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

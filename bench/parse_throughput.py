"""Jenkinsfile parse throughput: the corpus repeated to >= 10,000 files, full parse vs our lexer alone.

Reference ("raw grammar" pass): `groovy_lexer.tokenize` over the same texts, i.e. the tokenization our parser
starts with. Python's own `ast`/`tokenize` read another language and are not a fair reference. Both are timed in
the same run, chunk by chunk (one corpus pass each, the two back to back in an order that rotates: `bench/_chunks.py`);
printed: the throughput of the median run, and the ratio parse / raw pass as the median of the per-chunk CPU-time
ratios, with quartiles (goal: parse within 3x of the raw pass). Peak memory is the tracemalloc peak of one full pass
over the distinct corpus files (traced separately, as tracing slows the timed runs).
Run: `.venv/bin/python bench/parse_throughput.py [--files 10000] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tracemalloc
from pathlib import Path

from _chunks import Parser, one_run, ratios, total

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "jenkinsfiles"
sys.path.insert(0, str(ROOT / "src"))
from jenkins2flow.parse.groovy_lexer import tokenize  # noqa: E402
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    paths = sorted(p for p in a.corpus.glob("*") if p.is_file())
    base = [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in paths]
    if not base:
        print(f"No Jenkinsfiles under {a.corpus}; nothing measured.")
        return 0
    reps = -(-a.files // len(base))
    n = len(base) * reps
    mb = sum(len(t) for _, t in base) * reps / 1e6
    parsers: dict[str, Parser] = {
        "lex": lambda text, path: tokenize(text),
        "parse": lambda text, path: parse_jenkinsfile(text, path),
    }
    runs = [one_run([base] * reps, parsers) for _ in range(a.runs)]
    lex_m = statistics.median(total(run["lex"])[0] for run in runs)
    parse_m = statistics.median(total(run["parse"])[0] for run in runs)
    tracemalloc.start()
    for path, text in base:
        parse_jenkinsfile(text, path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    every = {name: [t for run in runs for t in run[name]] for name in parsers}
    print(f"corpus: {len(base)} distinct Jenkinsfiles repeated to {n} files, {mb:.1f} MB; {a.runs} runs of {reps} "
          "chunks; throughput of the median run (wall clock)")
    print(f"raw pass (our lexer only):  {lex_m:.2f} s  {n / lex_m:,.0f} files/s  {mb / lex_m:.2f} MB/s")
    print(f"full parse -> Job IR:       {parse_m:.2f} s  {n / parse_m:,.0f} jobs/s  {mb / parse_m:.2f} MB/s")
    print(f"ratio parse / raw pass: {ratios(every['parse'], every['lex'])} (goal <= 3x)")
    print(f"peak memory (tracemalloc, one pass over the {len(base)} distinct files): {peak / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

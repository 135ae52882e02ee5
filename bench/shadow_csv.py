"""Shadow CSV comparison: two 1,000,000-row CSV outputs with 100 differing rows.

Each measurement runs in its own child process, so its peak RSS (VmHWM) is its own; ours runs `--repeat` times
and the median time and highest peak RSS are printed:
- ours, same row order (lockstep fast path); ours with the candidate's rows shuffled (rows parked packed as read
  in the pending maps, which stay under the default memory estimate); and shuffled with `spill_rows=200000`, which
  forces the spill to hash partitions on disk;
- a plain deepdiff of the same data (rows as {key: {column: value}}), measured at smaller sizes and extrapolated
  to 1,000,000 rows with a power-law fit (at 1,000,000 rows it would take too long to run here).

    .venv/bin/python bench/shadow_csv.py [--rows 1000000] [--diffs 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S, GOAL_MB = 10.0, 500.0


def write_pair(folder: Path, rows: int, diffs: int, *, shuffle: bool = False) -> tuple[Path, Path]:
    rng = random.Random(7)
    base, cand = folder / f"base_{rows}.csv", folder / f"cand_{rows}_{'shuf' if shuffle else 'same'}.csv"
    changed = set(rng.sample(range(rows), diffs))
    regions = ["north", "south", "east", "west"]
    body = [[str(i), regions[i % 4], f"{(i * 37) % 100000 / 100:.2f}", str(i % 17), f"order {i}"] for i in range(rows)]
    with base.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "region", "amount", "qty", "note"])
        w.writerows(body)
    for i in changed:
        body[i] = [body[i][0], body[i][1], f"{float(body[i][2]) + 1:.2f}", body[i][3], body[i][4]]
    if shuffle:
        rng.shuffle(body)
    with cand.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "region", "amount", "qty", "note"])
        w.writerows(body)
    return base, cand


def worker_ours(base: str, cand: str, **kw: int) -> dict:
    from jenkins2flow_runtime.model.shadow import CsvOutput

    from jenkins2flow.shadow.compare.csv import compare_csv_files
    from jenkins2flow.shadow.normalize import Normalizer
    from jenkins2flow.shadow.outcome import OutputResult

    out = CsvOutput.model_validate(
        {"kind": "csv", "path": "x.csv", "keys": ["order_id"], "tolerances": {"amount": {"abs": 0.001}}})
    t = time.perf_counter()
    r = compare_csv_files(Path(base), Path(cand), OutputResult("x", "csv"), out, Normalizer(), **kw)
    return {"seconds": time.perf_counter() - t, "differences": r.total_differences, "compared": r.compared}


def worker_deepdiff(base: str, cand: str) -> dict:
    from deepdiff import DeepDiff

    def load(path: str) -> dict:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            return {row["order_id"]: row for row in reader}

    t = time.perf_counter()
    dd = DeepDiff(load(base), load(cand))
    changed = len(dd.get("values_changed", {}))
    return {"seconds": time.perf_counter() - t, "differences": changed}


def peak_rss_kb() -> int:
    """VmHWM: this process's own peak RSS (ru_maxrss would include the parent's peak from before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(kind: str, base: Path, cand: Path, spill_rows: int = 0) -> dict:
    extra = ["--spill-rows", str(spill_rows)] if spill_rows else []
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(base), str(cand), *extra],
                          capture_output=True, text=True, check=True)
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["peak_rss_mb"] = data.pop("rss_kb") / 1024
    return data


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--diffs", type=int, default=100)
    parser.add_argument("--deepdiff-sizes", default="5000,10000,20000,40000")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each of ours; the median time is printed")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "BASE", "CAND"))
    parser.add_argument("--spill-rows", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, base, cand = args.worker
        kw = {"spill_rows": args.spill_rows} if args.spill_rows else {}
        data = worker_ours(base, cand, **kw) if kind == "ours" else worker_deepdiff(base, cand)
        data["rss_kb"] = peak_rss_kb()
        print(json.dumps(data))
        return 0
    with tempfile.TemporaryDirectory(prefix="j2f-bench-") as tmp:
        folder = Path(tmp)
        base, same = write_pair(folder, args.rows, args.diffs)
        _, shuffled = write_pair(folder, args.rows, args.diffs, shuffle=True)
        size_mb = base.stat().st_size / 1e6
        print(f"{args.rows:,} rows x 5 columns ({size_mb:.0f} MB per file), {args.diffs} rows differ")
        ok = True
        runs = (("ours, same order", same, 0), ("ours, shuffled", shuffled, 0),
                ("ours, shuffled, spilled", shuffled, 200_000))
        for label, cand, spill_rows in runs:
            ms = [measure("ours", base, cand, spill_rows) for _ in range(max(1, args.repeat))]
            seconds = statistics.median(m["seconds"] for m in ms)
            rss = max(m["peak_rss_mb"] for m in ms)
            ok &= all(m["differences"] == args.diffs for m in ms)
            meets = seconds < GOAL_S and rss < GOAL_MB
            ok &= meets
            print(f"  {label:24} {seconds:6.2f} s (median of {len(ms)}, "
                  f"{min(m['seconds'] for m in ms):.2f}-{max(m['seconds'] for m in ms):.2f})  peak RSS {rss:6.0f} MB  "
                  f"{ms[0]['differences']} differences  {'meets' if meets else 'MISSES'} goal (<{GOAL_S:g} s, "
                  f"<{GOAL_MB:g} MB)")
        points = []
        for n in (int(s) for s in args.deepdiff_sizes.split(",")):
            b, c = write_pair(folder, n, max(1, args.diffs * n // args.rows))
            m = measure("deepdiff", b, c)
            points.append((n, m["seconds"], m["peak_rss_mb"]))
            print(f"  plain deepdiff {n:>9,} rows {m['seconds']:6.2f} s  peak RSS {m['peak_rss_mb']:6.0f} MB")
        # power-law fit on time, linear fit on memory above the interpreter's base, extrapolated to args.rows
        (n1, t1, r1), (n2, t2, r2) = points[0], points[-1]
        k = math.log(t2 / t1) / math.log(n2 / n1)
        t_est = t2 * (args.rows / n2) ** k
        r_est = r2 + (r2 - r1) / (n2 - n1) * (args.rows - n2)
        print(f"  plain deepdiff {args.rows:>9,} rows ~{t_est:6.0f} s  peak RSS ~{r_est:6.0f} MB  "
              f"(extrapolated: time ~ n^{k:.2f}, memory linear)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

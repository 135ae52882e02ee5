"""A generated JENKINS_HOME converted end to end (the estate service: catalog store + DAG files), measured next to
parsing the same estate alone, in the same run.

The estate is generated from ../shared/corpus into a temp dir: config.xml files as they are, Jenkinsfiles wrapped in
flow-definition config.xml, cycled (50 folders) until N jobs. Each run, in a fresh store, measures in turn:
- parse only: every job read and parsed (`sources.Inputs`), nothing else: the reference;
- first run: `EstateService.convert` into an empty SQLite store with --dags-dir (convert, save, publish, DAG files,
  the report kept next to the catalog);
- re-run: the same again on the unchanged estate (every job left alone).
Each phase runs in a child process of its own, so that its peak memory (max RSS) is its own. Printed: the medians
over the runs of jobs/s per phase, the ratios end to end / parse only (goal >= 1/3) and re-run / first run (goal
>= 5x), and each phase's peak RSS (goal <= 300 MiB at 10,000 and 50,000 jobs), each goal MET or NOT MET, and the
machine's load average before and after (the ratios are measured in the same run, but a shared machine's load
moves between phases). `--profile` prints the 15 functions with the most cumulative time of one first run
(cProfile; slower, and it inflates functions called very often).

Usage: python bench/convert_estate.py [--jobs 10000] [--runs 3] [--profile] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FLOW = ("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job\"><description/>"
        "<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\"><script>{}</script>"
        "<sandbox>true</sandbox></definition></flow-definition>\n")
PHASES = ("parse", "first", "rerun")
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "runtime" / "src")]  # this checkout's code, in the children too


GOALS = {"e2e": 1 / 3, "rerun": 5.0, "rss_mib": 300.0}


def generate(home: Path, n: int, corpus: Path = CORPUS) -> None:
    sources = [p.read_bytes() for p in sorted((corpus / "configxml").glob("*.xml"))]
    sources += [FLOW.format(html.escape(p.read_text(encoding="utf-8", errors="replace"))).encode("utf-8")
                for p in sorted((corpus / "jenkinsfiles").glob("*"))]
    for i in range(n):
        folder = home / "jobs" / f"team{i % 50}"
        job = folder / "jobs" / f"job{i}"
        job.mkdir(parents=True, exist_ok=True)
        (job / "config.xml").write_bytes(sources[i % len(sources)])
        if not (folder / "config.xml").exists():
            (folder / "config.xml").write_text("<com.cloudbees.hudson.plugins.folder.Folder/>", encoding="utf-8")


def child(phase: str, home: str, work: str, profile: bool, workers: int) -> dict[str, object]:
    """One phase, in this (child) process: its figures as JSON-ready data."""
    from jenkins2flow.estate_service import EstateOptions, EstateService
    from jenkins2flow.sources import Inputs

    start = time.perf_counter()
    cpu = _cpu()
    pss = _PeakPss()
    if phase == "parse":
        jobs = sum(1 for _ in Inputs([home]))
        out: dict[str, object] = {"jobs": jobs}
    else:
        options = EstateOptions(store=str(Path(work) / "store.db"), dags_dir=Path(work) / "dags", workers=workers)
        service = EstateService([home], options)
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            run = profiler.runcall(service.convert)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(15)
        else:
            run = service.convert()
        t = run.totals
        out = {"jobs": t.jobs, "statuses": dict(t.statuses), "left_alone": t.unchanged_jobs,
               "documents_new": t.documents_new, "documents_unchanged": t.documents_unchanged,
               "dags_written": t.dags_written, "dags_unchanged": t.dags_unchanged,
               "reuse": run.report.totals()["reuse"]}
        run.report.close()
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = _cpu() - cpu
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["worker_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker's
    out["workers"] = workers if phase != "parse" else 0
    out["pss_mib"] = pss.stop()
    return out


class _PeakPss(threading.Thread):
    """The peak of the phase's proportional set size, its process's and its workers' together (a page shared by
    processes counts once in all), sampled every 0.2 s from /proc (0 where there is no /proc)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, self.sample())

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, self.sample()) / 1024

    @staticmethod
    def sample() -> int:
        pids = [os.getpid()]
        try:
            for task in Path(f"/proc/{os.getpid()}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
            return sum(_pss_kib(pid) for pid in pids)
        except OSError:
            return 0


def _pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # a worker that just ended
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def _cpu() -> float:
    """CPU seconds of this process and of its workers (once they ended)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_phase(phase: str, home: Path, work: Path, workers: int, profile: bool = False) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", phase, "--home", str(home), "--work", str(work),
           "--workers", str(workers)]
    proc = subprocess.run(cmd + (["--profile"] if profile else []), capture_output=True, text=True, check=False)
    if profile:
        print(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    if proc.returncode or not lines:
        raise SystemExit(f"the {phase} phase failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(lines[-1][4:])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="Print a cProfile of one first run (slower).")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="The corpus the estate is generated from "
                    "(configxml/ and jenkinsfiles/; default: ../shared/corpus beside this checkout).")
    ap.add_argument("--workers", type=int, default=0, help="Worker processes of the conversions (convert "
                    "--workers; default 0, as convert: one process).")
    ap.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print("JSON" + json.dumps(child(a.child, a.home, a.work, a.profile, a.workers)))
        return 0
    if not (a.corpus / "configxml").is_dir():
        print(f"No corpus at {a.corpus}; nothing measured (give one with --corpus).")
        return 0
    print(f"load average before: {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "jenkins_home"
        t0 = time.perf_counter()
        generate(home, a.jobs, a.corpus)
        print(f"generated {a.jobs:,} jobs (+50 folders) in {time.perf_counter() - t0:.1f}s; {a.runs} runs, each "
              f"phase in its own process; {a.workers} worker process(es) beside the main one in the conversions")
        runs: list[dict[str, dict[str, object]]] = []
        for i in range(a.runs):
            work = Path(tmp) / f"run{i}"
            work.mkdir()
            runs.append({phase: run_phase(phase, home, work, a.workers, a.profile and i == 0 and phase == "first")
                         for phase in PHASES})
            r = runs[-1]
            print(f"run {i + 1}: " + "; ".join(f"{p} {r[p]['seconds']:.1f}s ({r[p]['rss_mib']:.0f} MiB)"
                                               for p in PHASES), flush=True)
    print(f"load average after: {_load()}")
    report(runs)
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" (1, 5, 15 min; {os.cpu_count()} cores)"


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def _rate(r: dict[str, object]) -> float:
    return float(r["jobs"]) / float(r["seconds"])  # type: ignore[arg-type]


def report(runs: list[dict[str, dict[str, object]]]) -> None:
    med = {p: statistics.median(_rate(r[p]) for r in runs) for p in PHASES}
    e2e = statistics.median(_rate(r["first"]) / _rate(r["parse"]) for r in runs)
    rerun = statistics.median(_rate(r["rerun"]) / _rate(r["first"]) for r in runs)
    first, again = runs[0]["first"], runs[0]["rerun"]
    print(f"jobs (incl. folders): {first['jobs']:,}; statuses {first['statuses']}")
    print(f"first run: {first['documents_new']:,} new document versions, {first['documents_unchanged']:,} unchanged; "
          f"{first['dags_written']:,} DAG files written; re-run: {again['left_alone']:,} jobs left alone, "
          f"{again['documents_new']} new versions, {again['dags_written']} DAG files written")
    reuse = first["reuse"]
    assert isinstance(reuse, dict)
    print(f"reuse: {reuse['pipeline_tasks']:,} pipeline tasks -> {reuse['distinct_tasks']:,} distinct tasks")
    print("medians of the runs (jobs/s): " + ", ".join(f"{p} {med[p]:,.1f}" for p in PHASES))
    print("per run, first run / parse only: " + ", ".join(f"{_rate(r['first']) / _rate(r['parse']):.2f}" for r in runs))
    # a phase's memory: its process's peak RSS plus each worker's (the largest worker's, times the workers): an upper
    # bound, as forked workers share the pages they did not write with the main process
    rss = {p: max(float(r[p]["rss_mib"]) + int(r[p]["workers"]) * float(r[p]["worker_rss_mib"])  # type: ignore[arg-type]
                  for r in runs) for p in PHASES}
    cpu = {p: statistics.median(float(r[p]["cpu_seconds"]) * 1000 / float(r[p]["jobs"]) for r in runs)  # type: ignore[arg-type]
           for p in PHASES}
    print("CPU ms per job (main process and workers; medians): " + ", ".join(f"{p} {cpu[p]:.2f}" for p in PHASES) +
          f"; first run / parse only: {cpu['first'] / cpu['parse']:.2f}x the CPU")
    print(f"goal end to end >= 1/3 of parse only: {e2e:.2f} (median of the runs' ratios) "
          f"{_met(e2e >= GOALS['e2e'])}")
    print(f"goal re-run >= 5x faster than the first run: {rerun:.1f}x {_met(rerun >= GOALS['rerun'])}")
    workers = ", ".join(f"{p} {r[p]['rss_mib']:.0f} + {r[p]['workers']} x {r[p]['worker_rss_mib']:.0f}"
                        for p in PHASES for r in runs[:1])
    pss = {p: max(float(r[p]["pss_mib"]) for r in runs) for p in PHASES}  # type: ignore[arg-type]
    print("peak PSS, main process and workers together (max over the runs): " +
          ", ".join(f"{p} {pss[p]:.0f}" for p in PHASES) + " MiB")
    print("goal peak RSS <= 300 MiB (max over the runs, main + workers): " +
          ", ".join(f"{p} {rss[p]:.0f}" for p in PHASES) + f" MiB {_met(max(rss.values()) <= GOALS['rss_mib'])} "
          f"(first run's: {workers})")


if __name__ == "__main__":
    sys.exit(main())

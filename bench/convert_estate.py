"""Convert a generated 10,000-job JENKINS_HOME into the SQLite store plus DAG files; print jobs/s and peak memory.

The estate is generated from ../shared/corpus into a temp dir: config.xml files as they are, Jenkinsfiles wrapped in
flow-definition config.xml, cycled (with folders) until N jobs. Usage: python bench/convert_estate.py [N]
"""

from __future__ import annotations

import html
import resource
import sys
import tempfile
import time
from pathlib import Path

from jenkins2flow_runtime.store import open_store

from jenkins2flow.convert.estate import convert_estate, iter_jobs
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.render.dag import write_stored_dag

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FLOW = ("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job\"><description/>"
        "<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\"><script>{}</script>"
        "<sandbox>true</sandbox></definition></flow-definition>\n")


def generate(home: Path, n: int) -> None:
    sources = [p.read_bytes() for p in sorted((CORPUS / "configxml").glob("*.xml"))]
    sources += [FLOW.format(html.escape(p.read_text(encoding="utf-8", errors="replace"))).encode("utf-8")
                for p in sorted((CORPUS / "jenkinsfiles").glob("*"))]
    for i in range(n):
        folder = home / "jobs" / f"team{i % 50}"
        job = folder / "jobs" / f"job{i}"
        job.mkdir(parents=True, exist_ok=True)
        (job / "config.xml").write_bytes(sources[i % len(sources)])
        if not (folder / "config.xml").exists():
            (folder / "config.xml").write_text("<com.cloudbees.hudson.plugins.folder.Folder/>", encoding="utf-8")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "jenkins_home"
        t0 = time.perf_counter()
        generate(home, n)
        print(f"generated {n} jobs in {time.perf_counter() - t0:.1f}s")
        dags = Path(tmp) / "dags"
        counts = {"saved": 0, "dags": 0}
        t0 = time.perf_counter()
        with open_store(str(Path(tmp) / "store.db"), create=True) as store:
            def on_job(conv):  # type: ignore[no-untyped-def]
                if conv.pipeline is None:
                    return
                saved = save_conversion(store, conv)
                write_stored_dag(dags, store, saved)
                counts["saved"] += 1
                counts["dags"] += 1

            estate = convert_estate(iter_jobs([str(home)]), on_job=on_job)
        elapsed = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        jobs = len(estate.conversions)
        reuse = estate.reuse()
        print(f"converted {jobs} jobs (incl. folders) in {elapsed:.1f}s: {jobs / elapsed:.1f} jobs/s; "
              f"{counts['saved']} pipelines saved and rendered")
        print(f"statuses {estate.by('status')}")
        print(f"reuse: {reuse['pipeline_tasks']} pipeline tasks -> {reuse['distinct_tasks']} distinct tasks; "
              f"{reuse['jobs_with_parameters']} parameter sets -> {reuse['distinct_parameter_templates']} templates")
        print(f"peak memory (max RSS of the process) {rss:.0f} MiB")


if __name__ == "__main__":
    main()

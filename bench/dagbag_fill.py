"""DagBag fill for N published pipelines of 5 tasks read from the store, next to the same pipelines as static DAG
files (`jenkins2flow render`: one file each, no store read), a hand-written Python loop that builds the same DAGs
in one DAG file, and dag-factory on equivalent YAML; medians of 3 and ratios.

    .venv/bin/python bench/dagbag_fill.py [--pipelines 1000] [--runs 3] [--profile]

Each measurement runs in a fresh Python process (like the DAG processor's per-file parse): Airflow, DagBag and
the runtime are imported first, then only `DagBag(dag_folder=...)` is timed. The jenkins2flow store holds, per
pipeline, 5 concrete tasks of its own (3 shell, 1 python, 1 container: 5,000 task documents, no reuse, the worst
case for the store read) and one shared parameter template; the snapshot is warm (written on the first parse).
dag-factory needs `pip install -e ".[bench]"`; it is skipped when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = 5
LOOP_FILE = '''
from datetime import datetime, timezone
from airflow.sdk import DAG, Param, chain
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.timetables.trigger import CronTriggerTimetable


def work(**kwargs):
    return None


for i in range({n}):
    with DAG(
        dag_id=f"loop_{{i:05d}}",
        schedule=CronTriggerTimetable("0 2 * * *", timezone="UTC"),
        start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        params={{"RUN_DATE": Param("2024-01-01", type=["string", "null"]),
                 "LIMIT": Param(3, type=["integer", "null"])}},
        tags=["bench"],
        doc_md=f"pipeline {{i}}",
        default_args={{"owner": "bench"}},
    ) as dag:
        chain(
            BashOperator(task_id="extract", bash_command="echo extract $RUN_DATE"),
            BashOperator(task_id="transform", bash_command="echo transform"),
            PythonOperator(task_id="compute", python_callable=work),
            BashOperator(task_id="load", bash_command="echo load"),
            BashOperator(task_id="report", bash_command="echo report"),
        )
    globals()[dag.dag_id] = dag
'''
FACTORY_FILE = '''# airflow DAG file (DagBag's safe mode only parses files that mention both words)
from pathlib import Path
from dagfactory import load_yaml_dags
load_yaml_dags(globals_dict=globals(), config_filepath=str(Path(__file__).with_name("dags.yml")))
'''
J2F_FILE = "from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())\n"
MEASURE = '''
import sys, time, json
from airflow.dag_processing.dagbag import DagBag
import airflow.providers.standard.operators.bash, airflow.providers.standard.operators.python
import jenkins2flow_runtime.airflow
{extra}
t, c = time.perf_counter(), time.process_time()
bag = DagBag(dag_folder=sys.argv[1])
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "dags": len(bag.dags), "errors": len(bag.import_errors),
                  "tasks": sum(len(d.tasks) for d in bag.dags.values())}}))
'''


def build_store(path: Path, n: int) -> None:
    from jenkins2flow_runtime import model
    from jenkins2flow_runtime.store import open_store

    docs = [model.make("parameter_template", "run", {"parameters": [
        {"name": "RUN_DATE", "type": "string", "default": "2024-01-01"},
        {"name": "LIMIT", "type": "integer", "default": 3}]})]
    for i in range(n):
        p = f"p{i:05d}"
        kinds = [("extract", {"type": "shell", "command": f"echo extract $RUN_DATE {i}"}),
                 ("transform", {"type": "shell", "command": f"echo transform {i}"}),
                 ("compute", {"type": "python", "callable": f"bench_jobs.p{i}:compute"}),
                 ("load", {"type": "container", "image": f"registry/load:{i}", "command": "load"}),
                 ("report", {"type": "shell", "command": f"echo report {i}"})]
        docs += [model.make("concrete_task", f"{p}.{t}", spec) for t, spec in kinds]
        docs.append(model.make("pipeline", p, {
            "schedule": {"cron": ["0 2 * * *"], "timezone": "UTC", "jenkins_spec": "H 2 * * *"},
            "parameters": {"templates": [{"kind": "parameter_template", "name": "run"}]},
            "tasks": [{"id": t, "uses": {"kind": "concrete_task", "name": f"{p}.{t}"},
                       "depends_on": [kinds[k - 1][0]] if k else []} for k, (t, _) in enumerate(kinds)],
            "owners": ["bench"], "tags": ["bench"], "provenance": {"job": f"bench/{p}"},
        }))
    with open_store(str(path), create=True) as store:
        saved = store.save_many(docs, by="bench")
        for d in sorted(saved, key=lambda d: d.kind == "pipeline"):
            store.publish(d.kind, d.name, d.version, by="bench")


def factory_yaml(n: int) -> str:
    import yaml

    config: dict[str, object] = {"default": {"default_args": {"owner": "bench", "start_date": "2024-01-01"},
                                             "schedule": "0 2 * * *", "catchup": False}}
    for i in range(n):
        tasks = {}
        prev = None
        for t in ("extract", "transform", "compute", "load", "report"):
            task: dict[str, object] = {"operator": "airflow.providers.standard.operators.bash.BashOperator",
                                       "bash_command": f"echo {t}"}
            if prev:
                task["dependencies"] = [prev]
            tasks[t] = task
            prev = t
        config[f"factory_{i:05d}"] = {"tags": ["bench"], "doc_md": f"pipeline {i}", "tasks": tasks}
    return yaml.safe_dump(config, sort_keys=False)


def measure(folder: Path, env: dict[str, str], extra: str = "") -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE.format(extra=extra), str(folder)], env=env,
                         capture_output=True, text=True, check=False)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise RuntimeError(f"measurement in {folder} failed:\n{out.stderr[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipelines", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one jenkins2flow fill")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="j2f-bench-dagbag-"))
    env = dict(os.environ, AIRFLOW_HOME=str(root / "airflow"), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__CORE__UNIT_TEST_MODE="False", AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{root}/af.db",
               AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY="False", SCARF_ANALYTICS="false", DO_NOT_TRACK="1",
               JENKINS2FLOW_STORE=str(root / "store.db"), JENKINS2FLOW_SNAPSHOT=str(root / "snapshot.json"),
               PYTHONWARNINGS="ignore")
    t = time.perf_counter()
    build_store(root / "store.db", args.pipelines)
    print(f"store: {args.pipelines} pipelines + {args.pipelines * TASKS} tasks saved and published "
          f"in {time.perf_counter() - t:.1f} s ({root})")
    folders = {"jenkins2flow (store)": root / "j2f", "jenkins2flow (static files)": root / "static",
               "hand-written loop": root / "loop"}
    for f in folders.values():
        f.mkdir()
    from jenkins2flow_runtime.catalog import load_from_store

    from jenkins2flow.render.dag import render_catalog

    t = time.perf_counter()
    rendered = render_catalog(load_from_store(str(root / "store.db")), root / "static")
    print(f"render: {len(rendered.written)} static DAG files written in {time.perf_counter() - t:.1f} s "
          f"({sum(w.path.stat().st_size for w in rendered.written) / 1e6:.1f} MB)")
    (root / "j2f" / "jenkins2flow_dags.py").write_text(J2F_FILE)
    (root / "loop" / "loop_dags.py").write_text(LOOP_FILE.format(n=args.pipelines))
    try:
        import dagfactory  # noqa: F401

        folders["dag-factory (one YAML)"] = root / "factory"
        (root / "factory").mkdir()
        (root / "factory" / "factory_dags.py").write_text(FACTORY_FILE)
        (root / "factory" / "dags.yml").write_text(factory_yaml(args.pipelines))
    except ImportError:
        print("dag-factory not installed (pip install -e '.[bench]'): skipped")
    measure(root / "j2f", env)  # first parse writes the snapshot
    if args.profile:
        prof = root / "j2f.prof"
        measure(root / "j2f", env, extra=f"import cProfile; cProfile.run('DagBag(dag_folder=sys.argv[1])', "
                                         f"{str(prof)!r})")
        import pstats

        pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(35)
    results: dict[str, list[float]] = {k: [] for k in folders}
    cpu: dict[str, list[float]] = {k: [] for k in folders}
    counts: dict[str, tuple[int, int, int]] = {}
    for _ in range(args.runs):
        for name, folder in folders.items():  # interleaved, so drift hits every variant alike
            r = measure(folder, env)
            results[name].append(r["seconds"])
            cpu[name].append(r["cpu"])
            counts[name] = (int(r["dags"]), int(r["tasks"]), int(r["errors"]))
    print(f"\nDagBag fill, {args.pipelines} DAGs x {TASKS} tasks, median of {args.runs} (fresh process each); "
          "CPU = process time of the parse (stable on a shared machine), wall = elapsed:")
    print("| variant | CPU s (median) | ratio | wall s (median) | ratio | wall runs | DAGs | tasks | import errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    base_cpu = statistics.median(cpu["hand-written loop"])
    base_wall = statistics.median(results["hand-written loop"])
    for name, values in results.items():
        med, med_cpu = statistics.median(values), statistics.median(cpu[name])
        dags, tasks, errors = counts[name]
        runs = " ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | {med_cpu:.2f} | {med_cpu / base_cpu:.2f}x | {med:.2f} | {med / base_wall:.2f}x | {runs} "
              f"| {dags} | {tasks} | {errors} |")
    j2f = statistics.median(cpu["jenkins2flow (store)"])
    goal = j2f <= 1.3 * base_cpu
    if "dag-factory (one YAML)" in cpu:
        goal = goal and j2f < statistics.median(cpu["dag-factory (one YAML)"])
    print(f"\ngoal on CPU time (<= 1.3x the loop and faster than dag-factory): {'met' if goal else 'NOT met'}")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())

"""The catalog UI's list and search pages with 10,000 pipelines (and their 30,000 tasks) in a SQLite store.

`jenkins2flow ui` runs in a child process (uvicorn, as a user runs it); one client asks for each page in turn over
keep-alive HTTP with an API token. Prints, per page, pages/s and the p50 / p99 latency, and, measured in the same
run, the store's own `list("pipeline")` call (what a page would cost without the UI's index). Goal: list and
search pages under 200 ms p99.

    .venv/bin/python bench/ui_list.py [--pipelines 10000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from jenkins2flow_runtime.store import open_store
from jenkins2flow_runtime.ui.auth import add_token
from store_bulk import documents

ROOT = Path(__file__).resolve().parents[1]
GOAL_MS = 200.0
PAGES = [
    ("catalog, first page", "/catalog", {}),
    ("catalog, pipelines, page 100", "/catalog", {"kind": "pipeline", "page_no": "100"}),
    ("catalog, filtered (tag, status)", "/catalog", {"tag": "shard-3", "status": "published"}),
    ("search, one match", "/catalog", {"q": "folder/job-4242"}),
    ("search, 1,111 matches", "/catalog", {"q": "pipe-1"}),
    ("search, no match", "/catalog", {"q": "nothing-like-this"}),
    ("API list, searched", "/api/v1/pipelines", {"q": "job-777"}),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store_path = str(Path(tmp) / "store.db")
        tasks, pipes = documents(args.pipelines)
        with open_store(store_path, create=True) as store:
            saved = store.save_many([*tasks, *pipes], by="bench")
            for d in saved[: len(tasks)]:  # publish every task, then every other pipeline
                store.publish(d.kind, d.name, d.version, by="bench")
            for d in saved[len(tasks)::2]:
                store.publish(d.kind, d.name, d.version, by="bench")
            lists = []
            for _ in range(5):
                start = time.perf_counter()
                count = len(store.list("pipeline"))
                lists.append(time.perf_counter() - start)
        users = Path(tmp) / "users.yaml"
        token = add_token(users, "bench", role="viewer")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "runtime" / "src"),
                                                           os.environ.get("PYTHONPATH", "")])}
        server = subprocess.Popen(
            [sys.executable, "-m", "jenkins2flow.cli", "ui", "--store", store_path, "--port", str(port),
             "--users", str(users), "--state-dir", tmp], env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
                while True:
                    try:
                        client.get("/healthz")
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                start = time.perf_counter()
                assert client.get("/catalog").status_code == 200
                first = time.perf_counter() - start
                print(f"store: {count:,} pipelines + {len(tasks):,} tasks (SQLite); UI: `jenkins2flow ui` in a child "
                      f"process, 1 client, {args.requests} requests per page after 5 warm-up requests")
                print(f"first page after the start (waits for the index the UI builds at start): {first:.2f} s")
                print(f"{'page':<34}{'pages/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'KB':>7}")
                worst = 0.0
                for label, path, params in PAGES:
                    for _ in range(5):
                        client.get(path, params=params)
                    times = []
                    size = 0
                    run_start = time.perf_counter()
                    for _ in range(args.requests):
                        t0 = time.perf_counter()
                        response = client.get(path, params=params)
                        times.append(time.perf_counter() - t0)
                        assert response.status_code == 200, response.text[:200]
                        size = len(response.content)
                    rate = args.requests / (time.perf_counter() - run_start)
                    p99 = percentile(times, 99) * 1000
                    worst = max(worst, p99)
                    print(f"{label:<34}{rate:>9.0f}{statistics.median(times) * 1000:>9.1f}{p99:>9.1f}"
                          f"{size / 1024:>7.0f}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print(f"reference, same run: store.list('pipeline') of {count:,} pipelines: p50 "
          f"{statistics.median(lists) * 1000:.0f} ms (5 calls)")
    print(f"goal: every list and search page under {GOAL_MS:.0f} ms p99: {'met' if worst < GOAL_MS else 'NOT met'} "
          f"(worst p99 {worst:.1f} ms)")
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())

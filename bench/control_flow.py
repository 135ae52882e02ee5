"""try/catch/finally, catchError, post, timeouts and retries on ../shared/corpus, before and after (issue 12 classes
5 and 8): how many jobs use them, what the ledger says of them, the trigger rules that leak onto tasks running
Jenkins steps, pipeline timeouts copied onto every task, and the control tasks added.

Both sides are converted by bench/honesty.py's dump (a subprocess per tree; "before" is a git revision checked out
in a temporary `git worktree`, "after" this working tree).

Usage: python bench/control_flow.py [--before REV] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from honesty import CORPUS, SETS, before_and_after, columns  # noqa: E402

# ledger keys of the elements these classes cover
KEYS = {"try": "try", "catch": "catch", "catchError": "catchError", "warnError": "warnError",
        "currentBuild.result": "currentBuild.result", "timeout": "timeout", "retry": "retry", "post": "post",
        "hudson.plugins.build__timeout.BuildTimeoutWrapper": "build-timeout",
        "com.chikli.hudson.plugin.naginator.NaginatorPublisher": "naginator"}
# the task documents that only decide (gates, ends, clocks): rules that wait for failures belong there
CONTROL = {"airflow.enter", "airflow.block-gate", "airflow.block-end", "airflow.build-result", "airflow.when-gate",
           "airflow.post-gate"}
WAITS = {"one_failed", "all_done", "one_success", "one_done", "all_failed"}


def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    uses: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    leaks: Counter[str] = Counter()
    control: Counter[str] = Counter()
    copied = dagrun = deadlines = jobs_with = 0
    for row in rows:
        found = {KEYS[k] for _, k, _ in row.get("ledger", []) if k in KEYS}
        jobs_with += bool(found)
        uses.update(found)
        outcomes.update(f"{KEYS[k]}: {o}" for o, k, _ in row.get("ledger", []) if k in KEYS)
        spec = row["pipeline"]
        if spec is None:
            continue
        tasks = spec["tasks"] + spec.get("draft_tasks", [])
        for t in tasks:
            name = t["uses"]["name"]
            if name in CONTROL:
                control[name] += 1
            elif t["trigger_rule"] in WAITS:
                leaks[name.split(".")[0] + "." + name.split(".")[1].split("-")[0] if "." in name else name] += 1
            deadlines += bool(t.get("deadlines"))
        limits = {t["timeout_seconds"] for t in tasks}
        copied += len(tasks) > 1 and len(limits) == 1 and None not in limits
        dagrun += bool(spec.get("dagrun_timeout_seconds"))
    return {"jobs": len(rows), "jobs_using": jobs_with, "uses": dict(uses), "outcomes": dict(outcomes),
            "leaks": dict(leaks), "control": dict(control), "same_timeout_on_every_task": copied,
            "dagrun_timeout": dagrun, "tasks_with_deadlines": deadlines}


def show(before: dict[str, Any], after: dict[str, Any], rev: str) -> str:
    rows = [("jobs", before["jobs"], after["jobs"]), ("jobs using these elements", before["jobs_using"],
                                                      after["jobs_using"])]
    rows += [(f"jobs using {k}", before["uses"].get(k, 0), after["uses"].get(k, 0))
             for k in sorted(set(before["uses"]) | set(after["uses"]))]
    rows += [(f"ledger {k}", before["outcomes"].get(k, 0), after["outcomes"].get(k, 0))
             for k in sorted(set(before["outcomes"]) | set(after["outcomes"]))]
    rows += [(f"step tasks waiting for failures ({k})", before["leaks"].get(k, 0), after["leaks"].get(k, 0))
             for k in sorted(set(before["leaks"]) | set(after["leaks"]))]
    rows += [("step tasks waiting for failures (total)", sum(before["leaks"].values()),
              sum(after["leaks"].values())),
             ("pipelines with one timeout on every task", before["same_timeout_on_every_task"],
              after["same_timeout_on_every_task"]),
             ("pipelines with a dagrun_timeout", before["dagrun_timeout"], after["dagrun_timeout"]),
             ("tasks in a timeout group", before["tasks_with_deadlines"], after["tasks_with_deadlines"])]
    rows += [(f"control tasks {k}", before["control"].get(k, 0), after["control"].get(k, 0))
             for k in sorted(set(before["control"]) | set(after["control"]))]
    return columns(rows, rev)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="3832437", help="git revision to compare with (default: 3832437)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    folders = [args.corpus / s for s in SETS]
    if not all(f.is_dir() for f in folders):
        raise SystemExit(f"{args.corpus}: expected {', '.join(SETS)} in it (the shared corpus).")
    before, after = before_and_after(args.before, folders)
    print(show(measure(before), measure(after), args.before))


if __name__ == "__main__":
    main()

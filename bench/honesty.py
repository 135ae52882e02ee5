"""Honest conversions on ../shared/corpus, before and after: per-status counts, pipelines that trigger the Jenkins job
more than once per run, and the no-silent-error lint's findings by kind (issue 12).

Both sides are measured the same way: a subprocess converts the corpus with one tree's code and dumps every
pipeline and its documents as JSON (`--dump`); this tree's lint (convert.lint) then reads each dumped pipeline.
"before" is a git revision (default 1c01209, the session's starting point) checked out in a temporary
`git worktree`; "after" is this working tree. Findings are counted in the tasks that run (what Airflow executes)
and, for jenkins_only pipelines, in the draft kept for review (never run).

Usage: python bench/honesty.py [--before REV] [--corpus DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SETS = ("jenkinsfiles", "configxml")
FALLBACK = "jenkins.run-original-job"
STATUSES = ("converted", "partial", "jenkins_only", "unsupported", "failed")
KINDS = ("unbound", "groovy", "gate", "fallback")


def dump(folders: list[str]) -> list[dict[str, Any]]:
    """Convert each folder with the code on sys.path; only APIs every revision has (convert_estate, the ledger)."""
    from jenkins2flow.convert.estate import convert_estate, iter_jobs

    out = []
    for folder in folders:
        for c in convert_estate(iter_jobs([folder])).conversions:
            out.append({
                "set": Path(folder).name, "job": c.job, "status": c.status,
                "placeholders": sum(1 for e in c.ledger if e.outcome == "placeholder"),
                "ledger": [[e.outcome, e.key, e.element] for e in c.ledger],  # read by bench/control_flow.py
                "pipeline": c.pipeline.model_dump(mode="json") if c.pipeline is not None else None,
                "documents": [{"kind": d.kind, "name": d.name, "spec": d.spec.model_dump(mode="json")}
                              for d in (*c.templates, *c.tasks)],
            })
    return out


def run_dump(tree: Path, folders: list[Path]) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree / 'runtime' / 'src'}",
           "JENKINS2FLOW_PURE": "1"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--dump", *map(str, folders)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"converting with {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def before_and_after(rev: str, folders: list[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dumped conversions of `folders` by git revision `rev` (in a temporary worktree) and by this tree."""
    with tempfile.TemporaryDirectory(prefix="j2f-before-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev],
                       check=True)
        try:
            before = run_dump(tree, folders)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    return before, run_dump(ROOT, folders)


def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over dumped conversions, the lint run by this tree's code."""
    from jenkins2flow_runtime import model

    from jenkins2flow.convert.lint import lint_tasks, parameter_names
    from jenkins2flow.ir import Span

    statuses: Counter[str] = Counter()
    running: Counter[str] = Counter()
    draft: Counter[str] = Counter()
    multi, most, with_findings = 0, 0, 0
    for row in rows:
        statuses[row["status"]] += 1
        if row["pipeline"] is None:
            continue
        spec = model.PipelineSpec.model_validate(row["pipeline"])
        docs = {d["name"]: model.make(d["kind"], d["name"], d["spec"]) for d in row["documents"]}
        triggers = sum(1 for t in spec.tasks if t.uses.name == FALLBACK)
        multi += triggers > 1
        most = max(most, triggers)
        params = parameter_names(spec, docs)
        where = Span(spec.provenance.source or row["job"])
        found = lint_tasks(spec.tasks, docs, params, {}, where)
        running.update(f.kind for f in found)
        with_findings += bool(found)
        draft.update(f.kind for f in lint_tasks(spec.draft_tasks, docs, params, {}, where, runs=False))
    return {"jobs": len(rows), "status": dict(statuses), "multi_trigger": multi, "most_triggers": most,
            "lint": dict(running), "jobs_with_findings": with_findings, "draft_lint": dict(draft)}


def table(before: dict[str, Any], after: dict[str, Any], rev: str) -> str:
    rows = [("jobs", before["jobs"], after["jobs"])]
    rows += [(f"status {s}", before["status"].get(s, 0), after["status"].get(s, 0)) for s in STATUSES]
    rows += [("pipelines triggering the Jenkins job > once", before["multi_trigger"], after["multi_trigger"]),
             ("most Jenkins triggers in one pipeline", before["most_triggers"], after["most_triggers"])]
    rows += [(f"lint {k} (tasks that run)", before["lint"].get(k, 0), after["lint"].get(k, 0)) for k in KINDS]
    rows += [("lint findings (tasks that run)", sum(before["lint"].values()), sum(after["lint"].values())),
             ("jobs with a lint finding", before["jobs_with_findings"], after["jobs_with_findings"]),
             ("lint findings in drafts (not run)", sum(before["draft_lint"].values()),
              sum(after["draft_lint"].values()))]
    return columns(rows, rev)


def columns(rows: list[tuple[str, Any, Any]], rev: str) -> str:
    """Rows of (figure, before, after) as aligned text columns."""
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':<{width}}  {'before ' + rev:>16}  {'after':>8}"]
    lines += [f"{name:<{width}}  {b:>16}  {a:>8}" for name, b, a in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="1c01209", help="git revision to compare with (default: 1c01209)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--dump", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        json.dump(dump(args.dump), sys.stdout)
        return
    folders = [args.corpus / s for s in SETS]
    if not all(f.is_dir() for f in folders):
        raise SystemExit(f"{args.corpus}: expected {', '.join(SETS)} in it (the shared corpus).")
    before_rows, after_rows = before_and_after(args.before, folders)
    figures: dict[str, Any] = {}
    for name in (*SETS, "total"):
        pick = (lambda r: True) if name == "total" else (lambda r, n=name: r["set"] == n)  # type: ignore[misc]
        figures[name] = {"before": measure([r for r in before_rows if pick(r)]),
                         "after": measure([r for r in after_rows if pick(r)])}
    if args.json:
        print(json.dumps({"before": args.before, **figures}, indent=1))
        return
    for name, f in figures.items():
        print(f"== {name}")
        print(table(f["before"], f["after"], args.before))
        print()


if __name__ == "__main__":
    main()

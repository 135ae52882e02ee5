"""Callables for the files a Jenkins build keeps: `archiveArtifacts` (the ArtifactArchiver publisher) and `stash`
fail the build when their pattern matches no file (unless told an empty set is allowed); `unstash` restores a stash
taken in another folder than the one it runs in.

Each takes its pipeline bindings as keyword arguments. Folders are relative to the run's workspace (WORKSPACE, set by
the operator); patterns are Ant globs matched by jenkins2flow_runtime.antglob, as Jenkins matches them.
- `check_files`: fails, naming the step and its pattern, when no file under the folder matches (an archive: unless
  the build result is already FAILURE); junit's `skipOldReports`: also when every report is older than the run.
- `unstash`: copies the files a stash selects under the folder it was taken in to the folder unstash runs in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.antglob import AntGlob

# hudson.tasks.junit.TestResult.FILE_TIME_PRECISION_MARGIN: a report modified up to 3 s before the build started
# still counts as written by the build
OLD_REPORT_MARGIN = 3.0


class NoFilesMatched(RuntimeError):
    """The pattern of an archiveArtifacts, junit or stash matched nothing: Jenkins fails the build there."""


class NoNewReports(RuntimeError):
    """junit with skipOldReports: every report matched is older than the build, so Jenkins reads no result and fails
    the build ("None of the test reports contained any result")."""


def _folder(directory: str) -> Path:
    return Path(os.environ.get("WORKSPACE") or os.getcwd()) / directory


def _glob(includes: str, excludes: str, default_excludes: bool, case_sensitive: bool) -> AntGlob:
    return AntGlob.parse(includes, excludes, default_excludes=default_excludes, case_sensitive=case_sensitive)


def check_files(step: str, includes: str = "", excludes: str = "", directory: str = "",
                default_excludes: bool = True, case_sensitive: bool = True, computed: dict[str, Any] | None = None,
                quiet_when_failed: bool = False, skip_old_reports: bool = False, result_tasks: Sequence[str] = (),
                caught_blocks: Sequence[Mapping[str, Any]] = (), context: Any = None,
                **params: Any) -> dict[str, Any]:
    """The files `includes` (comma-separated Ant globs; empty: all) minus `excludes` select under `directory`;
    none fails the task, as Jenkins fails the build (`step` names the Jenkins step in the message). `computed`:
    the patterns Jenkins computes in the build, its allow-empty and skip-old-reports options (name -> expression
    tree), evaluated in this run; an allow-empty option that is true (or "true") ends the check.

    `result_tasks` / `caught_blocks`: what makes Jenkins' build result FAILURE before this place (the body a post
    block follows; catchError blocks that caught a failure, `currentBuild.result = 'FAILURE'`): control.failed_so_far.
    `quiet_when_failed` (ArtifactArchiver): no file is no error once the result is FAILURE. `skip_old_reports`
    (junit): reports modified before the run started (less OLD_REPORT_MARGIN) are skipped, and when every one is,
    the task fails unless the result is already FAILURE."""
    from jenkins2flow_runtime import control
    from jenkins2flow_runtime.fallback import run_values

    values = run_values(computed or {}, params, context, step)
    if _true(values.get("allow_empty", False)):
        return {"step": step, "matched": None, "directory": directory}
    includes, excludes = str(values.get("includes", includes)), str(values.get("excludes", excludes))
    root = _folder(directory)
    found = _glob(includes, excludes, default_excludes, case_sensitive).select(root) if root.is_dir() else []
    where = f" in {directory!r}" if directory else ""
    if not found:
        failed = control.failed_so_far(context, result_tasks, caught_blocks) if quiet_when_failed else []
        if failed:  # ArtifactArchiver: a failed build does not complain of no artifact (onlyIfSuccessful: skipped)
            return {"step": step, "matched": 0, "directory": directory,
                    "skipped": f"the build result is FAILURE ({', '.join(failed)})"}
        but = f" (excluding {excludes!r})" if excludes else ""
        raise NoFilesMatched(f"{step}: no file matches the pattern {includes or '**'!r}{but}{where} of the run's "
                             f"workspace {str(root)!r}; Jenkins fails the build here.")
    if _true(values.get("skip_old_reports", skip_old_reports)):
        since = run_started(context) - OLD_REPORT_MARGIN
        new = [rel for rel in found if (root / rel).stat().st_mtime >= since]
        if not new and not control.failed_so_far(context, result_tasks, caught_blocks):
            raise NoNewReports(f"{step}: skipOldReports: all {len(found)} reports matching {includes!r}{where} are "
                               f"older than the run (e.g. {found[0]!r}); Jenkins reads no result from them and fails "
                               "the build: None of the test reports contained any result.")
        return {"step": step, "matched": len(found), "new": len(new), "directory": directory}
    return {"step": step, "matched": len(found), "directory": directory}


def _true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def run_started(context: Any) -> float:
    """When this run started (epoch seconds), as Jenkins' junit takes the build's start: the earlier of the dag run's
    `start_date` and `run_after` (when it was due; kept when a run is cleared and re-run, which resets start_date)."""
    if context is None:
        from airflow.sdk import get_current_context

        context = get_current_context()
    run = context["dag_run"]
    times = [t for t in (getattr(run, "start_date", None), getattr(run, "run_after", None))
             if isinstance(t, datetime)]
    if not times:
        raise RuntimeError("skipOldReports: the run's start is not known (the dag run has no start_date): cannot "
                           "tell old reports from new ones.")
    return min(t.timestamp() for t in times)


def unstash(name: str, source: str, includes: str = "", excludes: str = "", target: str = "",
            default_excludes: bool = True, **_: Any) -> dict[str, Any]:
    """Jenkins' `unstash name`: the files stash `name` selected (`includes` minus `excludes`) under the folder it
    was taken in (`source`), copied with their relative paths to the folder unstash runs in (`target`)."""
    src, dest = _folder(source), _folder(target)
    files = _glob(includes, excludes, default_excludes, True).select(src) if src.is_dir() else []
    for rel in files:
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, out)
    return {"name": name, "copied": files}

"""Callables for the files a Jenkins build keeps: `archiveArtifacts` (the ArtifactArchiver publisher) and `stash`
fail the build when their pattern matches no file (unless told an empty set is allowed); `unstash` restores a stash
taken in another folder than the one it runs in.

Each takes its pipeline bindings as keyword arguments. Folders are relative to the run's workspace (WORKSPACE, set by
the operator); patterns are Ant globs matched by jenkins2flow_runtime.antglob, as Jenkins matches them.
- `check_files`: fails, naming the step and its pattern, when no file under the folder matches (an archive: unless
  the build result is already FAILURE) or an archive's pattern is blank; junit: also when its reports hold no
  test case (with `skipOldReports`: when every report is older than the run) or one is not XML (junitxml).
- `unstash`: copies the files a stash selects under the folder it was taken in to the folder unstash runs in.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import junitxml
from jenkins2flow_runtime.antglob import AntGlob

log = logging.getLogger(__name__)

# hudson.tasks.junit.TestResult.FILE_TIME_PRECISION_MARGIN: a report modified up to 3 s before the build started
# still counts as written by the build
OLD_REPORT_MARGIN = 3.0


class NoFilesMatched(RuntimeError):
    """The pattern of an archiveArtifacts, junit or stash matched nothing: Jenkins fails the build there."""


class NoPatternConfigured(RuntimeError):
    """archiveArtifacts / ArtifactArchiver with an empty (or blank) pattern: Jenkins fails the build whatever the rest
    ("No artifacts are configured for archiving")."""


class NoTestResults(RuntimeError):
    """junit: the reports hold no test case, so Jenkins fails the build ("None of the test reports contained any
    result") unless allowEmptyResults or the build result is already FAILURE."""


class NoNewReports(NoTestResults):
    """junit with skipOldReports: every report matched is older than the build, so Jenkins reads no result and fails
    the build ("None of the test reports contained any result")."""


class ReportNotRead(RuntimeError):
    """junit: a report Jenkins fails the build on (not XML, and not named *.xml), or one not read for safety."""


def _folder(directory: str) -> Path:
    return Path(os.environ.get("WORKSPACE") or os.getcwd()) / directory


def _glob(includes: str, excludes: str, default_excludes: bool, case_sensitive: bool) -> AntGlob:
    return AntGlob.parse(includes, excludes, default_excludes=default_excludes, case_sensitive=case_sensitive)


def check_files(step: str, includes: str = "", excludes: str = "", directory: str = "",
                default_excludes: bool = True, case_sensitive: bool = True, computed: dict[str, Any] | None = None,
                quiet_when_failed: bool = False, skip_old_reports: bool = False, result_tasks: Sequence[str] = (),
                caught_blocks: Sequence[Mapping[str, Any]] = (), allow_empty: bool = False,
                pattern_required: bool = False, read_reports: bool = False, context: Any = None,
                **params: Any) -> dict[str, Any]:
    """The files `includes` (comma-separated Ant globs; empty: all) minus `excludes` select under `directory`;
    none fails the task, as Jenkins fails the build (`step` names the Jenkins step in the message), unless
    `allow_empty`. `computed`: the patterns Jenkins computes in the build, its allow-empty and skip-old-reports
    options (name -> expression tree), evaluated in this run.

    `pattern_required` (ArtifactArchiver): a blank `includes` fails first, whatever the rest ("No artifacts are
    configured for archiving"). `result_tasks` / `caught_blocks`: what makes Jenkins' build result FAILURE before
    this place (the body a post block follows; catchError blocks that caught a failure, `currentBuild.result =
    'FAILURE'`): control.failed_so_far. `quiet_when_failed` (ArtifactArchiver): no file is no error once the result is
    FAILURE. `read_reports` (junit): the files are JUnit reports, read as Jenkins reads them (see `_read_reports`);
    `skip_old_reports`: reports modified before the run started (less OLD_REPORT_MARGIN) are not read."""
    from jenkins2flow_runtime import control
    from jenkins2flow_runtime.fallback import run_values

    values = run_values(computed or {}, params, context, step)
    includes, excludes = str(values.get("includes", includes)), str(values.get("excludes", excludes))
    if pattern_required and not includes.strip():  # ArtifactArchiver.perform, before anything else
        raise NoPatternConfigured(f"{step}: the artifacts pattern is empty ({includes!r}); Jenkins fails the build "
                                  "here whatever its result or allowEmptyArchive: No artifacts are configured for "
                                  "archiving.")
    allowed = _true(values.get("allow_empty", allow_empty))
    if allowed and not read_reports:
        return {"step": step, "matched": None, "directory": directory}
    root = _folder(directory)
    found = _glob(includes, excludes, default_excludes, case_sensitive).select(root) if root.is_dir() else []
    where = f" in {directory!r}" if directory else ""
    if not found:
        failed = control.failed_so_far(context, result_tasks, caught_blocks) if quiet_when_failed else []
        if failed:  # ArtifactArchiver: a failed build does not complain of no artifact (onlyIfSuccessful: skipped)
            return {"step": step, "matched": 0, "directory": directory,
                    "skipped": f"the build result is FAILURE ({', '.join(failed)})"}
        if allowed:  # junit allowEmptyResults: "No test report files were found" is only logged
            return {"step": step, "matched": 0, "directory": directory}
        but = f" (excluding {excludes!r})" if excludes else ""
        raise NoFilesMatched(f"{step}: no file matches the pattern {includes or '**'!r}{but}{where} of the run's "
                             f"workspace {str(root)!r}; Jenkins fails the build here.")
    out: dict[str, Any] = {"step": step, "matched": len(found), "directory": directory}
    new = found
    if _true(values.get("skip_old_reports", skip_old_reports)):
        since = run_started(context) - OLD_REPORT_MARGIN
        new = [rel for rel in found if (root / rel).stat().st_mtime >= since]
        out["new"] = len(new)
        if not new and not allowed and not control.failed_so_far(context, result_tasks, caught_blocks):
            raise NoNewReports(f"{step}: skipOldReports: all {len(found)} reports matching {includes!r}{where} are "
                               f"older than the run (e.g. {found[0]!r}); Jenkins reads no result from them and fails "
                               "the build: None of the test reports contained any result.")
    if read_reports:
        out.update(_read_reports(step, root, new, allowed, lambda: control.failed_so_far(
            context, result_tasks, caught_blocks)))
    return out


def _read_reports(step: str, root: Path, files: Sequence[str], allowed: bool,
                  failed_so_far: Callable[[], list[str]]) -> dict[str, Any]:
    """junit's reports read as Jenkins reads them (JUnitParser, TestResult, JUnitResultArchiver.parseAndSummarize):
    - a report that is not XML and whose name does not end in ".xml" fails the build (whatever allowEmptyResults);
    - no test case in all of them fails it ("None of the test reports contained any result") unless
      allowEmptyResults, or the build result is already FAILURE;
    - a failed test case, an empty report or a malformed ".xml" one (Jenkins counts each as a failed test case)
      makes Jenkins' build UNSTABLE, and the build goes on. Airflow has no UNSTABLE result: the task succeeds, logs
      them as a warning and returns them under `unstable` (the converter flags the step: the job is partial)."""
    cases = failed = 0
    unreadable: list[str] = []
    for rel in files:
        try:
            report = junitxml.read_report(root / rel)
        except junitxml.RefusedReport as exc:
            raise ReportNotRead(f"{step}: {exc}; Jenkins' result for it is not known, so the check fails rather "
                                "than guess.") from None
        if report.unreadable and not rel.endswith(".xml"):
            raise ReportNotRead(f"{step}: {rel!r} is {report.unreadable}; Jenkins fails the build here: Failed to "
                                f"read {rel}. Is this really a JUnit report file? Your configuration must be matching "
                                "too many files")
        if report.unreadable:
            unreadable.append(f"{rel}: {report.unreadable}")
        cases, failed = cases + report.cases, failed + report.failed
    if cases == 0 and not allowed and files:
        already = failed_so_far()
        if not already:
            raise NoTestResults(f"{step}: none of the {len(files)} reports ({files[0]!r}...) has a test case; "
                                "Jenkins fails the build here: None of the test reports contained any result.")
    out: dict[str, Any] = {"cases": cases, "failed": failed}
    if failed:
        what = f"{failed} failed test case(s)" + (f", counting the unreadable reports {unreadable}" if unreadable
                                                  else "")
        log.warning("%s: %s: Jenkins marks the build UNSTABLE and goes on; Airflow has no UNSTABLE result, so this "
                    "task succeeds.", step, what)
        out["unstable"] = what
    return out


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

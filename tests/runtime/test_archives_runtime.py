"""The archive check and unstash callables (jenkins2flow_runtime.archives) on a workspace, without Airflow."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jenkins2flow_runtime.archives import NoFilesMatched, NoNewReports, check_files, unstash


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKSPACE", str(tmp_path))
    for rel in ("etl/dist/a.jar", "etl/dist/tmp.jar", "etl/dist/sub/B.JAR", "etl/.git/x.jar"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    return tmp_path


def test_check_counts_the_files_the_pattern_selects_in_its_folder(ws: Path) -> None:
    assert check_files("archiveArtifacts", "dist/**/*.jar", "dist/tmp*", directory="etl")["matched"] == 1
    assert check_files("archiveArtifacts", "**/*.jar", case_sensitive=False)["matched"] == 3  # .git: default excluded
    assert check_files("stash", "", directory="etl", default_excludes=False)["matched"] == 4


def test_check_fails_naming_the_step_and_pattern(ws: Path) -> None:
    with pytest.raises(NoFilesMatched, match=r"archiveArtifacts: no file matches the pattern 'dist/\*\.war'"):
        check_files("archiveArtifacts", "dist/*.war", directory="etl")
    with pytest.raises(NoFilesMatched, match="excluding"):
        check_files("stash", "etl/dist/*.jar", "**/*.jar")
    with pytest.raises(NoFilesMatched):
        check_files("stash", "**", directory="missing")


def test_unstash_copies_what_the_stash_selected_to_the_target(ws: Path) -> None:
    got = unstash("x", source="etl", includes="dist/*.jar", excludes="dist/tmp*", target="use")
    assert got["copied"] == ["dist/a.jar"]
    assert (ws / "use" / "dist" / "a.jar").read_text() == "etl/dist/a.jar" and not (ws / "use/dist/tmp.jar").exists()


class StatesTI:
    """get_task_states as Airflow's task SDK answers it, for plain tasks: {run_id: {task_id: state}}."""

    dag_id = "etl"

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states

    def get_task_states(self, dag_id: str, task_ids: list[str] | None = None, map_index: int = -1,
                        run_ids: list[str] | None = None) -> dict[str, Any]:
        return {"run": {t: s for t, s in self.states.items() if task_ids is None or t in task_ids}}


def _run(start: datetime, states: dict[str, str] | None = None, run_after: datetime | None = None) -> dict[str, Any]:
    run = SimpleNamespace(dag_id="etl", run_id="run", start_date=start, run_after=run_after or start)
    return {"ti": StatesTI(states or {}), "dag_run": run, "dag": None}


def _age(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_skip_old_reports_fails_when_every_report_is_older_than_the_run(ws: Path) -> None:
    # junit-plugin TestResult: with skipOldReports, a report last modified before the build's start minus
    # FILE_TIME_PRECISION_MARGIN (3 s) is not read; none read -> "None of the test reports contained any result"
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    (ws / "r").mkdir()
    for name, before in (("a.xml", 4), ("b.xml", 10)):
        (ws / "r" / name).write_text("<testsuite/>")
        _age(ws / "r" / name, start - timedelta(seconds=before))
    with pytest.raises(NoNewReports, match=r"junit: skipOldReports: all 2 reports matching 'r/\*\.xml'"):
        check_files("junit", "r/*.xml", skip_old_reports=True, context=_run(start))
    assert check_files("junit", "r/*.xml", context=_run(start))["matched"] == 2  # default: old reports are read
    _age(ws / "r" / "a.xml", start - timedelta(seconds=2))  # within Jenkins' 3 s margin: new
    got = check_files("junit", "r/*.xml", skip_old_reports=True, context=_run(start))
    assert got["matched"] == 2 and got["new"] == 1


def test_skip_old_reports_takes_the_run_start_not_a_later_clear(ws: Path) -> None:
    # a cleared run gets a new start_date; run_after (when it was due) is kept, so reports written earlier in it count
    due = datetime(2025, 1, 1, 12, tzinfo=UTC)
    (ws / "t.xml").write_text("<testsuite/>")
    _age(ws / "t.xml", due + timedelta(minutes=5))
    assert check_files("junit", "t.xml", skip_old_reports=True,
                       context=_run(due + timedelta(hours=1), run_after=due))["new"] == 1


def test_skip_old_reports_decided_in_the_run_and_after_a_failure(ws: Path) -> None:
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    (ws / "t.xml").write_text("<testsuite/>")
    _age(ws / "t.xml", start - timedelta(days=1))
    with pytest.raises(NoNewReports):
        check_files("junit", "t.xml", computed={"skip_old_reports": {"lit": True}},
                    context=_run(start))
    # JUnitResultArchiver: an empty result fails only while the build result is not FAILURE
    got = check_files("junit", "t.xml", skip_old_reports=True, result_tasks=["test"],
                      context=_run(start, {"test": "failed"}))
    assert got["new"] == 0
    with pytest.raises(NoFilesMatched):  # no report at all fails whatever the result ("No test report files ...")
        check_files("junit", "none/*.xml", skip_old_reports=True, result_tasks=["test"],
                    context=_run(start, {"test": "failed"}))


def test_an_archive_after_a_failure_does_not_fail_on_no_file(ws: Path) -> None:
    # ArtifactArchiver.perform: no match fails only while the result is better than FAILURE; onlyIfSuccessful skips
    start = datetime(2025, 1, 1, tzinfo=UTC)
    failed = check_files("archiveArtifacts", "out/*", quiet_when_failed=True, result_tasks=["build", "test"],
                         context=_run(start, {"build": "success", "test": "failed"}))
    assert failed["matched"] == 0 and "FAILURE (test)" in failed["skipped"]
    with pytest.raises(NoFilesMatched):
        check_files("archiveArtifacts", "out/*", quiet_when_failed=True, result_tasks=["build"],
                    context=_run(start, {"build": "success"}))
    caught = [{"kind": "caught", "end": "c_end", "body": ["c"], "at": "catchError"}]
    got = check_files("archiveArtifacts", "out/*", quiet_when_failed=True, caught_blocks=caught,
                      context=_run(start, {"c": "failed", "c_end": "success"}))
    assert "catchError" in got["skipped"]
    with pytest.raises(NoFilesMatched):  # a stash or junit is not quiet: Jenkins fails it whatever the result
        check_files("stash", "out/*", result_tasks=["build"], context=_run(start, {"build": "failed"}))

"""The archive check and unstash callables (jenkins2flow_runtime.archives) on a workspace, without Airflow."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jenkins2flow_runtime.archives import (
    NoFilesMatched,
    NoNewReports,
    NoPatternConfigured,
    NoTestResults,
    ReportNotRead,
    check_files,
    unstash,
)


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


PASSED = '<testsuite name="s"><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>'
FAILED = ('<testsuites><testsuite name="s"><testcase name="a"><failure message="boom"/></testcase></testsuite>'
          "</testsuites>")


def _reports(ws: Path, **files: str) -> None:
    (ws / "r").mkdir(exist_ok=True)
    for name, text in files.items():
        (ws / "r" / name.replace("_", ".")).write_text(text)


def test_junit_reports_without_a_test_case_fail_the_check(ws: Path) -> None:
    # JUnitResultArchiver.parseAndSummarize: total count 0 -> AbortException "None of the test reports contained any
    # result", unless allowEmptyResults or the build result is already FAILURE
    _reports(ws, a_xml="<testsuite/>", b_xml='<testsuites><testsuite name="x"/></testsuites>')
    with pytest.raises(NoTestResults, match="None of the test reports contained any result"):
        check_files("junit", "r/*.xml", read_reports=True)
    assert check_files("junit", "r/*.xml", read_reports=True, allow_empty=True)["cases"] == 0
    start = datetime(2025, 1, 1, tzinfo=UTC)
    after = check_files("junit", "r/*.xml", read_reports=True, result_tasks=["test"],
                        context=_run(start, {"test": "failed"}))
    assert after["cases"] == 0
    with pytest.raises(NoTestResults):
        check_files("junit", "r/*.xml", read_reports=True, result_tasks=["test"],
                    context=_run(start, {"test": "success"}))
    _reports(ws, c_xml=PASSED)
    got = check_files("junit", "r/*.xml", read_reports=True)
    assert got["cases"] == 2 and got["failed"] == 0 and "unstable" not in got


def test_junit_allow_empty_results_still_passes_with_no_report(ws: Path) -> None:
    assert check_files("junit", "r/*.xml", read_reports=True, allow_empty=True)["matched"] == 0
    assert check_files("junit", "r/*.xml", read_reports=True,
                       computed={"allow_empty": {"lit": True}},
                       context=_run(datetime(2025, 1, 1, tzinfo=UTC)))["matched"] == 0
    with pytest.raises(NoFilesMatched):
        check_files("junit", "r/*.xml", read_reports=True)


def test_failed_cases_and_corrupt_or_empty_reports_are_reported_unstable(ws: Path) -> None:
    # TestResult.parse: a malformed *.xml report and a report of length 0 are each one failed test case
    # ("[failed-to-read]", "[empty]"): Jenkins' build becomes UNSTABLE and goes on; the check passes and says so
    _reports(ws, ok_xml=PASSED, bad_xml='<testsuite><testcase name="a"/>')
    got = check_files("junit", "r/*.xml", read_reports=True)
    assert got["failed"] == 1 and "r/bad.xml" in got["unstable"] and "not well-formed" in got["unstable"]
    (ws / "r" / "bad.xml").write_text("")
    assert "length 0" in check_files("junit", "r/*.xml", read_reports=True)["unstable"]
    (ws / "r" / "bad.xml").write_text(FAILED)
    got = check_files("junit", "r/*.xml", read_reports=True)
    assert got["cases"] == 3 and got["unstable"] == "1 failed test case(s)"
    (ws / "r" / "ok.xml").unlink()
    (ws / "r" / "bad.xml").write_text("not xml at all")  # only a corrupt report: one (failed) case, not "no result"
    assert check_files("junit", "r/*.xml", read_reports=True)["cases"] == 1


def test_a_malformed_report_not_named_xml_fails_the_check(ws: Path) -> None:
    # TestResult.parse: a DocumentException on a file whose name does not end in ".xml" is an IOException
    # ("Is this really a JUnit report file?"): the build fails, whatever allowEmptyResults
    _reports(ws, ok_xml=PASSED, log_txt="build log, not XML")
    with pytest.raises(ReportNotRead, match="Is this really a JUnit report file"):
        check_files("junit", "r/*", read_reports=True, allow_empty=True)
    assert check_files("junit", "r/*.xml", read_reports=True)["cases"] == 2


def test_a_report_declaring_an_entity_is_not_read(ws: Path) -> None:
    _reports(ws, x_xml='<!DOCTYPE t [<!ENTITY a "aa">]><testsuite><testcase name="&a;"/></testsuite>')
    with pytest.raises(ReportNotRead, match="declares an entity"):
        check_files("junit", "r/*.xml", read_reports=True)


def test_a_blank_archive_pattern_fails_whatever_the_rest(ws: Path) -> None:
    # ArtifactArchiver.perform: an empty pattern (the constructor trims it) throws "No artifacts are configured for
    # archiving" before allowEmptyArchive, onlyIfSuccessful or the build result are looked at
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for pattern in ("", "  "):
        with pytest.raises(NoPatternConfigured, match="No artifacts are configured for archiving"):
            check_files("archiveArtifacts", pattern, pattern_required=True, allow_empty=True, quiet_when_failed=True,
                        result_tasks=["b"], context=_run(start, {"b": "failed"}))
    with pytest.raises(NoPatternConfigured):
        check_files("archiveArtifacts", computed={"includes": {"lit": " "}}, pattern_required=True,
                    context=_run(start))
    assert check_files("stash", "", directory="etl")["matched"] == 3  # a stash with no includes takes every file

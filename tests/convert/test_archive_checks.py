"""archiveArtifacts, ArtifactArchiver, junit and stash fail the Jenkins build when their pattern matches no file: each
is a check task at its place (unless an empty set is allowed); unstash in another folder than its stash copies the
files."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided

CHECK = "concrete_task 'airflow.check-files'"
UNSTASH = "concrete_task 'airflow.unstash'"


def _convert(stages: str, post: str = "", params: str = ""):  # type: ignore[no-untyped-def]
    text = f"pipeline {{ agent any\n{params} stages {{ {stages} }}\n{post} }}\n"
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/arch"), own_provided())


def _uses(conv: Any, ref: str) -> list[Any]:
    return [t for t in conv.pipeline.tasks if str(t.uses).startswith(ref)]


def test_archive_artifacts_is_a_check_task_after_the_step_before_it() -> None:
    conv = _convert("stage('B') { steps { sh 'make'\n archiveArtifacts artifacts: 'out/*.jar, lib/*.so', "
                    "excludes: 'out/tmp*', caseSensitive: false\n sh 'next' } }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    make, after = conv.pipeline.tasks[0], conv.pipeline.tasks[-1]
    assert check.depends_on == [make.id] and after.depends_on == [check.id]
    assert check.bindings == {"step": "archiveArtifacts", "directory": "", "includes": "out/*.jar, lib/*.so",
                              "excludes": "out/tmp*", "case_sensitive": False}
    assert conv.pipeline.shadow_outputs[0]["task"] == make.id  # the shadow record is unchanged


def test_allow_empty_archive_needs_no_check() -> None:
    conv = _convert("stage('B') { steps { sh 'make'; archiveArtifacts artifacts: 'out/*', allowEmptyArchive: true } }")
    assert conv.status == "converted" and _uses(conv, CHECK) == []
    assert len(conv.pipeline.shadow_outputs) == 1


def test_a_check_in_a_post_block_runs_after_its_gate() -> None:
    conv = _convert("stage('B') { steps { sh 'make' } }", "post { success { archiveArtifacts 'out/**' } }")
    (check,) = _uses(conv, CHECK)
    assert check.bindings["includes"] == "out/**"
    assert [t.id for t in conv.pipeline.tasks if t.id in check.depends_on and "gate" in str(t.uses)]


def test_a_pattern_computed_at_build_time_is_evaluated_in_the_run() -> None:
    conv = _convert("stage('B') { steps { archiveArtifacts artifacts: \"out/${params.DAY}.csv\" } }",
                    params="parameters { string(name: 'DAY', defaultValue: 'mon') }")
    (check,) = _uses(conv, CHECK)
    assert "includes" not in check.bindings and check.bindings["computed"]["includes"]
    assert conv.status == "converted", conv.reasons


def test_an_allow_empty_option_decided_in_the_run_is_evaluated_there() -> None:
    conv = _convert("stage('B') { steps { sh 'make'; archiveArtifacts artifacts: 'x', allowEmptyArchive: params.OK } }",
                    params="parameters { booleanParam(name: 'OK', defaultValue: true) }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.bindings["computed"]["allow_empty"] and check.bindings["includes"] == "x"


def test_a_folder_computed_in_the_run_is_flagged() -> None:
    conv = _convert("stage('B') { steps { sh 'make'; dir(\"${params.D}\") { archiveArtifacts 'x' } } }",
                    params="parameters { string(name: 'D', defaultValue: 'a') }")
    assert _uses(conv, CHECK) == []
    assert any("not checked" in e.reason and "computed in the run" in e.reason for e in conv.approximations)


def test_the_artifact_archiver_publisher_checks_after_the_builders_and_ends_the_build() -> None:
    xml = b"""<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>
<publishers><hudson.tasks.ArtifactArchiver><artifacts>dist/*.whl</artifacts><excludes>dist/old*</excludes>
<allowEmptyArchive>false</allowEmptyArchive><defaultExcludes>false</defaultExcludes></hudson.tasks.ArtifactArchiver>
<hudson.tasks.ArtifactArchiver><artifacts>logs/*</artifacts><allowEmptyArchive>true</allowEmptyArchive>
</hudson.tasks.ArtifactArchiver></publishers></project>"""
    conv = convert_job(parse_config_xml(xml, "config.xml", "team/free"))
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.depends_on == [conv.pipeline.tasks[0].id]
    assert check.bindings == {"step": "hudson.tasks.ArtifactArchiver", "directory": "", "includes": "dist/*.whl",
                              "excludes": "dist/old*", "default_excludes": False}
    assert not [t for t in conv.pipeline.tasks if check.id in t.depends_on and "jenkins2flow" not in t.id]


def test_a_stash_records_its_folder_and_an_unstash_elsewhere_copies_from_it() -> None:
    conv = _convert("stage('Pack') { steps { dir('etl') { stash includes: 'dist/**', excludes: 'dist/*.tmp', "
                    "name: 'x' } } }\n stage('Use') { steps { unstash 'x'\n sh 'ls dist' } }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.bindings == {"step": "stash", "directory": "etl", "includes": "dist/**", "excludes": "dist/*.tmp"}
    (copy,) = _uses(conv, UNSTASH)
    assert copy.bindings == {"name": "x", "source": "etl", "target": "", "includes": "dist/**",
                             "excludes": "dist/*.tmp"}
    assert copy.depends_on == [check.id] and conv.pipeline.tasks[-1].depends_on == [copy.id]


def test_an_unstash_in_the_stash_folder_is_waived() -> None:
    conv = _convert("stage('P') { steps { sh 'make'; dir('etl') { stash name: 'x', includes: 'dist/**', "
                    "allowEmpty: true } } }\n stage('U') { steps { dir('etl') { unstash name: 'x' } } }")
    assert conv.status == "converted", conv.reasons
    assert _uses(conv, UNSTASH) == [] and _uses(conv, CHECK) == []
    assert any(e.outcome == "waived" and e.element == "step unstash" and "same folder" in e.reason
               for e in conv.ledger)


def test_a_stash_with_no_includes_checks_every_file() -> None:
    conv = _convert("stage('P') { steps { stash 'all' } }")
    (check,) = _uses(conv, CHECK)
    assert check.bindings["includes"] == ""


def test_an_unstash_name_computed_in_the_run_or_unknown_is_flagged() -> None:
    conv = _convert("stage('U') { steps { sh 'make'; unstash \"${params.WHICH}\"\n unstash 'never' } }",
                    params="parameters { string(name: 'WHICH', defaultValue: 'x') }")
    assert conv.status == "partial" and _uses(conv, UNSTASH) == []
    reasons = [e.reason for e in conv.approximations]
    assert len(reasons) == 2 and "computed in the run" in reasons[0] and "'never'" in reasons[1]


def test_junit_checks_its_reports_where_it_runs_allow_empty_results_or_not() -> None:
    # JUnitParser: no report file -> "No test report files were found" unless allowEmptyResults; the reports found are
    # read whatever allowEmptyResults (a malformed file not named *.xml fails the build): a task either way
    conv = _convert("stage('T') { steps { dir('etl') { sh 'pytest --junitxml=reports/t.xml' } } }",
                    "post { always { dir('etl') { junit testResults: 'reports/*.xml', "
                    "skipMarkingBuildUnstable: true } } }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.bindings == {"step": "junit", "directory": "etl", "includes": "reports/*.xml", "excludes": "",
                              "read_reports": True, "result_tasks": [conv.pipeline.tasks[0].id]}
    assert conv.pipeline.shadow_outputs[0]["source"] == "junit"  # still compared in shadow runs
    allowed = _convert("stage('T') { steps { sh 'pytest'\n junit testResults: 'r/*.xml', allowEmptyResults: true, "
                       "skipMarkingStageUnstable: true } }")
    assert allowed.status == "converted", allowed.reasons
    assert _uses(allowed, CHECK)[0].bindings == {"step": "junit", "directory": "", "includes": "r/*.xml",
                                                 "excludes": "", "allow_empty": True, "read_reports": True}


def test_junit_failed_tests_make_jenkins_unstable_which_is_flagged() -> None:
    # JUnitResultsStepExecution / JUnitResultArchiver.perform: failCount > 0 -> the build is UNSTABLE and goes on
    # (unless skipMarkingBuildUnstable / skipMarkingStageUnstable); Airflow has no UNSTABLE: partial, with the reason
    conv = _convert("stage('T') { steps { sh 'pytest'\n junit 'r/*.xml' } }")
    assert conv.status == "partial" and len(_uses(conv, CHECK)) == 1
    (flag,) = conv.approximations
    assert flag.element == "step junit test failures" and "UNSTABLE" in flag.reason
    assert "skipMarkingBuildUnstable" in flag.reason
    computed = _convert("stage('T') { steps { junit testResults: 'r/*.xml', skipMarkingBuildUnstable: params.S } }",
                        params="parameters { booleanParam(name: 'S', defaultValue: true) }")
    assert computed.status == "partial"  # decided in the run: Jenkins may mark it UNSTABLE


def test_the_junit_publisher_checks_its_reports_allow_empty_results_or_not() -> None:
    publisher = ("<hudson.tasks.junit.JUnitResultArchiver><testResults>build/test-results/*.xml</testResults>"
                 "<allowEmptyResults>{}</allowEmptyResults>{}</hudson.tasks.junit.JUnitResultArchiver>")
    for allow, skip, status in (("false", "", "partial"), ("true", "true", "converted")):
        marking = f"<skipMarkingBuildUnstable>{skip}</skipMarkingBuildUnstable>" if skip else ""
        xml = (b"<project><builders><hudson.tasks.Shell><command>make test</command></hudson.tasks.Shell></builders>"
               b"<publishers>" + publisher.format(allow, marking).encode() + b"</publishers></project>")
        conv = convert_job(parse_config_xml(xml, "config.xml", "team/tests"))
        assert conv.status == status, conv.reasons
        (found,) = _uses(conv, CHECK)
        assert found.bindings == {"step": "hudson.tasks.junit.JUnitResultArchiver", "directory": "",
                                  "includes": "build/test-results/*.xml", "excludes": "", "read_reports": True,
                                  **({"allow_empty": True} if allow == "true" else {})}


def test_junit_skip_old_reports_makes_old_reports_fail_the_check_in_the_run() -> None:
    # since junit 1119.1121 old reports are read like new ones; skipOldReports: true skips them, and none read fails
    quiet = ", skipMarkingBuildUnstable: true"
    conv = _convert(f"stage('T') {{ steps {{ sh 'pytest'\n junit testResults: 'r/*.xml', skipOldReports: true{quiet} "
                    "} }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.bindings == {"step": "junit", "directory": "", "includes": "r/*.xml", "excludes": "",
                              "read_reports": True, "skip_old_reports": True}
    plain = _convert("stage('T') { steps { sh 'pytest'\n junit testResults: 'r/*.xml', skipOldReports: false } }")
    assert "skip_old_reports" not in _uses(plain, CHECK)[0].bindings
    allowed = _convert("stage('T') { steps { sh 'pytest'\n junit testResults: 'r/*.xml', skipOldReports: true, "
                       "allowEmptyResults: true } }")
    assert _uses(allowed, CHECK)[0].bindings["allow_empty"] is True
    xml = (b"<project><builders><hudson.tasks.Shell><command>make test</command></hudson.tasks.Shell></builders>"
           b"<publishers><hudson.tasks.junit.JUnitResultArchiver><testResults>t/*.xml</testResults>"
           b"<skipOldReports>true</skipOldReports></hudson.tasks.junit.JUnitResultArchiver></publishers></project>")
    (published,) = _uses(convert_job(parse_config_xml(xml, "config.xml", "team/t")), CHECK)
    assert published.bindings["skip_old_reports"] is True


def test_junit_in_a_post_block_reads_the_build_result_for_reports_without_results() -> None:
    # parseAndSummarize: no test case fails only while the build result is not FAILURE; no report file fails anyway
    conv = _convert("stage('T') { steps { sh 'pytest' } }", "post { always { junit 'r/*.xml' } }")
    (check,) = _uses(conv, CHECK)
    assert check.bindings["result_tasks"] == [conv.pipeline.tasks[0].id]
    assert "quiet_when_failed" not in check.bindings  # no report at all still fails (JUnitParser)


def test_a_blank_archive_pattern_fails_whatever_the_rest() -> None:
    # ArtifactArchiver.perform: a blank pattern (the constructor trims it) -> "No artifacts are configured for
    # archiving", before allowEmptyArchive, onlyIfSuccessful and the build result
    conv = _convert("stage('B') { steps { sh 'exit 1' } }",
                    "post { always { archiveArtifacts artifacts: ' ', allowEmptyArchive: true, onlyIfSuccessful: true "
                    "} }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.bindings == {"step": "archiveArtifacts", "directory": "", "includes": "", "pattern_required": True}
    xml = (b"<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>"
           b"<publishers><hudson.tasks.ArtifactArchiver><artifacts></artifacts><allowEmptyArchive>true"
           b"</allowEmptyArchive></hudson.tasks.ArtifactArchiver></publishers></project>")
    (published,) = _uses(convert_job(parse_config_xml(xml, "config.xml", "team/free")), CHECK)
    assert published.bindings["pattern_required"] is True and published.bindings["includes"] == ""
    computed = _convert("stage('B') { steps { archiveArtifacts artifacts: params.P, allowEmptyArchive: true } }",
                        params="parameters { string(name: 'P', defaultValue: '') }")
    (check,) = _uses(computed, CHECK)  # a pattern of the run: the task checks it is not blank
    assert check.bindings["pattern_required"] is True and check.bindings["allow_empty"] is True
    assert check.bindings["computed"]["includes"]
    stash = _convert("stage('P') { steps { stash name: 'all', includes: '' } }")
    assert "pattern_required" not in _uses(stash, CHECK)[0].bindings  # a stash with no includes takes every file


def test_an_archive_in_a_post_block_does_not_fail_once_the_build_failed() -> None:
    # ArtifactArchiver: after a failure no match is no error (onlyIfSuccessful: not even tried); the check asks the
    # body the post block follows, as the block's gate does
    conv = _convert("stage('B') { steps { sh 'make' } }",
                    "post { always { archiveArtifacts artifacts: 'out/*', onlyIfSuccessful: true\n sh 'next' } }")
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    make = conv.pipeline.tasks[0]
    assert check.trigger_rule == "all_success" and check.bindings == {
        "step": "archiveArtifacts", "directory": "", "includes": "out/*", "excludes": "", "quiet_when_failed": True,
        "result_tasks": [make.id]}
    (after,) = [t for t in conv.pipeline.tasks if t.depends_on == [check.id]]  # `sh 'next'` still runs after it
    assert str(after.uses).startswith("concrete_task 'sh.")


def test_an_archive_after_a_catch_error_reads_the_result_it_set() -> None:
    conv = _convert("stage('B') { steps { catchError { sh 'make' }\n archiveArtifacts 'out/*' } }")
    (check,) = _uses(conv, CHECK)
    (caught,) = check.bindings["caught_blocks"]
    assert caught["body"] == [conv.pipeline.tasks[0].id] and check.bindings["quiet_when_failed"] is True
    stash = _convert("stage('B') { steps { catchError { sh 'make' }\n stash name: 's', includes: 'out/*' } }")
    assert set(_uses(stash, CHECK)[0].bindings) == {"step", "directory", "includes", "excludes"}  # stash: not quiet


def test_the_publisher_only_if_successful_checks_after_successful_builders() -> None:
    # freestyle publishers run after failed builders too; the build is FAILURE then and the archiver does not
    # complain, so a check that never runs after a failed builder (all_success) keeps the run's result
    xml = b"""<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>
<publishers><hudson.tasks.ArtifactArchiver><artifacts>dist/*</artifacts><onlyIfSuccessful>true</onlyIfSuccessful>
</hudson.tasks.ArtifactArchiver></publishers></project>"""
    conv = convert_job(parse_config_xml(xml, "config.xml", "team/free"))
    assert conv.status == "converted", conv.reasons
    (check,) = _uses(conv, CHECK)
    assert check.trigger_rule == "all_success" and check.depends_on == [conv.pipeline.tasks[0].id]
    assert check.bindings == {"step": "hudson.tasks.ArtifactArchiver", "directory": "", "includes": "dist/*",
                              "excludes": ""}


def test_the_deprecated_archive_step_never_fails_on_no_file() -> None:
    # workflow-basic-steps ArtifactArchiverStepExecution only logs "No files found to archive ..." when none match
    conv = _convert("stage('B') { steps { sh 'make'; dir('etl') { archive includes: 'out/*', excludes: 'out/x' }\n "
                    "archive 'dist/**' } }")
    assert conv.status == "converted", conv.reasons
    assert _uses(conv, CHECK) == []
    assert [o["path"] for o in conv.pipeline.shadow_outputs] == ["out/*", "dist/**"]

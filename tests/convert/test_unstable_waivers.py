"""Waivers about UNSTABLE hold only in a job nothing can make UNSTABLE (convert/unstable.py): with a source (junit,
catchError buildResult UNSTABLE, unstableReturn...), they are flagged naming it; without one, they stay waived."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided

JUNIT = "junit 'reports/*.xml'"


def _convert(steps: str, post: str = "", options: str = "") -> Any:
    text = (f"pipeline {{ agent any\n{options}\nstages {{ stage('Test') {{ steps {{ sh 'make test'\n{steps} }} }}\n"
            f"stage('Deploy') {{ steps {{ sh 'make deploy' }} }} }}\n{post}\n}}\n")
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/etl"), own_provided())


def _entry(conv: Any, element: str) -> Any:
    (entry,) = [e for e in conv.ledger if e.element == element]
    return entry


def test_skip_stages_after_unstable_with_junit_is_flagged_naming_it() -> None:
    conv = _convert(JUNIT, options="options { skipStagesAfterUnstable() }")
    entry = _entry(conv, "option skipStagesAfterUnstable")
    assert conv.status == "partial"
    assert entry.outcome == "approximated"
    assert entry.reason.startswith("step junit at Jenkinsfile:4:1 can make the build UNSTABLE, after which Jenkins "
                                   "skips the later stages; the Airflow run goes on"), entry.reason
    assert any("option skipStagesAfterUnstable: step junit at Jenkinsfile:4:1" in r for r in conv.reasons)


def test_skip_stages_after_unstable_without_a_source_keeps_its_waiver() -> None:
    conv = _convert("", options="options { skipStagesAfterUnstable() }")
    assert conv.status == "converted", conv.reasons
    assert _entry(conv, "option skipStagesAfterUnstable").outcome == "waived"


def test_junit_that_never_marks_unstable_is_no_source() -> None:
    conv = _convert("junit testResults: 'r/*.xml', skipMarkingBuildUnstable: true",
                    options="options { skipStagesAfterUnstable() }")
    assert conv.status == "converted", conv.reasons


def test_post_success_and_unstable_after_junit_are_flagged() -> None:
    conv = _convert(JUNIT, post="post { success { sh 'touch ok' }\n unstable { sh 'notify unstable' } }")
    success, unstable = _entry(conv, "post success"), _entry(conv, "post unstable")
    assert success.outcome == unstable.outcome == "approximated"
    assert "step junit at Jenkinsfile:4:1 can make the build UNSTABLE" in success.reason
    assert "does not run the success block of an UNSTABLE build" in success.reason
    assert "Jenkins then runs this block" in unstable.reason and "never runs" in unstable.reason


def test_post_success_and_unstable_without_a_source_stay_as_they_were() -> None:
    conv = _convert("", post="post { success { sh 'touch ok' }\n unstable { sh 'notify unstable' } }")
    assert conv.status == "converted", conv.reasons
    assert (_entry(conv, "post success").outcome, _entry(conv, "post unstable").outcome) == ("mapped", "waived")


def test_a_stage_post_success_after_a_warn_error_is_flagged() -> None:
    text = ("pipeline { agent any\nstages { stage('T') { steps { warnError('flaky') { sh 'make test' } }\n"
            "post { success { sh 'touch ok' } } } } }\n")
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/etl"), own_provided())
    entry = _entry(conv, "post success")
    assert entry.outcome == "approximated"
    assert entry.reason.startswith("step warnError buildResult UNSTABLE at Jenkinsfile:2:31 can make the build "
                                   "UNSTABLE"), entry.reason


def test_post_unsuccessful_changed_fixed_regression_after_junit_are_flagged() -> None:
    blocks = " ".join(f"{c} {{ sh 'echo {c}' }}" for c in ("unsuccessful", "changed", "fixed", "regression"))
    conv = _convert(JUNIT, post=f"post {{ {blocks} }}")
    for condition in ("unsuccessful", "changed", "fixed", "regression"):
        entry = _entry(conv, f"post {condition}")
        assert entry.outcome == "approximated", condition
        assert "can make the build UNSTABLE" in entry.reason
    clean = _convert("", post=f"post {{ {blocks} }}")
    assert clean.status == "converted", clean.reasons


def test_current_build_result_unstable_is_a_source() -> None:
    conv = _convert("script { currentBuild.result = 'UNSTABLE' }", options="options { skipStagesAfterUnstable() }")
    entry = _entry(conv, "option skipStagesAfterUnstable")
    assert entry.outcome == "approximated" and "currentBuild.result = 'UNSTABLE'" in entry.reason


def test_the_unstable_step_logs_its_warning_is_a_source_and_is_flagged() -> None:
    """workflow-basic-steps UnstableStep: "WARNING: msg" in the log (trimmed), the build UNSTABLE, the build goes
    on. A task prints the line; Airflow has no UNSTABLE: approximated (partial, no longer jenkins_only)."""
    conv = _convert("unstable ' flaky tests '", post="post { success { sh 'make release' } }")
    assert conv.status == "partial", conv.reasons
    [task] = [t for t in conv.pipeline.tasks if t.title.endswith("unstable 'flaky tests'")]
    command = next(d for d in conv.tasks if d.name == task.uses.name).spec.command
    assert command.endswith("printf 'WARNING: %s\\n' 'flaky tests'")
    flagged = [e for e in conv.ledger if e.element == "step unstable" and e.outcome == "approximated"]
    assert [str(e.span) for e in flagged] == ["Jenkinsfile:4:1"] and "no UNSTABLE result" in flagged[0].reason
    assert _entry(conv, "post success").outcome == "approximated"
    assert "step unstable at Jenkinsfile:4:1 can make the build UNSTABLE" in _entry(conv, "post success").reason
    assert any(t.title == "Deploy · sh: make deploy" for t in conv.pipeline.tasks)  # the build goes on


def test_an_unstable_step_with_a_blank_message_fails_there_and_is_no_source() -> None:
    """UnstableStep's constructor rejects a blank message ("A non-empty message is required"): the build fails."""
    conv = _convert("unstable '  '", options="options { skipStagesAfterUnstable() }")
    assert conv.status == "converted", conv.reasons
    assert _entry(conv, "option skipStagesAfterUnstable").outcome == "waived"
    [task] = [t for t in conv.pipeline.tasks if "unstable" in t.title]
    assert next(d for d in conv.tasks if d.name == task.uses.name).spec.command.endswith("exit 1")
    assert "A non-empty message is required" in _entry(conv, "step unstable").reason


def _freestyle(threshold: str, builder: str = "", publisher: str = "") -> Any:
    xml = f"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <builders><hudson.tasks.Shell><command>make</command>{builder}</hudson.tasks.Shell></builders>
  <publishers>{publisher}
    <hudson.tasks.BuildTrigger><childProjects>etl-load</childProjects>
      <threshold><name>{threshold}</name><ordinal>0</ordinal><color>BLUE</color><completeBuild>true</completeBuild>
      </threshold></hudson.tasks.BuildTrigger>
  </publishers>
</project>
""".encode()
    return convert_job(parse_config_xml(xml, "jobs/etl/config.xml", "etl"))


JUNIT_PUBLISHER = "<hudson.tasks.junit.JUnitResultArchiver><testResults>r/*.xml</testResults>" \
                  "</hudson.tasks.junit.JUnitResultArchiver>"


def test_a_success_threshold_with_a_junit_publisher_is_flagged() -> None:
    conv = _freestyle("SUCCESS", publisher=JUNIT_PUBLISHER)
    entry = _entry(conv, "publisher hudson.tasks.BuildTrigger condition SUCCESS")
    assert entry.outcome == "approximated"
    assert "JUnitResultArchiver" in entry.reason and "does not trigger 'etl-load' after an UNSTABLE build" in \
        entry.reason
    assert not [e for e in _freestyle("SUCCESS").ledger if "condition" in e.element]


def test_an_unstable_threshold_with_unstable_return_is_flagged_and_with_junit_is_not() -> None:
    # unstableReturn: Jenkins' build is UNSTABLE and triggers (UNSTABLE or better); the task fails and the run does not
    conv = _freestyle("UNSTABLE", builder="<unstableReturn>3</unstableReturn>")
    entry = _entry(conv, "publisher hudson.tasks.BuildTrigger condition UNSTABLE_OR_BETTER")
    assert "unstableReturn 3" in entry.reason and "still triggers 'etl-load'" in entry.reason
    # junit: Jenkins triggers on UNSTABLE, and the run (success) triggers too
    junit = _freestyle("UNSTABLE", publisher=JUNIT_PUBLISHER)
    assert not [e for e in junit.ledger if "condition" in e.element]

"""Waivers about UNSTABLE hold only in a job nothing can make UNSTABLE (convert/unstable.py): with a source (junit,
catchError buildResult UNSTABLE, unstableReturn...), they are flagged naming it; without one, they stay waived."""

from __future__ import annotations

from typing import Any

import pytest

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


POST_SUCCESS = "post { success { sh 'touch ok' } }"


def test_record_issues_without_quality_gates_keeps_its_waiver() -> None:
    conv = _convert("recordIssues tools: [java()]", post=POST_SUCCESS)
    assert conv.status == "converted", conv.reasons
    assert _entry(conv, "step recordIssues").outcome == "waived"


def test_record_issues_with_an_unstable_quality_gate_is_flagged_and_a_source() -> None:
    conv = _convert("recordIssues tools: [java()], qualityGates: [[threshold: 1, type: 'TOTAL', "
                    "criticality: 'UNSTABLE']]", post=POST_SUCCESS)
    issues = _entry(conv, "step recordIssues")
    assert issues.outcome == "approximated"
    assert "Jenkins sets the build UNSTABLE" in issues.reason and "does not evaluate" in issues.reason
    success = _entry(conv, "post success")
    assert success.outcome == "approximated"
    assert success.reason.startswith("step recordIssues qualityGates at Jenkinsfile:4:1 can make the build UNSTABLE")


def test_record_issues_gate_unstable_false_fails_the_build_and_is_no_source() -> None:
    conv = _convert("recordIssues tools: [java()], qualityGates: [[threshold: 1, type: 'TOTAL', unstable: false]]",
                    post=POST_SUCCESS)
    assert "Jenkins sets the build FAILURE" in _entry(conv, "step recordIssues").reason
    assert _entry(conv, "post success").outcome == "mapped"


def test_build_job_that_propagates_is_a_source() -> None:
    conv = _convert("build job: 'etl-load'", post=POST_SUCCESS)
    entry = _entry(conv, "post success")
    assert entry.outcome == "approximated"
    assert entry.reason.startswith("step build propagate at Jenkinsfile:4:1 can make the build UNSTABLE"), \
        entry.reason


def test_build_job_without_propagate_or_wait_is_no_source() -> None:
    for args in ("propagate: false", "wait: false"):
        conv = _convert(f"build job: 'etl-load', {args}", post=POST_SUCCESS)
        assert _entry(conv, "post success").outcome == "mapped", args


MAILER = "<hudson.tasks.Mailer><recipients>ops@example.com</recipients></hudson.tasks.Mailer>"


def _freestyle_notify(publisher: str, builder: str = "") -> Any:
    xml = f"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <builders><hudson.tasks.Shell><command>make</command>{builder}</hudson.tasks.Shell></builders>
  <publishers>{publisher}</publishers>
</project>
""".encode()
    return convert_job(parse_config_xml(xml, "jobs/etl/config.xml", "etl"))


def test_mailer_with_a_source_is_flagged_and_without_one_stays_mapped() -> None:
    conv = _freestyle_notify(JUNIT_PUBLISHER + MAILER)
    entry = _entry(conv, "publisher hudson.tasks.Mailer")
    assert entry.outcome == "approximated"
    assert "JUnitResultArchiver" in entry.reason and "Jenkins mails on an UNSTABLE build" in entry.reason
    assert "the run ends success and mails neither" in entry.reason
    assert _entry(_freestyle_notify(MAILER), "publisher hudson.tasks.Mailer").outcome == "mapped"


def _emailext(trigger: str) -> str:
    return (f"<hudson.plugins.emailext.ExtendedEmailPublisher><recipientList>ops@example.com</recipientList>"
            f"<configuredTriggers><hudson.plugins.emailext.plugins.trigger.{trigger}><email>"
            "<recipientList>ops@example.com</recipientList><subject>s</subject><body>b</body>"
            "<recipientProviders><hudson.plugins.emailext.plugins.recipients.ListRecipientProvider/>"
            f"</recipientProviders></email></hudson.plugins.emailext.plugins.trigger.{trigger}>"
            "</configuredTriggers></hudson.plugins.emailext.ExtendedEmailPublisher>")


def test_emailext_success_and_unstable_triggers_follow_the_sources() -> None:
    elem = "publisher hudson.plugins.emailext.ExtendedEmailPublisher"
    for trigger, without, text in (("SuccessTrigger", "mapped", "sends no Success mail for an UNSTABLE build"),
                                   ("UnstableTrigger", "waived", "Jenkins then sends this mail")):
        assert _entry(_freestyle_notify(_emailext(trigger)), f"{elem} {trigger}").outcome == without, trigger
        entry = _entry(_freestyle_notify(JUNIT_PUBLISHER + _emailext(trigger)), f"{elem} {trigger}")
        assert entry.outcome == "approximated" and text in entry.reason, (trigger, entry.reason)


def test_emailext_failure_trigger_is_flagged_only_with_a_source_that_fails() -> None:
    elem = "publisher hudson.plugins.emailext.ExtendedEmailPublisher FailureTrigger"
    assert _entry(_freestyle_notify(JUNIT_PUBLISHER + _emailext("FailureTrigger")), elem).outcome == "mapped"
    entry = _entry(_freestyle_notify(_emailext("FailureTrigger"), "<unstableReturn>3</unstableReturn>"), elem)
    assert entry.outcome == "approximated" and "sends no Failure mail for an UNSTABLE build" in entry.reason


def _slack(flags: str) -> str:
    return (f"<jenkins.plugins.slack.SlackNotifier><room>#ci</room>{flags}</jenkins.plugins.slack.SlackNotifier>")


def test_slack_notify_success_and_unstable_follow_the_sources() -> None:
    elem = "publisher jenkins.plugins.slack.SlackNotifier"
    flags = "<notifySuccess>true</notifySuccess><notifyUnstable>true</notifyUnstable>"
    conv = _freestyle_notify(_slack(flags))
    assert conv.status == "converted", conv.reasons
    assert _entry(conv, f"{elem} notifyUnstable").outcome == "waived"
    conv = _freestyle_notify(JUNIT_PUBLISHER + _slack(flags))
    success, unstable = _entry(conv, f"{elem} notifySuccess"), _entry(conv, f"{elem} notifyUnstable")
    assert success.outcome == unstable.outcome == "approximated"
    assert "sends no success message for an UNSTABLE build" in success.reason
    assert "Jenkins then sends the unstable message" in unstable.reason


# the two kinds of source (convert.unstable.RUNS), as a freestyle job's (publisher, builder) parts, and their names
SOURCES = {"on": (JUNIT_PUBLISHER, "", "JUnitResultArchiver"), "fails": ("", "<unstableReturn>3</unstableReturn>",
                                                                          "unstableReturn")}


def _unstable_entries(conv: Any, element: str) -> list[Any]:
    """The ledger entries of `element` that settle made approximations naming a source."""
    return [e for e in conv.ledger if e.element == element and "can make the build UNSTABLE" in e.reason]


@pytest.mark.parametrize(("trigger", "without", "flagged_by", "words"), [
    ("FixedTrigger", "mapped", ("on",), "sends the Fixed mail when a build succeeds after an UNSTABLE one"),
    ("FixedUnhealthyTrigger", "mapped", ("on",), "sends this mail when a build succeeds after an UNSTABLE one"),
    ("BuildingTrigger", "waived", ("on", "fails"), "sends this mail when it follows a failed build"),
    ("StatusChangedTrigger", "mapped", ("on", "fails"), "SUCCESS to UNSTABLE, UNSTABLE to FAILURE are changes"),
    ("FirstFailureTrigger", "mapped", ("fails",), "sends no 1st Failure mail for an UNSTABLE build"),
    ("StillFailingTrigger", "mapped", ("fails",), "Still Failing mail for a FAILURE after a FAILURE only"),
    ("SecondFailureTrigger", "approximated", ("fails",), "counts an UNSTABLE build as no failure"),
    ("XNthFailureTrigger", "approximated", ("fails",), "counts an UNSTABLE build as no failure"),
])
def test_emailext_triggers_reading_unstable_follow_the_sources(trigger: str, without: str,
                                                               flagged_by: tuple[str, ...], words: str) -> None:
    """email-ext's trigger classes read an UNSTABLE result (current or previous): flagged naming a source of the kinds
    that change what is sent; faithful as converted (mapped, waived, or approximated for another reason) without."""
    elem = f"publisher hudson.plugins.emailext.ExtendedEmailPublisher {trigger}"
    conv = _freestyle_notify(_emailext(trigger))
    assert [e.outcome for e in conv.ledger if e.element == elem] == [without]
    for run, (publisher, builder, name) in SOURCES.items():
        flagged = _unstable_entries(_freestyle_notify(publisher + _emailext(trigger), builder), elem)
        if run not in flagged_by:
            assert not flagged, (run, flagged)
            continue
        assert [e.outcome for e in flagged] == ["approximated"], run
        assert name in flagged[0].reason and words in flagged[0].reason, flagged[0].reason


@pytest.mark.parametrize(("flag", "flagged_by", "words"), [
    ("notifyBackToNormal", ("on",), "back-to-normal message when a build succeeds after an UNSTABLE one"),
    ("notifyFailure", ("fails",), "sends no failure message for an UNSTABLE build"),
    ("notifyRepeatedFailure", ("fails",), "repeated-failure message for a FAILURE after a FAILURE only"),
    ("notifyRegression", ("on", "fails"), "UNSTABLE between SUCCESS and FAILURE"),
])
def test_slack_flags_reading_unstable_follow_the_sources(flag: str, flagged_by: tuple[str, ...], words: str) -> None:
    """slack-plugin's decisions (OnBackToNormal, OnSingleFailure, OnRepeatedFailure, OnRegression) read UNSTABLE:
    flagged naming a source of the kinds that change what is sent; nothing to flag without one."""
    elem = f"publisher jenkins.plugins.slack.SlackNotifier {flag}"
    conv = _freestyle_notify(_slack(f"<{flag}>true</{flag}>"))
    assert conv.status == "converted", conv.reasons
    for run, (publisher, builder, name) in SOURCES.items():
        flagged = _unstable_entries(_freestyle_notify(publisher + _slack(f"<{flag}>true</{flag}>"), builder), elem)
        if run not in flagged_by:
            assert not flagged, (run, flagged)
            continue
        assert [e.outcome for e in flagged] == ["approximated"], run
        assert name in flagged[0].reason and words in flagged[0].reason, flagged[0].reason


def test_slack_flags_covered_by_another_are_not_flagged() -> None:
    """notifySuccess sends the success after an UNSTABLE build too; every failure sent covers UNSTABLE to FAILURE."""
    elem = "publisher jenkins.plugins.slack.SlackNotifier"
    on, _, _ = SOURCES["on"]
    conv = _freestyle_notify(on + _slack("<notifySuccess>true</notifySuccess><notifyBackToNormal>true"
                                         "</notifyBackToNormal>"))
    assert not _unstable_entries(conv, f"{elem} notifyBackToNormal")
    _, fails, _ = SOURCES["fails"]
    conv = _freestyle_notify(_slack("<notifyFailure>true</notifyFailure><notifyRepeatedFailure>true"
                                    "</notifyRepeatedFailure><notifyRegression>true</notifyRegression>"), fails)
    assert not _unstable_entries(conv, f"{elem} notifyRegression")


def test_mailer_with_a_source_that_fails_is_flagged_for_its_words() -> None:
    """A build Jenkins marks UNSTABLE fails here: both mail, but Jenkins says unstable and the run says failed."""
    elem = "publisher hudson.tasks.Mailer unstable mail"
    assert not [e for e in _freestyle_notify(MAILER).ledger if e.element == elem]
    assert not [e for e in _freestyle_notify(JUNIT_PUBLISHER + MAILER).ledger if e.element == elem]
    conv = _freestyle_notify(MAILER, SOURCES["fails"][1])
    (entry,) = _unstable_entries(conv, elem)
    assert entry.outcome == "approximated" and "unstableReturn" in entry.reason
    assert "'Jenkins build became unstable'" in entry.reason and "'Build failed in Jenkins'" in entry.reason
    assert _entry(conv, "publisher hudson.tasks.Mailer").outcome == "mapped"  # the run mails, as Jenkins does

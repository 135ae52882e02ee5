"""Notifications map fully or are flagged: email-ext triggers -> the runtime's on/condition, per-trigger recipients
and providers, email-ext defaults and tokens, Mailer's failure and back-to-normal mails, `mail`/`emailext`/`slackSend`
arguments, the Slack publisher's flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from jenkins2flow_runtime import model
from jenkins2flow_runtime.expressions import Context, as_text, evaluate
from jenkins2flow_runtime.fallback import post_condition_holds
from jenkins2flow_runtime.notify import RunInfo, fill, jenkins_status, recipients

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml

TRIGGER = "hudson.plugins.emailext.plugins.trigger.{name}"


def _emailext(triggers: str, top: str = "<recipientList>team@example.com</recipientList>") -> bytes:
    return f"""<project>
<builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>
<publishers><hudson.plugins.emailext.ExtendedEmailPublisher>
{top}
<configuredTriggers>
{triggers}
</configuredTriggers>
<defaultSubject>$DEFAULT_SUBJECT</defaultSubject>
<defaultContent>$DEFAULT_CONTENT</defaultContent>
</hudson.plugins.emailext.ExtendedEmailPublisher></publishers></project>""".encode()


def _trigger(name: str, email: str = "") -> str:
    cls = TRIGGER.format(name=name)
    return f"<{cls}><email>{email}</email></{cls}>"


def _convert_xml(data: bytes, rules: Any = None, name: str = "sales/nightly") -> Any:
    return convert_job(parse_config_xml(data, "config.xml", name), rules)


@pytest.mark.parametrize(("trigger", "on", "condition"), [
    ("AlwaysTrigger", "always", ""), ("SuccessTrigger", "success", ""), ("FailureTrigger", "failure", ""),
    ("FirstFailureTrigger", "failure", "first_failure"), ("StillFailingTrigger", "failure", "still_failing"),
    ("FixedTrigger", "success", "fixed"), ("FixedUnhealthyTrigger", "success", "fixed"),
    ("StatusChangedTrigger", "always", "changed"),
])
def test_emailext_triggers_map_to_the_runtime_conditions(trigger: str, on: str, condition: str) -> None:
    conv = _convert_xml(_emailext(_trigger(trigger, "<recipientList>x@example.com</recipientList>")))
    [note] = conv.pipeline.notifications
    assert (note.on, note.condition, note.channel) == (on, condition, "email")
    assert note.to == ["x@example.com", "team@example.com"]  # the trigger's own, then the project's list
    assert conv.status == "converted", conv.reasons


@pytest.mark.parametrize("trigger", ["AbortedTrigger", "PreBuildTrigger", "ScriptTrigger", "NoSuchTrigger"])
def test_triggers_the_runtime_cannot_honour_are_flagged_at_their_element(trigger: str) -> None:
    """(UnstableTrigger: waived in a job nothing makes UNSTABLE, flagged otherwise: test_unstable_waivers.)"""
    conv = _convert_xml(_emailext(_trigger("FailureTrigger") + "\n" + _trigger(trigger)))
    assert [n.on for n in conv.pipeline.notifications] == ["failure"]
    [approx] = conv.approximations
    assert approx.element.endswith(trigger) and str(approx.span) == "config.xml:7:1"  # the trigger's own line


def test_recipient_providers_and_default_recipients(tmp_path: Path) -> None:
    triggers = _trigger("FailureTrigger", """<recipientList>$DEFAULT_RECIPIENTS, cc:boss@example.com</recipientList>
<recipientProviders><hudson.plugins.emailext.plugins.recipients.DevelopersRecipientProvider/>
<hudson.plugins.emailext.plugins.recipients.ListRecipientProvider/></recipientProviders>""")
    conv = _convert_xml(_emailext(triggers))
    [note] = conv.pipeline.notifications
    assert note.to == ["boss@example.com", "team@example.com"]
    reasons = [(e.element.rsplit(" ", 1)[-1], e.reason) for e in conv.approximations]
    assert [r for e, r in reasons if e == "DevelopersRecipientProvider" and "SCM changelog" in r]
    assert [r for e, r in reasons if e == "FailureTrigger" and "$DEFAULT_RECIPIENTS is email-ext's global" in r]
    assert [r for e, r in reasons if e == "FailureTrigger" and "cc:boss@example.com" in r]
    (tmp_path / "n.yaml").write_text("notifications: {emailext_defaults: {DEFAULT_RECIPIENTS: 'ops@example.com'}}\n")
    given = _convert_xml(_emailext(_trigger("FailureTrigger", "<recipientList>$DEFAULT_RECIPIENTS</recipientList>"
                                            )), load_rules([tmp_path]))
    assert given.pipeline.notifications[0].to == ["ops@example.com", "team@example.com"]
    assert given.status == "converted", given.reasons
    only_providers = _convert_xml(_emailext(_trigger("FailureTrigger", "<recipientProviders>"
                                                     "<hudson.plugins.emailext.plugins.recipients.CulpritsRecipientProvider/>"
                                                     "</recipientProviders>")))
    assert only_providers.pipeline.notifications[0].to == []  # the list provider is not among them
    assert any("JENKINS2FLOW_MAIL_TO" in e.reason for e in only_providers.approximations)


def test_an_emailext_step_with_no_recipient_says_jenkins_sends_nothing() -> None:
    """email-ext ignores an empty recipient list (nothing is sent): the flag says so, beside what the runtime does."""
    conv = convert_job(parse_jenkinsfile("""pipeline { agent any
      stages { stage('b') { steps { emailext subject: 'built', body: 'ok' } } } }""", "Jenkinsfile", "sales/nightly"))
    [entry] = [e for e in conv.approximations if e.element == "step emailext"]
    assert "Jenkins sends nothing" in entry.reason and "JENKINS2FLOW_MAIL_TO" in entry.reason


def test_tokens_become_the_job_name_or_runtime_placeholders_and_unknown_ones_are_flagged() -> None:
    triggers = _trigger("FailureTrigger", "<subject>$PROJECT_DEFAULT_SUBJECT</subject>"
                        "<body>$PROJECT_DEFAULT_CONTENT ${BUILD_LOG, maxLines=50} cost $$5</body>")
    conv = _convert_xml(_emailext(triggers))
    [note] = conv.pipeline.notifications
    assert note.subject == "sales/nightly - Build # ${AIRFLOW_BUILD_NUMBER} - ${AIRFLOW_BUILD_STATUS}!"
    assert note.body == ("sales/nightly - Build # ${AIRFLOW_BUILD_NUMBER} - ${AIRFLOW_BUILD_STATUS}:\n\nCheck console "
                         "output at ${AIRFLOW_RUN_URL} to view the results. ${BUILD_LOG, maxLines=50} cost $5")
    [approx] = conv.approximations
    assert "${BUILD_LOG, maxLines=50}" in approx.reason and str(approx.span) == "config.xml:6:1"
    run = RunInfo("sales.nightly", "manual__1", "failed", run_url="https://af/dags/x", status="Still Failing")
    assert fill(note.subject, run) == "sales/nightly - Build # manual__1 - Still Failing!"


def test_mailer_mails_on_failure_and_when_back_to_normal() -> None:
    xml = b"""<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>
<publishers><hudson.tasks.Mailer><recipients>a@example.com b@example.com</recipients>
<dontNotifyEveryUnstableBuild>true</dontNotifyEveryUnstableBuild><sendToIndividuals>true</sendToIndividuals>
</hudson.tasks.Mailer></publishers></project>"""
    conv = _convert_xml(xml)
    failed, fixed = conv.pipeline.notifications
    assert (failed.on, failed.condition, failed.to) == ("failure", "", ["a@example.com", "b@example.com"])
    assert (fixed.on, fixed.condition) == ("success", "fixed")
    assert fixed.subject == "Jenkins build is back to normal : sales/nightly #${AIRFLOW_BUILD_NUMBER}"
    [approx] = conv.approximations
    assert approx.element.endswith("sendToIndividuals")
    assert ("publisher hudson.tasks.Mailer dontNotifyEveryUnstableBuild", "waived") in {
        (e.element, e.outcome) for e in conv.ledger}


STEPS = """pipeline {
  agent any
  stages { stage('b') { steps { sh 'make' } } }
  post {
    failure {
      mail to: 'dev@example.com', cc: 'lead@example.com', subject: "Failed: ${env.JOB_NAME} #${env.BUILD_NUMBER}",
           body: 'Literal $BUILD_NUMBER: the mail step expands nothing'
      emailext to: 'qa@example.com', subject: '$DEFAULT_SUBJECT', body: "${currentBuild.fullDisplayName}: $BUILD_URL",
               recipientProviders: [developers(), requestor()]
      slackSend channel: '#ci', color: 'danger', message: "Failed ${env.BUILD_URL} for ${params.REGION}"
    }
  }
}
"""


def test_notification_steps_translate_groovy_references_and_flag_what_they_drop() -> None:
    conv = convert_job(parse_jenkinsfile(STEPS, "Jenkinsfile", "sales/nightly"))
    ext, slack = conv.pipeline.notifications
    # Jenkins' mail step fails the build when it cannot send: a task of the post block (a callback cannot fail a run)
    [task] = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    assert task.bindings["fail_on_error"] is True
    mail = model.Notification.model_validate(task.bindings["notification"])
    assert mail.to == ["dev@example.com", "lead@example.com"]
    assert mail.subject == "Failed: sales/nightly #${AIRFLOW_BUILD_NUMBER}"
    assert mail.body == "Literal $BUILD_NUMBER: the mail step expands nothing"
    assert ext.subject == "sales/nightly - Build # ${AIRFLOW_BUILD_NUMBER} - ${AIRFLOW_BUILD_STATUS}!"
    assert ext.body == "sales/nightly #${AIRFLOW_BUILD_NUMBER}: ${AIRFLOW_RUN_URL}"
    assert slack.body == "Failed ${AIRFLOW_RUN_URL} for ${params.REGION}" and slack.to == ["#ci"]
    flagged = {e.element: (str(e.span), e.reason) for e in conv.approximations}
    assert flagged["step mail cc"][0] == "Jenkinsfile:6:7" and "as To" in flagged["step mail cc"][1]
    assert "SCM changelog" in flagged["step emailext developers"][1]
    assert "Jenkins user" in flagged["step emailext requestor"][1]
    assert "plain text" in flagged["step slackSend color"][1]
    assert "step slackSend" not in flagged  # ${params.REGION} is computed when the message is sent:
    assert as_text(slack.values["body"], Context(params={"REGION": "eu"})) == "Failed ${AIRFLOW_RUN_URL} for eu"
    assert all(n.on == "failure" for n in conv.pipeline.notifications)
    assert task.depends_on == ["post_post_failure_gate"]


NESTED = """pipeline {
  agent any
  options { skipDefaultCheckout() }
  parameters { booleanParam(name: 'PAGE', defaultValue: false) }
  stages { stage('Load') { steps { sh './load.sh' } } }
  post {
    failure {
      mail to: 'data@example.com', subject: 'load failed', body: 'see the run'
      script { if (params.PAGE) { slackSend channel: '#oncall', message: 'load failed' } }
    }
  }
}
"""


def test_a_notification_nested_in_the_pipelines_post_is_a_task_after_its_gates() -> None:
    """Only a step written directly in a block of the pipeline's post is a callback; one in an `if` there runs
    after the block's gate and the if's gate (never on every failure whatever the condition)."""
    conv = convert_job(parse_jenkinsfile(NESTED, "Jenkinsfile", "sales/nightly"))
    assert conv.status == "converted"
    assert conv.pipeline.notifications == []  # the mail fails the build when it cannot send: a task too
    tasks = {t.id: t for t in conv.pipeline.tasks}
    mail, send = [t for t in tasks.values() if t.uses.name == "airflow.notify"]
    assert mail.bindings["notification"]["to"] == ["data@example.com"] and mail.bindings["fail_on_error"] is True
    assert send.bindings["notification"]["to"] == ["#oncall"]
    if_gate = tasks[send.depends_on[0]]
    assert if_gate.uses.name == "airflow.when-gate" and if_gate.bindings["condition"]["args"][0]["param"] == "PAGE"
    assert if_gate.depends_on == [mail.id]  # in the block's order, after the mail
    block_gate = tasks[mail.depends_on[0]]
    assert block_gate.uses.name == "airflow.block-gate" and block_gate.bindings["runs_on"] == "failure"


def test_a_catch_mail_that_reads_the_build_result_is_flagged() -> None:
    """In a catch block Jenkins' result is still SUCCESS; the runtime's result so far says FAILURE: flagged."""
    conv = convert_job(parse_jenkinsfile("""node { stage('Build') {
      try { sh 'make' } catch (e) {
        mail to: 'team@example.com', subject: "Build ${currentBuild.currentResult}", body: 'x'
        throw e
      } } }""", "Jenkinsfile", "sales/nightly"))
    assert conv.status == "partial"
    [entry] = conv.approximations
    assert entry.element == "step mail result" and "still SUCCESS" in entry.reason and str(entry.span) == \
        "Jenkinsfile:3:9"


REFUSED = """pipeline {
  agent any
  options { skipDefaultCheckout() }
  parameters { string(name: 'SUBJECT', defaultValue: '') }
  stages {
    stage('Build') {
      steps {
        mail to: 'data@example.com', subject: 'built'
        mail cc: '  ', subject: 'built', body: 'ok'
        mail to: 'data@example.com', subject: "${params.SUBJECT}", body: 'ok'
      }
    }
  }
}
"""


def test_a_mail_step_jenkins_refuses_is_a_task_that_fails_there() -> None:
    """workflow-basic-steps MailStep fails the build, sending nothing, on a blank subject or body or no recipient:
    known when converting, a task that always fails at its place (no default subject, no JENKINS2FLOW_MAIL_TO,
    nothing flagged: it is faithful); computed in the run, the send task checks it (binding `required`)."""
    conv = convert_job(parse_jenkinsfile(REFUSED, "Jenkinsfile", "sales/nightly"))
    assert conv.status == "converted", conv.reasons
    no_body, no_recipient, computed = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    for task in (no_body, no_recipient, computed):
        assert task.bindings["required"] == ["subject", "body", "to"] and task.bindings["fail_on_error"] is True
    assert no_body.bindings["notification"] == {"channel": "email", "to": ["data@example.com"], "subject": "built"}
    assert "to" not in no_recipient.bindings["notification"]
    assert computed.bindings["notification"]["values"]["subject"]["args"][0]["param"] == "SUBJECT"
    reasons = {str(e.span): e.reason for e in conv.ledger if e.element == "step mail"}
    assert reasons["Jenkinsfile:8:9"].startswith("body blank: a task fails the run there") and \
        "All mandatory properties must be supplied ('subject', 'body')" in reasons["Jenkinsfile:8:9"]
    assert "No recipients of any kind specified ('to', 'cc', 'bcc')" in reasons["Jenkinsfile:9:9"]
    assert "a blank subject/body/to computed in the run fails it too" in reasons["Jenkinsfile:10:9"]
    assert not [e for e in conv.ledger if "JENKINS2FLOW_MAIL_TO" in e.reason]


POST_MAIL_TO = """pipeline { agent any
  options { skipDefaultCheckout() }
  parameters { string(name: 'MAIL_TO', defaultValue: 'ops@example.com'); string(name: 'TEAM', defaultValue: 'data') }
  stages { stage('a') { steps { sh 'make' } } }
  post { failure { mail to: params.MAIL_TO, subject: 's', body: 'b' } } }"""


def _mail_task(conv: Any) -> Any:
    [task] = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    return task


def test_a_recipient_groovy_computes_in_the_run_is_computed_when_sent() -> None:
    """`mail to: params.MAIL_TO` in post failure: not an address written here (never sent to "params.MAIL_TO"), and
    not dropped either: the parameter's tree, which the mail task evaluates when it sends (and, as Jenkins' step,
    refuses when it comes out empty: `to` required). Nothing is flagged for it: the job's status is the one of the
    same job without the mail."""
    conv = convert_job(parse_jenkinsfile(POST_MAIL_TO, "Jenkinsfile", "sales/nightly"))
    without = convert_job(parse_jenkinsfile(POST_MAIL_TO.replace("mail to: params.MAIL_TO, subject: 's', body: 'b'",
                                                                 "echo 'failed'"), "Jenkinsfile", "sales/nightly"))
    task = _mail_task(conv)
    mail = model.Notification.model_validate(task.bindings["notification"])
    assert mail.to == [] and mail.values["to"]["param"] == "MAIL_TO"
    assert task.bindings["required"] == ["subject", "body", "to"] and task.bindings["fail_on_error"] is True
    assert conv.status == without.status == "converted", conv.reasons
    assert not [e for e in conv.ledger if "JENKINS2FLOW_MAIL_TO" in e.reason or e.element == "step mail recipients"]


def test_computed_cc_and_bcc_join_the_written_recipients_and_what_the_run_cannot_compute_stays_flagged() -> None:
    """cc and bcc go to To as today: the addresses written as such, then the computed ones, in one tree; a recipient
    the runtime cannot compute (an env variable nothing sets) is still dropped and flagged, with why."""
    conv = convert_job(parse_jenkinsfile(POST_MAIL_TO.replace(
        "mail to: params.MAIL_TO,", "mail to: 'lead@example.com', cc: \"${params.TEAM}@example.com\", "
        "bcc: env.NOBODY_SETS_THIS,"), "Jenkinsfile", "sales/nightly"))
    mail = model.Notification.model_validate(_mail_task(conv).bindings["notification"])
    assert mail.to == ["lead@example.com"]  # what is sent should the computed ones fail in the run
    assert recipients(evaluate(mail.values["to"], Context(params={"TEAM": "data"}))) == [
        "lead@example.com", "data@example.com"]
    flagged = {e.element: e.reason for e in conv.approximations}
    assert "env.NOBODY_SETS_THIS cannot be used as written" in flagged["step mail recipients"]
    assert _mail_task(conv).bindings["required"] == ["subject", "body"]  # a dropped recipient: `to` not judged


def test_emailext_keeps_its_defaults() -> None:
    """emailext fills $DEFAULT_SUBJECT / $DEFAULT_CONTENT and only logs an empty recipient list: no refusal."""
    conv = convert_job(parse_jenkinsfile("node { emailext to: 'qa@example.com' }", "Jenkinsfile", "sales/nightly"))
    [task] = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    assert "required" not in task.bindings and task.bindings["notification"]["subject"]


def test_slack_publisher_flags() -> None:
    def slack(**flags: bool) -> Any:
        fields = "".join(f"<{k}>{str(v).lower()}</{k}>" for k, v in flags.items())
        xml = (f"<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>"
               f"<publishers><jenkins.plugins.slack.SlackNotifier><room>#etl</room>{fields}"
               "</jenkins.plugins.slack.SlackNotifier></publishers></project>").encode()
        return _convert_xml(xml)

    conv = slack(notifyFailure=True, notifyBackToNormal=True, notifyUnstable=True)
    assert [(n.on, n.condition, n.to) for n in conv.pipeline.notifications] == [
        ("success", "fixed", ["#etl"]), ("failure", "first_failure", ["#etl"])]
    assert not conv.approximations, conv.reasons  # no UNSTABLE source: Jenkins never sends it either (waived)
    assert [e.outcome for e in conv.ledger if e.element.endswith("notifyUnstable")] == ["waived"]
    every = slack(notifyFailure=True, notifyRepeatedFailure=True, notifySuccess=True, notifyBackToNormal=True)
    assert sorted((n.on, n.condition) for n in every.pipeline.notifications) == [("failure", ""), ("success", "")]


@pytest.mark.parametrize(("current", "previous", "first", "still"), [
    ("failed", None, True, False), ("failed", "success", True, False), ("failed", "failed", False, True),
    ("success", "failed", False, False), ("success", None, False, False),
])
def test_first_failure_and_still_failing_follow_email_ext(current: str, previous: str | None, first: bool,
                                                          still: bool) -> None:
    assert post_condition_holds("first_failure", current, previous) is first
    assert post_condition_holds("still_failing", current, previous) is still


def test_build_status_in_email_ext_words() -> None:
    assert [jenkins_status(r, p) for r, p in (("success", None), ("success", "failed"), ("failed", "success"),
                                              ("failed", "failed"))] == ["Successful", "Fixed", "Failure",
                                                                         "Still Failing"]


def test_the_slack_ledger_is_in_the_same_order_whatever_the_hash_seed() -> None:
    """Python's string hashes change per process: a ledger built from a set would change order between runs."""
    import subprocess
    import sys

    xml = (Path(__file__).parent / "golden" / "notify_slack.config.xml").read_bytes()
    xml = xml.replace(b"<notifyAborted>false</notifyAborted>", b"<notifyAborted>true</notifyAborted>") \
        .replace(b"<notifyNotBuilt>false</notifyNotBuilt>", b"<notifyNotBuilt>true</notifyNotBuilt>")
    code = ("import sys\nfrom jenkins2flow.convert.job import convert_job\n"
            "from jenkins2flow.parse.job_xml import parse_config_xml\n"
            "conv = convert_job(parse_config_xml(sys.stdin.buffer.read(), 'config.xml', 'slack'))\n"
            "print([e.element for e in conv.ledger if e.outcome == 'approximated'])\n")
    seen = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        done = subprocess.run([sys.executable, "-c", code], input=xml, capture_output=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        seen.add(done.stdout)
    [ledger] = seen
    assert b"notifyAborted" in ledger and b"notifyNotBuilt" in ledger


MAY_THROW = """pipeline {
  agent any
  options { skipDefaultCheckout() }
  parameters { string(name: 'REGION', defaultValue: '') }
  stages { stage('b') { steps { sh 'make' } } }
  post {
    always {
      emailext to: 'qa@example.com', subject: "Built for ${params.REGION.toUpperCase()}", body: 'b'
      slackSend channel: '#ci', message: "Built for ${params.REGION}"
    }
  }
}
"""


def test_a_post_notification_whose_computed_field_can_throw_is_a_task_of_its_block() -> None:
    """`${params.REGION.toUpperCase()}` throws in Groovy when REGION is null: Jenkins fails the build and sends
    nothing, which a callback cannot do, so that step is a task of the post block (it fails there, sending nothing:
    tests/runtime/test_notify.py); `${params.REGION}` cannot throw (null interpolates as "null"): still a callback."""
    conv = convert_job(parse_jenkinsfile(MAY_THROW, "Jenkinsfile", "sales/nightly"))
    assert conv.status == "converted", conv.reasons
    [slack] = conv.pipeline.notifications
    assert slack.channel == "slack" and slack.on == "always" and slack.values["body"]
    [task] = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    sent = model.Notification.model_validate(task.bindings["notification"])
    assert sent.to == ["qa@example.com"] and sent.values["subject"]["args"][1]["op"] == "call"
    assert "fail_on_error" not in task.bindings  # emailext only logs a message it cannot send
    gate = {t.id: t for t in conv.pipeline.tasks}[task.depends_on[0]]
    assert gate.uses.name == "airflow.block-gate" and gate.bindings["runs_on"] == "always"

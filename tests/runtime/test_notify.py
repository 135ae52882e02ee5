"""Pipeline notifications at run time, sent through Airflow's SmtpHook and SlackWebhookHook on Airflow connections
(AIRFLOW_CONN_* here): a local SMTP server and a local Slack webhook (HTTP) on 127.0.0.1 receive what converted
Jenkins `mail` / `slackSend` post steps send from real dag.test() runs; unit tests for `send`."""

from __future__ import annotations

import html
import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.expressions import Context
from jenkins2flow_runtime.notify import (
    MAIL_BLANK_TEXT,
    MAIL_NO_RECIPIENT,
    NotifyError,
    PipelineNotifier,
    RunInfo,
    body_of,
    computed,
    fill,
    is_blank,
    mail_refusal,
    recipients,
    send,
    send_step,
)
from jenkins2flow_runtime.workspace import run_workspace

PASSWORD = "s3cr3t-pa55"
Logs = pytest.LogCaptureFixture
Out = pytest.CaptureFixture[str]


# ---- local servers ----------------------------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, (AUTH PLAIN), MAIL, RCPT, DATA, QUIT; each mail lands in server.mails."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 localhost test SMTP")
        sender, rcpts = "", []
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                self._say("250-localhost")
                self._say("250 AUTH PLAIN")
            elif upper.startswith("AUTH"):
                self.server.auth.append(verb)  # type: ignore[attr-defined]
                self._say("235 ok")
            elif upper.startswith("MAIL FROM:"):
                sender, rcpts = verb[10:].strip().strip("<>"), []
                self._say("250 ok")
            elif upper.startswith("RCPT TO:"):
                rcpts.append(verb[8:].strip().strip("<>"))
                self._say("250 ok")
            elif upper == "DATA":
                self._say("354 end with .")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                message = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=email_policy)
                self.server.mails.append({"from": sender, "to": rcpts, "message": message})  # type: ignore[attr-defined]
                self._say("250 queued")
            elif upper == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append({"path": self.path, "json": json.loads(body)})  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def smtp() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.mails, server.auth = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebhookHandler)
    server.posts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _url(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def _smtp_conn(monkeypatch: pytest.MonkeyPatch, port: int, conn_id: str = "smtp_default", **extra: Any) -> None:
    """A plain SMTP connection (no TLS: the local server has none) with a login and a password."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port, "login": "ci", "password": PASSWORD,
        "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0, **extra}}))


def _slack_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str = "slack_default", **fields: str) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "slackwebhook", **fields}))


def _text(message: Any) -> str:
    """The text of a mail SmtpHook sent: its HTML part, unescaped, without the <pre> around it."""
    body = message.get_body(preferencelist=("html",)).get_content()
    assert body.startswith("<pre>") and body.endswith("</pre>"), body
    return html.unescape(body[5:-6])


def _logs(caplog: Logs, capsys: Out) -> str:
    """What was logged: through logging, or through Airflow's structlog setup (to stdout/stderr)."""
    out = capsys.readouterr()
    return caplog.text + out.out + out.err


RUN = RunInfo(dag_id="etl", run_id="manual__1", result="failed", reason="task_failure")


# ---- send ---------------------------------------------------------------------------------------------------------


def test_email_through_the_smtp_connection_keeps_jenkins_text(smtp: Any, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: Logs, capsys: Out) -> None:
    _smtp_conn(monkeypatch, smtp.server_address[1], from_email="ci@example.com")
    n = model.Notification(on="failure", to=["a@example.com", "b@example.com"],
                           subject="Failed: ${env.JOB_NAME}\r\nBcc: x@evil.example {{ 7*7 }} ${AIRFLOW_DAG_ID} ✓",
                           body="See ${env.BUILD_URL} {% raw %} <b>&amp;</b> ${AIRFLOW_RUN_ID}\n  été</pre>")
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send(n, RUN) is True
    [mail] = smtp.mails
    assert mail["to"] == ["a@example.com", "b@example.com"] and mail["from"] == "ci@example.com"
    msg = mail["message"]
    assert msg["Subject"] == "Failed: ${env.JOB_NAME} Bcc: x@evil.example {{ 7*7 }} etl ✓"  # one header line
    assert msg["Bcc"] is None
    assert _text(msg) == body_of(n, RUN)  # the text as written, whatever HTML it holds
    assert _text(msg).startswith("See ${env.BUILD_URL} {% raw %} <b>&amp;</b> manual__1\n  été</pre>\n")
    assert "Airflow DAG 'etl', run 'manual__1': failed (task_failure)" in _text(msg)
    assert smtp.auth  # logged in with the connection's login
    assert "sent email notification on failure for 'etl'" in _logs(caplog, capsys)
    assert PASSWORD not in _logs(caplog, capsys)


def test_unreachable_smtp_is_logged_and_not_raised(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: Logs, capsys: Out) -> None:
    _smtp_conn(monkeypatch, _closed_port())
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send({"on": "failure", "to": ["a@example.com"], "subject": "s"}, RUN) is False
    assert "NOTIFICATION NOT SENT" in _logs(caplog, capsys) and "ConnectionRefusedError" in _logs(caplog, capsys)
    assert PASSWORD not in _logs(caplog, capsys)


def test_slack_posts_to_the_webhook_per_channel(webhook: Any, monkeypatch: pytest.MonkeyPatch,
                                                caplog: Logs, capsys: Out) -> None:
    _slack_conn(monkeypatch, password=_url(webhook) + "/services/T0/B0/XYZ")
    n = model.Notification(on="success", channel="slack", to=["#builds", "#ops"], subject="ok ${env.BUILD_URL}",
                           body="ok ${env.BUILD_URL}")
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send(n, RunInfo("etl", "r1", "success")) is True
    assert [p["json"]["channel"] for p in webhook.posts] == ["#builds", "#ops"]
    assert webhook.posts[0]["path"] == "/services/T0/B0/XYZ"
    assert webhook.posts[0]["json"]["text"].startswith("ok ${env.BUILD_URL}\n")
    assert "T0/B0/XYZ" not in _logs(caplog, capsys)


def test_slack_webhook_failure_is_logged(monkeypatch: pytest.MonkeyPatch, caplog: Logs, capsys: Out) -> None:
    _slack_conn(monkeypatch, password=f"http://127.0.0.1:{_closed_port()}/hook/SECRET")
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send({"channel": "slack", "to": ["#x"]}, RUN) is False
    assert "NOTIFICATION NOT SENT" in _logs(caplog, capsys) and "SECRET" not in _logs(caplog, capsys)


def test_connection_ids_from_the_environment(smtp: Any, webhook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """JENKINS2FLOW_SMTP_CONN / JENKINS2FLOW_SLACK_CONN name other connections; a Slack connection may give the
    host and the token apart; From comes from JENKINS2FLOW_MAIL_FROM, recipients from JENKINS2FLOW_MAIL_TO."""
    monkeypatch.setenv("JENKINS2FLOW_SMTP_CONN", "my_smtp")
    monkeypatch.setenv("JENKINS2FLOW_SLACK_CONN", "my_slack")
    monkeypatch.setenv("JENKINS2FLOW_MAIL_FROM", "jenkins@example.com")
    monkeypatch.setenv("JENKINS2FLOW_MAIL_TO", "x@example.com, y@example.com")
    _smtp_conn(monkeypatch, smtp.server_address[1], "my_smtp", from_email="ignored@example.com")
    _slack_conn(monkeypatch, "my_slack", host=_url(webhook), password="T0/B0/XYZ")
    assert send({"on": "failure"}, RUN) is True
    assert send({"on": "failure", "channel": "slack"}, RUN) is True
    [mail] = smtp.mails
    assert mail["from"] == "jenkins@example.com" and mail["to"] == ["x@example.com", "y@example.com"]
    assert [(p["path"], "channel" in p["json"]) for p in webhook.posts] == [("/T0/B0/XYZ", False)]


def test_a_missing_connection_is_logged_not_raised(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: Logs, capsys: Out) -> None:
    monkeypatch.setenv("JENKINS2FLOW_SMTP_CONN", "no_such_smtp_conn")
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send({"to": ["a@example.com"]}, RUN) is False
    assert "Airflow connection 'no_such_smtp_conn' could not send the mail" in _logs(caplog, capsys)


def test_other_channels_are_logged(caplog: Logs, capsys: Out) -> None:
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send({"channel": "other", "subject": "hipchat"}, RUN) is False
    assert "NOT SENT" in _logs(caplog, capsys) and "hipchat" in _logs(caplog, capsys)


def test_the_mail_steps_refusals_follow_jenkins() -> None:
    """workflow-basic-steps MailStep: a blank subject or body first, then no recipient; StringUtils.isBlank reads
    Java's whitespace (a no-break space is text)."""
    def mail(**fields: Any) -> model.Notification:
        return model.Notification(**({"to": ["a@example.com"], "subject": "s", "body": "b"} | fields))

    assert mail_refusal(mail()) is None
    assert mail_refusal(mail(subject=" \t\n")) == MAIL_BLANK_TEXT
    assert mail_refusal(mail(body="", to=[])) == MAIL_BLANK_TEXT  # checked before the recipients
    assert mail_refusal(mail(to=[])) == MAIL_NO_RECIPIENT
    assert mail_refusal(mail(to=[]), ("subject", "body")) is None  # a recipient the converter dropped: not judged
    assert not is_blank("\u00a0") and is_blank("\u2028 \x1f") and is_blank("")


def test_a_mail_step_whose_subject_comes_out_blank_fails_sending_nothing(smtp: Any, monkeypatch: pytest.MonkeyPatch,
                                                                         caplog: Logs, capsys: Out) -> None:
    """A subject computed in the run (`"${params.S}"`) that comes out blank fails the task with Jenkins' message:
    no default subject, nothing sent; the same step with a subject sends."""
    _smtp_conn(monkeypatch, smtp.server_address[1])
    run = {"dag_run": type("Run", (), {"dag_id": "etl", "run_id": "manual__1", "conf": {}})(),
           "ti": type("TI", (), {"task_id": "build_notify"})()}
    step = {"channel": "email", "to": ["a@example.com"], "subject": "${params.S}", "body": "b",
            "values": {"subject": {"op": "str", "args": [{"param": "S"}]}}}
    with pytest.raises(NotifyError, match=r"Email not sent\. All mandatory properties .*'build_notify'"):
        send_step(step, context=run, fail_on_error=True, required=["subject", "body", "to"], S=" ")
    assert smtp.mails == []
    assert send_step(step, context=run, fail_on_error=True, required=["subject", "body", "to"], S="ok")["sent"]
    assert [m["message"]["Subject"] for m in smtp.mails] == ["ok"]


# `currentBuild.result.toLowerCase()`: null until the build fails, so Groovy throws on a build that has not failed
RESULT_LOWER = {"op": "call", "name": "toLowerCase", "args": [{"build": "result"}], "at": "Jenkinsfile:9:5"}
STEP_RUN = {"dag_run": type("Run", (), {"dag_id": "etl", "run_id": "manual__1", "conf": {}})(),
            "ti": type("TI", (), {"task_id": "build_notify"})()}


class _FailedTI:
    """A task of a run where an earlier task failed: Jenkins' build result is FAILURE (jenkins_env.run_context)."""

    task_id = "build_notify"

    def get_task_states(self, dag_id: str, run_ids: list[str]) -> dict[str, dict[str, str]]:
        return {run_ids[0]: {"build": "failed", "build_notify": "running"}}


FAILED_RUN = {"dag_run": STEP_RUN["dag_run"], "ti": _FailedTI()}


@pytest.mark.parametrize(("field", "fields"), [
    ("subject", {"subject": "${currentBuild.result.toLowerCase()}", "values": {"subject": RESULT_LOWER}}),
    ("to", {"to": [], "values": {"to": {"op": "str", "args": [RESULT_LOWER, {"lit": "@example.com"}]}}}),
])
def test_a_mail_step_whose_field_cannot_be_computed_fails_sending_nothing(
        field: str, fields: dict[str, Any], smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A field of the `mail` step's task that the evaluator cannot compute (a method called on null) fails the task,
    naming the field and the evaluator's reason, and sends nothing: Jenkins throws evaluating the step's arguments
    and the build fails. Never the Jenkins text as subject, nor the addresses written without the computed ones.
    Once the build has failed (`currentBuild.result` FAILURE) the same step computes its field and sends."""
    _smtp_conn(monkeypatch, smtp.server_address[1])
    monkeypatch.setenv("JENKINS2FLOW_MAIL_TO", "fallback@example.com")
    step = {"channel": "email", "to": ["failure@example.com"], "subject": "failure", "body": "b"} | fields
    required = ["subject", "body", "to"]
    with pytest.raises(NotifyError, match=rf"'{field}' cannot be computed in this run: Jenkinsfile:9:5: .*null.*"
                                          r"'build_notify'.*nothing is sent"):
        send_step(step, context=STEP_RUN, fail_on_error=True, required=required)
    assert smtp.mails == []
    assert send_step(step, context=FAILED_RUN, fail_on_error=True, required=required)["sent"]
    assert [(m["to"], m["message"]["Subject"]) for m in smtp.mails] == [(["failure@example.com"], "failure")]


def test_an_emailext_task_whose_field_cannot_be_computed_fails_too(smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without fail_on_error (emailext, slackSend) a message that cannot be sent is only logged, but a field that
    cannot be computed still fails the task: Jenkins throws before the plugin's own error handling."""
    _smtp_conn(monkeypatch, smtp.server_address[1])
    step = {"channel": "email", "to": ["a@example.com"], "subject": "${currentBuild.result.toLowerCase()}",
            "body": "b", "values": {"subject": RESULT_LOWER}}
    with pytest.raises(NotifyError, match=r"'subject' cannot be computed"):
        send_step(step, context=STEP_RUN)
    assert smtp.mails == []
    assert send_step(step, context=FAILED_RUN)["sent"]
    assert [m["message"]["Subject"] for m in smtp.mails] == ["failure"]


MAIL_TO_PARAM = """pipeline { agent any
  options { skipDefaultCheckout() }
  parameters { string(name: 'MAIL_TO', defaultValue: 'ops@example.com') }
  stages { stage('a') { steps { sh 'make' } } }
  post { failure { mail to: params.MAIL_TO, subject: 'failed', body: 'see the run' } } }"""


def test_a_mail_to_a_parameter_goes_to_its_value_and_an_empty_one_fails(smtp: Any, monkeypatch: pytest.MonkeyPatch,
                                                                         caplog: Logs, capsys: Out) -> None:
    """The converted `mail to: params.MAIL_TO` task sends to the run's value of the parameter (a list of them split
    on commas and spaces); an empty value fails the task with Jenkins' message, sending nothing (never to
    JENKINS2FLOW_MAIL_TO)."""
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    conv = convert_job(parse_jenkinsfile(MAIL_TO_PARAM, "Jenkinsfile", "sales/nightly"))
    assert conv.pipeline is not None
    [task] = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    _smtp_conn(monkeypatch, smtp.server_address[1])
    monkeypatch.setenv("JENKINS2FLOW_MAIL_TO", "fallback@example.com")
    run = {"dag_run": type("Run", (), {"dag_id": "nightly", "run_id": "manual__1", "conf": {}})(),
           "ti": type("TI", (), {"task_id": "post_post_failure_notify"})()}
    sent = send_step(**task.bindings, context=run, MAIL_TO="dev@example.com, qa@example.com")
    assert sent["sent"] and sent["to"] == ["dev@example.com", "qa@example.com"]
    [mail] = smtp.mails
    assert mail["to"] == ["dev@example.com", "qa@example.com"] and mail["message"]["Subject"] == "failed"
    smtp.mails.clear()
    with pytest.raises(NotifyError, match=r"No recipients of any kind specified .*'post_post_failure_notify'"):
        send_step(**task.bindings, context=run, MAIL_TO=" ")
    assert smtp.mails == []


def test_recipients_computed_in_the_run_that_come_out_empty_send_nothing(smtp: Any, monkeypatch: pytest.MonkeyPatch,
                                                                        caplog: Logs, capsys: Out) -> None:
    """A recipient given null is none, as Jenkins reads it; with none left nothing is sent (email-ext logs it),
    not a mail to JENKINS2FLOW_MAIL_TO."""
    _smtp_conn(monkeypatch, smtp.server_address[1])
    monkeypatch.setenv("JENKINS2FLOW_MAIL_TO", "fallback@example.com")
    n = model.Notification(on="failure", subject="s", body="b", values={"to": {"param": "UNSET"}})
    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        assert send(computed(n, Context(params={})), RUN) is False
    assert smtp.mails == [] and "recipients computed in the run came out empty" in _logs(caplog, capsys)
    assert recipients(["a@example.com", None, "b@example.com c@example.com"]) == [
        "a@example.com", "b@example.com", "c@example.com"]


def test_only_our_placeholders_are_filled() -> None:
    text = "${AIRFLOW_DAG_ID} ${env.BUILD_URL} ${AIRFLOW_RESULT} $AIRFLOW_DAG_ID {{ dag_id }}"
    assert fill(text, RUN) == "etl ${env.BUILD_URL} failed $AIRFLOW_DAG_ID {{ dag_id }}"


def test_callbacks_by_event() -> None:
    notifier = PipelineNotifier("etl", [{"on": "always"}, {"on": "retry", "channel": "slack"}])
    assert sorted(notifier.dag_callbacks()) == ["on_failure_callback", "on_success_callback"]
    assert list(notifier.task_defaults()) == ["on_retry_callback"]
    only_success = PipelineNotifier("etl", [{"on": "success"}])
    assert list(only_success.dag_callbacks()) == ["on_success_callback"] and only_success.task_defaults() == {}


# ---- real runs ----------------------------------------------------------------------------------------------------

FAILING = """pipeline {
  agent any
  stages { stage('Build') { steps { sh 'echo "$BUILD_NUMBER" > "$WORKSPACE/number"; exit 3' } } }
  post {
    failure { mail to: 'dev@example.com, qa@example.com', subject: "Build failed: ${env.JOB_NAME} #${env.BUILD_NUMBER}",
              body: "See ${env.BUILD_URL}" }
    success { mail to: 'nobody@example.com', subject: 'never', body: 'the run fails' }
    regression { mail to: 'boss@example.com', subject: 'regressed', body: 'not on a first run' }
    changed { slackSend channel: '#changes', message: "changed ${env.BUILD_URL}" }
  }
}
"""
PASSING = """pipeline {
  agent any
  stages { stage('Build') { steps { sh 'echo ok' } } }
  post {
    success { emailext to: 'ops@example.com', subject: 'deployed', body: 'the SMTP server is down' }
    success { slackSend channel: '#builds', message: "built ${env.BUILD_URL}" }
    fixed { slackSend channel: '#fixed', message: 'not on a first run' }
  }
}
"""


def _publish_converted(tmp_path: Path, name: str, text: str, store: Path) -> model.PipelineSpec:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.sources import iter_jobs

    path = tmp_path / f"{name}.Jenkinsfile"
    path.write_text(text)
    [job] = list(iter_jobs(str(path)))
    conv = convert_job(job)
    assert conv.pipeline is not None
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", name, conv.pipeline)])
    return conv.pipeline


@pytest.mark.airflow
@pytest.mark.slow
def test_converted_notifications_are_sent_by_real_runs(airflow_db: Path, configured_dags_folder: Path,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: Any,
                                                        webhook: Any) -> None:
    """Two dag.test() runs: a failing one mails the converted recipients (and its first-run `changed` posts to
    Slack, `regression` stays quiet); a passing one posts to Slack while its SMTP server is down (its emailext is
    logged, the run still succeeds, as email-ext only logs) and its `fixed` stays quiet on a first run."""
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    _slack_conn(monkeypatch, password=_url(webhook) + "/hook")
    failing = _publish_converted(tmp_path, "notify-fail", FAILING, store)
    _publish_converted(tmp_path, "notify-pass", PASSING, store)
    # the mails are tasks (Jenkins' mail step fails the build when it cannot send), the Slack message a callback
    assert [(n.on, n.channel, n.condition) for n in failing.notifications] == [("always", "slack", "changed")]
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    _smtp_conn(monkeypatch, smtp.server_address[1])
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com")
    run = bag.dags["notify-fail"].test()
    assert str(run.state) == "failed"
    [mail] = smtp.mails
    assert mail["to"] == ["dev@example.com", "qa@example.com"]
    # Groovy's ${env.JOB_NAME} / ${env.BUILD_NUMBER} / ${env.BUILD_URL}, by mappings notifications.tokens; the
    # build number is the one the shell step saw
    number = (run_workspace("notify-fail", run.run_id) / "number").read_text().strip()
    assert number.isdigit() and mail["message"]["Subject"] == f"Build failed: notify-fail #{number}"
    url = f"https://airflow.example.com/dags/notify-fail/runs/{quote(run.run_id, safe='')}"
    assert _text(mail["message"]).startswith(f"See {url}\n")
    assert [p["json"].get("channel") for p in webhook.posts] == ["#changes"]
    assert webhook.posts[0]["json"]["text"].startswith(f"changed {url}\n")

    webhook.posts.clear()
    _smtp_conn(monkeypatch, _closed_port())
    run = bag.dags["notify-pass"].test()
    assert str(run.state) == "success"
    assert [p["json"].get("channel") for p in webhook.posts] == ["#builds"]  # not '#fixed': first run
    assert webhook.posts[0]["json"]["text"].startswith(f"built https://airflow.example.com/dags/notify-pass/runs/"
                                                       f"{quote(run.run_id, safe='')}\n")
    assert len(smtp.mails) == 1  # nothing more reached the live server


class _PrevTI:
    """Answers get_previous_dagrun like the task SDK does in the dag processor."""

    task_id = "build"

    def __init__(self, previous: dict[str, Any]) -> None:
        self.previous = previous

    def get_previous_dagrun(self, state: str | None = None) -> Any:
        from datetime import UTC, datetime
        from types import SimpleNamespace

        day = self.previous.get(state)
        return None if day is None else SimpleNamespace(state=state, logical_date=datetime(2024, 1, day, tzinfo=UTC))


def test_conditions_gate_on_the_previous_completed_run(webhook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _slack_conn(monkeypatch, password=_url(webhook) + "/hook")
    notifier = PipelineNotifier("etl", [{"on": "success", "channel": "slack", "to": ["#fixed"], "condition": "fixed"},
                                        {"on": "failure", "channel": "slack", "to": ["#reg"],
                                         "condition": "regression"}])
    after_failure = {"ti": _PrevTI({"success": 1, "failed": 2}), "run_id": "r3", "reason": "success"}
    assert notifier.fire("success", after_failure) == 1
    assert notifier.fire("failure", after_failure) == 0  # failed -> failed is no regression
    after_success = {"ti": _PrevTI({"success": 2, "failed": 1}), "run_id": "r3"}
    assert notifier.fire("success", after_success) == 0
    assert notifier.fire("failure", after_success) == 1
    assert [p["json"]["channel"] for p in webhook.posts] == ["#fixed", "#reg"]


def test_the_sync_engine_shares_one_notifier_per_pipeline(tmp_path: Path) -> None:
    from catalog_samples import shell_pipeline
    from jenkins2flow_runtime.airflow.sync import build_dags
    from jenkins2flow_runtime.store import open_store

    publish_all(tmp_path / "s.db", shell_pipeline("etl", tasks=3, notifications=[{"on": "retry"}, {"on": "failure"}]))
    with open_store(str(tmp_path / "s.db"), create=True) as store:
        result = build_dags(store)
    assert result.errors == {}
    dag = result.dags["etl"]
    owners = {id(cb.__self__) for t in dag.tasks for cb in t.on_retry_callback}
    failure = dag.on_failure_callback
    assert callable(failure) and owners == {id(failure.__self__)}  # type: ignore[attr-defined]
    assert not dag.on_success_callback


EMAILEXT = """<project>
  <builders><hudson.tasks.Shell><command>echo "$BUILD_NUMBER" &gt; "$WORKSPACE/number"; exit 1</command>
  </hudson.tasks.Shell></builders>
  <publishers>
    <hudson.plugins.emailext.ExtendedEmailPublisher>
      <recipientList>team@example.com</recipientList>
      <configuredTriggers>
        <hudson.plugins.emailext.plugins.trigger.FirstFailureTrigger><email>
          <recipientList>first@example.com</recipientList><subject>$PROJECT_DEFAULT_SUBJECT</subject>
          <body>$PROJECT_DEFAULT_CONTENT</body>
          <recipientProviders><hudson.plugins.emailext.plugins.recipients.ListRecipientProvider/></recipientProviders>
        </email></hudson.plugins.emailext.plugins.trigger.FirstFailureTrigger>
        <hudson.plugins.emailext.plugins.trigger.StillFailingTrigger><email>
          <recipientList>still@example.com</recipientList><subject>still: $BUILD_STATUS</subject><body>x</body>
        </email></hudson.plugins.emailext.plugins.trigger.StillFailingTrigger>
        <hudson.plugins.emailext.plugins.trigger.FixedTrigger><email>
          <recipientList>fixed@example.com</recipientList><subject>fixed</subject><body>x</body>
          <sendToRecipientList>false</sendToRecipientList>
        </email></hudson.plugins.emailext.plugins.trigger.FixedTrigger>
      </configuredTriggers>
      <defaultSubject>$PROJECT_NAME - Build # $BUILD_NUMBER - $BUILD_STATUS!</defaultSubject>
      <defaultContent>Check console output at ${BUILD_URL} to view the results.</defaultContent>
    </hudson.plugins.emailext.ExtendedEmailPublisher>
  </publishers>
</project>
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_emailext_triggers_follow_the_previous_run(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, smtp: Any) -> None:
    """Two failing dag.test() runs of a converted email-ext publisher: the first mails its "Failure - 1st"
    recipients with the project's subject (tokens filled), the second its "Failure - Still" ones; "Fixed" never."""
    from airflow.dag_processing.dagbag import DagBag

    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.job_xml import parse_config_xml

    conv = convert_job(parse_config_xml(EMAILEXT.encode(), "config.xml", "mail/emailext-runs"))
    assert conv.status == "converted", conv.reasons
    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    _smtp_conn(monkeypatch, smtp.server_address[1])
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com")
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", "emailext-runs", conv.pipeline)])
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    first = bag.dags["emailext-runs"].test()
    assert str(first.state) == "failed"
    [mail] = smtp.mails
    assert mail["to"] == ["first@example.com", "team@example.com"]
    number = (run_workspace("emailext-runs", first.run_id) / "number").read_text().strip()  # the shell's
    assert number.isdigit() and mail["message"]["Subject"] == f"mail/emailext-runs - Build # {number} - Failure!"
    assert _text(mail["message"]).startswith(
        f"Check console output at https://airflow.example.com/dags/emailext-runs/runs/{quote(first.run_id, safe='')}"
        " to view the results.\n")

    smtp.mails.clear()
    second = bag.dags["emailext-runs"].test()
    assert str(second.state) == "failed"
    [mail] = smtp.mails
    assert mail["to"] == ["still@example.com", "team@example.com"]
    assert mail["message"]["Subject"] == "still: Still Failing"


# ---- notification steps in the graph --------------------------------------------------------------------------------

SCOPED = """pipeline {
  agent any
  parameters {
    booleanParam(name: 'FAIL', defaultValue: false)
    booleanParam(name: 'DEPLOY', defaultValue: false)
  }
  stages {
    stage('Build') {
      steps { script {
        try {
          sh 'echo "$BUILD_NUMBER" > "$WORKSPACE/number"; test "$FAIL" != true'
        } catch (e) {
          mail to: 'team@example.com', subject: "FAILED: ${env.JOB_NAME} #${env.BUILD_NUMBER}", body: 'make failed'
          throw e
        }
      } }
      post { success { mail to: 'qa@example.com', subject: "built #$BUILD_NUMBER", body: 'ok' } }
    }
    stage('Deploy') {
      when { expression { params.DEPLOY } }
      steps { mail to: 'ops@example.com', subject: 'deploying', body: "deploy ${params.DEPLOY}" }
    }
  }
}
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_notification_steps_are_sent_where_the_run_reaches_them(airflow_db: Path, configured_dags_folder: Path,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               smtp: Any) -> None:
    """Three dag.test() runs of a pipeline whose mails sit in a scripted catch, a stage's post and a `when`-gated
    stage: each is a task of the graph, sent only when Jenkins would reach it, with the build number the shell
    tasks see."""
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    spec = _publish_converted(tmp_path, "notify-scoped", SCOPED, store)
    assert spec.notifications == []  # no callback: every mail is a task
    _smtp_conn(monkeypatch, smtp.server_address[1])
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["notify-scoped"]

    def sent(run: Any) -> dict[str, str]:
        return {m["to"][0]: m["message"]["Subject"] for m in smtp.mails}

    green = dag.test()
    number = (run_workspace("notify-scoped", green.run_id) / "number").read_text().strip()
    assert str(green.state) == "success" and number.isdigit()
    # the catch's FAILED mail is not sent on a green run; the gated stage's is not sent when its gate is false
    assert sent(green) == {"qa@example.com": f"built #{number}"}

    smtp.mails.clear()
    red = dag.test(run_conf={"FAIL": True, "DEPLOY": True})
    number = (run_workspace("notify-scoped", red.run_id) / "number").read_text().strip()
    assert str(red.state) == "failed"
    # the try body failed: the catch mails, with the shell's BUILD_NUMBER; no post success, no Deploy stage
    assert sent(red) == {"team@example.com": f"FAILED: notify-scoped #{number}"}
    assert _text(smtp.mails[0]["message"]).startswith("make failed\n")

    smtp.mails.clear()
    deploy = dag.test(run_conf={"DEPLOY": True})
    assert str(deploy.state) == "success"
    assert sent(deploy) == {"qa@example.com": f"built #{int(number) + 1}", "ops@example.com": "deploying"}
    assert _text(next(m for m in smtp.mails if m["to"] == ["ops@example.com"])["message"]).startswith("deploy true\n")

    # Jenkins' mail step fails the build when the message cannot be sent: so does its task (fail_on_error)
    smtp.mails.clear()
    _smtp_conn(monkeypatch, _closed_port())
    down = dag.test(run_conf={"DEPLOY": True})
    states = {ti.task_id: str(ti.state) for ti in down.get_task_instances()}
    assert str(down.state) == "failed"
    # as in Jenkins: the stage's post mail fails the build there, and the Deploy stage never starts
    assert (states["build"], states["build_post_success_notify"], states["deploy_notify"]) == (
        "success", "failed", "upstream_failed"), states
    assert smtp.mails == []


POST_MAIL = """pipeline {
  agent any
  stages { stage('Build') { steps { sh 'echo ok' } } }
  post {
    always { mail to: 'ops@example.com', subject: 'built', body: 'done' }
    success { slackSend channel: '#green', message: 'green' }
    failure { slackSend channel: '#red', message: 'red' }
  }
}
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_a_pipeline_post_mail_that_cannot_be_sent_fails_the_run(airflow_db: Path, configured_dags_folder: Path,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                smtp: Any, webhook: Any) -> None:
    """Jenkins' `mail` step throws when the SMTP server refuses it (workflow-basic-steps MailStep): in the pipeline's
    post `always`, the build ends FAILURE, so `failure` runs and `success` does not. The converted mail is a task of
    the post block (a DAG callback could not fail the run): the run fails, and the Slack messages follow Jenkins'
    result. With the server up the mail is sent and the run succeeds."""
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    _slack_conn(monkeypatch, password=_url(webhook) + "/hook")
    spec = _publish_converted(tmp_path, "notify-post-mail", POST_MAIL, store)
    assert [n.to for n in spec.notifications] == [["#red"], ["#green"]]  # Jenkins' order; the mail is a task
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["notify-post-mail"]

    _smtp_conn(monkeypatch, _closed_port())
    down = dag.test()
    states = {ti.task_id: str(ti.state) for ti in down.get_task_instances()}
    assert str(down.state) == "failed", states
    assert (states["build"], states["post_post_always_notify"]) == ("success", "failed"), states
    assert [p["json"].get("channel") for p in webhook.posts] == ["#red"]

    webhook.posts.clear()
    _smtp_conn(monkeypatch, smtp.server_address[1])
    up = dag.test()
    assert str(up.state) == "success"
    [mail] = smtp.mails
    assert mail["to"] == ["ops@example.com"] and mail["message"]["Subject"] == "built"
    assert [p["json"].get("channel") for p in webhook.posts] == ["#green"]


POST_SLACK = """pipeline {
  agent any
  stages { stage('Build') { steps { sh 'echo ok' } } }
  post { always { slackSend channel: '#builds', message: 'built' } }
}
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_a_pipeline_post_slack_message_fails_the_run_only_with_fail_on_error(
        airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: Logs, capsys: Out) -> None:
    """slackSend only logs a message it cannot post unless failOnError: true (slack-plugin SlackSendStep): with the
    webhook down, the run without the option succeeds and logs it; the run with it fails."""
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    quiet = _publish_converted(tmp_path, "notify-post-slack", POST_SLACK, store)
    strict = _publish_converted(tmp_path, "notify-post-slack-strict",
                                POST_SLACK.replace("message: 'built'", "message: 'built', failOnError: true"), store)
    assert [n.channel for n in quiet.notifications] == ["slack"] and strict.notifications == []
    _slack_conn(monkeypatch, password=f"http://127.0.0.1:{_closed_port()}/hook")
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    with caplog.at_level(logging.INFO, logger="jenkins2flow_runtime.notify"):
        run = bag.dags["notify-post-slack"].test()
    assert str(run.state) == "success"
    assert "NOTIFICATION NOT SENT" in _logs(caplog, capsys)

    run = bag.dags["notify-post-slack-strict"].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state) == "failed" and states["post_post_always_notify"] == "failed", states

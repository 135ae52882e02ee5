"""Pipeline notifications (Jenkins `mail`, `emailext`, `slackSend`, Mailer...) sent at run time.

`send(notification, run_info)` sends one notification and never raises: a failure to send is logged loudly and
returns False, so a broken mail server never fails a run. `PipelineNotifier` holds one pipeline's notifications and
is the DAG's callbacks (built once per pipeline): `on` failure -> `on_failure_callback`, success ->
`on_success_callback`, always -> both, retry -> the tasks' `on_retry_callback`. A notification with a `condition`
(changed / fixed / regression) is sent only when `fallback.post_condition_holds` says so for this run's result and
the previous completed run's. Those are the steps of the pipeline-level `post`; a notification step anywhere else in
the Jenkinsfile (a stage, a catch or finally block, a `when`/`if` branch, a stage's post) is a task of the graph
whose callable `send_step` sends it when the task runs, so the gates before it decide, as Jenkins' control flow does.

Sending goes through Airflow's own hooks and connections (providers `smtp` and `slack`; details in
docs/post-conditions.md):
- email: `SmtpHook` on the Airflow connection JENKINS2FLOW_SMTP_CONN (default `smtp_default`: host, port, login,
  password; extra `from_email`, `disable_ssl`, `disable_tls`, `timeout`, `retry_limit`). From: JENKINS2FLOW_MAIL_FROM,
  else the extra `from_email`, else `jenkins2flow@localhost`. Recipients: the notification's `to`, else
  JENKINS2FLOW_MAIL_TO (comma-separated); recipients computed in the run that come out empty send nothing. The body
  is sent as HTML that shows the text as written (escaped, <pre>).
- slack: `SlackWebhookHook` on the Airflow connection JENKINS2FLOW_SLACK_CONN (default `slack_default`, type
  `slackwebhook`: the webhook URL as password, or host + the token as password; extra `timeout`, `proxy`). `to`
  holds the channels (one POST each, with `channel` set as legacy webhooks honour it).

Subjects and bodies are Jenkins text and stay text: a token the converter did not map is sent as written. Where
Jenkins computes a field (a GString such as `"${env.JOB_NAME} #${env.BUILD_NUMBER} ${currentBuild.currentResult}"`),
the converter gives it as an expression tree (`Notification.values`), evaluated when the notification is sent by the
safe evaluator (jenkins2flow_runtime.expressions) against the run's parameters, Jenkins' variables and the result. A
value that cannot be computed fails a notification task, naming the field and sending nothing (Jenkins throws while
evaluating the step's arguments, before the step runs, and the build fails); a callback cannot fail the run, so the
converter keeps as callbacks only steps whose fields cannot throw (were one to fail all the same, it is logged and the
field's Jenkins text sent). Only these placeholders of ours are replaced in the text, by exact match:
`${AIRFLOW_DAG_ID}`, `${AIRFLOW_RUN_ID}`, `${AIRFLOW_BUILD_NUMBER}` (Jenkins' BUILD_NUMBER: the number the run's shell
tasks get, jenkins_env), `${AIRFLOW_RESULT}`, `${AIRFLOW_TASK_ID}`, `${AIRFLOW_RUN_URL}` (the run's page, from [api]
base_url), `${AIRFLOW_BUILD_STATUS}` (email-ext's words: Successful, Failure, Fixed, Still Failing) and
`${AIRFLOW_JENKINS_RESULT}` (SUCCESS, FAILURE); the converter writes them for the Jenkins tokens it maps
(mappings/notifications.yaml). Nothing is rendered through Jinja (the hooks template nothing; only operators and
notifiers with template fields do, and none is used here).

No Airflow import at module top: the module loads without Airflow (sending needs it).
"""

from __future__ import annotations

import html
import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from jenkins2flow_runtime.model.specs import Notification

log = logging.getLogger("jenkins2flow_runtime.notify")
DEFAULT_FROM = "jenkins2flow@localhost"
NUMBER = "${AIRFLOW_BUILD_NUMBER}"  # Jenkins' BUILD_NUMBER in a text (mappings notifications.tokens)
# Which callback sends which notifications.
EVENTS = {"failure": ("failure", "always"), "success": ("success", "always"), "retry": ("retry",)}
RESULTS = {"failure": "failed", "success": "success", "retry": "failed"}


class NotifyError(RuntimeError):
    """A notification that cannot be sent (configuration or server); `send` logs it and carries on."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a notification says about the run: the DAG, the run, its result (success | failed | retry)."""

    dag_id: str
    run_id: str = ""
    result: str = ""
    reason: str = ""
    task_id: str = ""
    run_url: str = ""  # the run's page in the Airflow UI ([api] base_url), Jenkins' BUILD_URL
    status: str = ""  # the result in email-ext's words (BUILD_STATUS): Successful, Failure, Fixed, Still Failing
    build_number: str = ""  # Jenkins' BUILD_NUMBER of the run, the one its shell tasks get (jenkins_env)

    def placeholders(self) -> dict[str, str]:
        return {"${AIRFLOW_DAG_ID}": self.dag_id, "${AIRFLOW_RUN_ID}": self.run_id,
                "${AIRFLOW_BUILD_NUMBER}": self.build_number or self.run_id,
                "${AIRFLOW_RESULT}": self.result, "${AIRFLOW_TASK_ID}": self.task_id,
                "${AIRFLOW_RUN_URL}": self.run_url, "${AIRFLOW_BUILD_STATUS}": self.status or self.result,
                "${AIRFLOW_JENKINS_RESULT}": "SUCCESS" if self.result == "success" else "FAILURE"}


def jenkins_status(result: str, previous: str | None) -> str:
    """email-ext's BUILD_STATUS for a run's result and the previous completed run's (None: none)."""
    if result == "success":
        return "Fixed" if previous == "failed" else "Successful"
    return "Still Failing" if previous == "failed" else "Failure"


def run_url(dag_id: str, run_id: str) -> str:
    """The run's page in the Airflow UI: [api] base_url + /dags/DAG/runs/RUN (the path alone when no base_url is
    configured, as Jenkins leaves BUILD_URL without its root URL)."""
    base = ""
    try:
        from airflow.configuration import conf

        base = (conf.get("api", "base_url", fallback="") or "").rstrip("/")
    except ImportError:  # pragma: no cover - outside Airflow
        pass
    return f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}" if run_id else base


def fill(text: str, run: RunInfo) -> str:
    """Replace our own placeholders, by exact match; everything else (Jenkins `${...}`) stays as written."""
    for key, value in run.placeholders().items():
        text = text.replace(key, value)
    return text


def subject_of(n: Notification, run: RunInfo) -> str:
    subject = fill(n.subject, run) if n.subject else f"[jenkins2flow] {run.dag_id}: {run.result or 'notice'}"
    return " ".join(subject.split())  # one header line, whatever the Jenkins text held


def body_of(n: Notification, run: RunInfo) -> str:
    facts = f"Airflow DAG {run.dag_id!r}, run {run.run_id!r}: {run.result or '-'}"
    facts += f" ({run.reason})" if run.reason else ""
    facts += f", task {run.task_id!r}" if run.task_id else ""
    return f"{fill(n.body, run)}\n\n-- \n{facts}\n" if n.body else facts + "\n"


# ---- the mail step's own checks ----------------------------------------------------------------------------------

# Java's Character.isWhitespace, which StringUtils.isBlank reads, is Python's isspace less these (text to Java)
_NOT_JAVA_SPACE = frozenset("\u00a0\u2007\u202f\u0085")
# workflow-basic-steps MailStep.buildMimeMessage: it throws these (AbortException: the build fails, nothing is sent)
MAIL_BLANK_TEXT = "Email not sent. All mandatory properties must be supplied ('subject', 'body')."
MAIL_NO_RECIPIENT = "Email not sent. No recipients of any kind specified ('to', 'cc', 'bcc')."
MAIL_FIELDS = ("subject", "body", "to")


def is_blank(text: str) -> bool:
    """StringUtils.isBlank as Jenkins reads it: empty, or only Java whitespace (a no-break space is text)."""
    return all(c.isspace() and c not in _NOT_JAVA_SPACE for c in text)


def mail_refusal(n: Notification, required: Iterable[str] = MAIL_FIELDS) -> str | None:
    """Jenkins' message when its `mail` step refuses to send `n`, in its order: a blank subject or body first, then
    no recipient (to, cc and bcc; the converter sends cc and bcc as To); None: it sends. `required`: the fields the
    converter knows as Jenkins does (`to` is left out where a recipient was dropped, a token it cannot compute)."""
    fields = set(required)
    if ("subject" in fields and is_blank(n.subject)) or ("body" in fields and is_blank(n.body)):
        return MAIL_BLANK_TEXT
    if "to" in fields and not any(not is_blank(a) for a in n.to):
        return MAIL_NO_RECIPIENT
    return None


# ---- sending -----------------------------------------------------------------------------------------------------


def as_html(text: str) -> str:
    """Plain text as HTML that shows it as written (SmtpHook sends HTML bodies): escaped, in <pre>."""
    return f"<pre>{html.escape(text, quote=False)}</pre>"


def send_email(n: Notification, run: RunInfo, env: Mapping[str, str] | None = None) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    env = os.environ if env is None else env
    if not n.to and "to" in n.values:  # Jenkins mails nobody then (email-ext logs it; the mail step refuses it)
        raise NotifyError("the recipients computed in the run came out empty (or could not be computed: see the "
                          "error above), so nothing is sent, as in Jenkins; JENKINS2FLOW_MAIL_TO is not used.")
    to = list(n.to) or [a.strip() for a in env.get("JENKINS2FLOW_MAIL_TO", "").split(",") if a.strip()]
    if not to:
        raise NotifyError("the notification has no recipients (and JENKINS2FLOW_MAIL_TO is not set).")
    conn_id = env.get("JENKINS2FLOW_SMTP_CONN") or SmtpHook.default_conn_name
    try:
        # reads the connection (Airflow masks its password in logs), connects, logs in
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            sender = env.get("JENKINS2FLOW_MAIL_FROM") or hook.from_email or DEFAULT_FROM
            hook.send_email_smtp(to=to, subject=subject_of(n, run), html_content=as_html(body_of(n, run)),
                                 from_email=sender)
    except Exception as exc:  # missing connection, refused, TLS, login: the text never holds the password
        raise NotifyError(f"the SMTP server of the Airflow connection {conn_id!r} could not send the mail: "
                          f"{type(exc).__name__}: {exc}") from None


def send_slack(n: Notification, run: RunInfo, env: Mapping[str, str] | None = None) -> None:
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    env = os.environ if env is None else env
    conn_id = env.get("JENKINS2FLOW_SLACK_CONN") or SlackWebhookHook.default_conn_name
    hook = SlackWebhookHook(slack_webhook_conn_id=conn_id)
    # slackSend has one message, which the converter puts in both subject and body
    text = body_of(n, run) if n.subject in ("", n.body) else f"*{subject_of(n, run)}*\n{body_of(n, run)}"
    for channel in list(n.to) or [""]:
        try:
            with warnings.catch_warnings():
                # slackSend names a channel; legacy webhooks honour it, app webhooks ignore it (the hook warns)
                warnings.filterwarnings("ignore", message="You cannot override the default channel")
                hook.send_dict({"text": text, **({"channel": channel} if channel else {})})
        except Exception as exc:  # the hook's and slack_sdk's messages never hold the webhook URL
            raise NotifyError(f"the Slack webhook of the Airflow connection {conn_id!r} failed for channel "
                              f"{channel or '(default)'!r}: {type(exc).__name__}: {exc}") from None


SENDERS = {"email": send_email, "slack": send_slack}


def send(notification: Notification | Mapping[str, Any], run_info: RunInfo, where: str = "") -> bool:
    """Send one notification; True when sent. Never raises: a failure is logged as an error and returns False.
    `where`: what sends it, for the log (default: the callback's event, `on ...`)."""
    n = notification if isinstance(notification, Notification) else Notification.model_validate(notification)
    what = f"{n.channel} notification {where or 'on ' + n.on} for {run_info.dag_id!r} run {run_info.run_id!r}"
    sender = SENDERS.get(n.channel)
    if sender is None:
        log.warning("jenkins2flow: NOT SENT: %s: channel %r has no sender here (subject %r, to %r); configure an "
                    "email or slack notification instead.", what, n.channel, subject_of(n, run_info), n.to)
        return False
    try:
        sender(n, run_info)
    except NotifyError as exc:
        log.error("jenkins2flow: NOTIFICATION NOT SENT: %s: %s", what, exc)
        return False
    except Exception:  # a notification never fails the run
        log.exception("jenkins2flow: NOTIFICATION NOT SENT: %s: unexpected error", what)
        return False
    log.info("jenkins2flow: sent %s to %r", what, list(n.to))
    return True


# ---- callbacks --------------------------------------------------------------------------------------------------


def _state(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _latest_result(runs: Iterable[Any]) -> str | None:
    found = [r for r in runs if r is not None and getattr(r, "logical_date", None) is not None]
    if not found:
        return None
    return "success" if _state(max(found, key=lambda r: r.logical_date).state) == "success" else "failed"


def _previous_from_db(dag_id: str, run_id: str) -> str | None:
    """The metadata DB, where it is reachable (dag.test(), the scheduler): the latest earlier completed run."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        current = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if current is None or current.logical_date is None:
            return None
        prev = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id,
                                                   DagRun.state.in_(("success", "failed")),
                                                   DagRun.logical_date < current.logical_date)
                              .order_by(DagRun.logical_date.desc()).limit(1))
        return None if prev is None else ("success" if _state(prev.state) == "success" else "failed")


def previous_result(context: Mapping[str, Any]) -> str | None:
    """The result of the previous *completed* run (success | failed), None when there is none (Jenkins' first
    run). Asks the task SDK first (`ti.get_previous_dagrun`, which the dag processor answers), else the DB."""
    ti = context.get("ti")
    if ti is not None and hasattr(ti, "get_previous_dagrun"):
        try:
            return _latest_result(ti.get_previous_dagrun(state=s) for s in ("success", "failed"))
        except Exception as exc:  # no supervisor here (e.g. dag.test() callbacks): the DB answers
            log.debug("jenkins2flow: task SDK cannot give the previous run (%s); asking the DB", exc)
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", "") or getattr(ti, "dag_id", "")
    run_id = str(context.get("run_id") or getattr(context.get("dag_run"), "run_id", "") or "")
    return _previous_from_db(dag_id, run_id)


def build_number(context: Mapping[str, Any]) -> str:
    """The run's BUILD_NUMBER as its shell tasks get it (jenkins_env.airflow_build_number: the run conf's, else the
    pipeline's counter); '' when it cannot be had here, logged (the text then shows the run id)."""
    from jenkins2flow_runtime import jenkins_env

    run = context.get("dag_run")
    if run is None:
        return ""
    try:
        return str(jenkins_env.airflow_build_number(run.dag_id, run.run_id, getattr(run, "conf", None) or {}))
    except Exception as exc:  # never fails the run
        log.error("jenkins2flow: cannot read the build number of run %r (%s: %s); the notification shows the run "
                  "id in its place.", getattr(run, "run_id", ""), type(exc).__name__, exc)
        return ""


def _run_info(context: Mapping[str, Any], pipeline: str, result: str) -> RunInfo:
    ti = context.get("ti")
    run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", "") or ""
    return RunInfo(dag_id=pipeline, run_id=str(run_id), result=result, reason=str(context.get("reason") or ""),
                   task_id=str(getattr(ti, "task_id", "") or ""), run_url=run_url(pipeline, str(run_id)))


def run_facts(context: Mapping[str, Any], result: str, job: str, declared: Iterable[Mapping[str, Any]]) -> Any:
    """The expression context of a callback: the run's parameters (declarations < run conf), Jenkins' variables
    with the worker's environment, and the build's result for this event."""
    from jenkins2flow_runtime import jenkins_env
    from jenkins2flow_runtime.expressions import Context
    from jenkins2flow_runtime.params import declared_map, resolve
    from jenkins2flow_runtime.workspace import run_workspace

    run = context.get("dag_run")
    conf = getattr(run, "conf", None) or {}
    params = resolve(declared_map(declared), None, conf)
    env = dict(os.environ)
    if run is not None:
        workspace = str(run_workspace(getattr(run, "dag_id", ""), getattr(run, "run_id", "")))
        env.update(jenkins_env.from_context(context, job=job or getattr(run, "dag_id", ""), workspace=workspace))
    failed = "FAILURE" if result != "success" else None
    build: dict[str, Any] = {"result": failed, "currentResult": failed or "SUCCESS"}
    if env.get("BUILD_NUMBER", "").isdigit():
        build["number"] = int(env["BUILD_NUMBER"])
    return Context(params=params, env=env, build=build)


def recipients(value: Any) -> list[str]:
    """The addresses (or channels) of a `to` computed in the run: a string split on commas and spaces, a list item
    by item; null is none, as Jenkins reads a recipient argument given null as not given."""
    from jenkins2flow_runtime.groovy import to_str

    items = value if isinstance(value, list) else [value]
    found = [a for v in items if v is not None for a in to_str(v).replace(",", " ").split()]
    return list(dict.fromkeys(found))


def _evaluate(n: Notification, facts: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The values of `n`'s computed fields in `facts`, and why each field that cannot be computed cannot."""
    from jenkins2flow_runtime.expressions import ExpressionError, as_text, evaluate

    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, tree in n.values.items():
        try:
            values[key] = recipients(evaluate(tree, facts)) if key == "to" else as_text(tree, facts)
        except ExpressionError as exc:
            errors[key] = str(exc)
    return values, errors


def evaluated(n: Notification, facts: Any) -> Notification:
    """`n` with its computed fields (Notification.values) evaluated in `facts`. Raises NotifyError naming each field
    that cannot be computed and the evaluator's reason: in Jenkins the Groovy program throws while evaluating the
    step's arguments, so the step never runs and the build fails (whatever the plugin does with its own errors)."""
    values, errors = _evaluate(n, facts)
    if errors:
        raise NotifyError("; ".join(f"the notification's {key!r} cannot be computed in this run: {why}"
                                    for key, why in errors.items()))
    return n.model_copy(update=values)


def computed(n: Notification, facts: Any) -> Notification:
    """For a callback, which cannot fail the run: `n` with its computed fields evaluated in `facts`; a field whose
    value cannot be computed keeps its Jenkins text (for `to`: the addresses written as such), with an error in the
    log. The converter makes a callback only of a step whose fields cannot throw (handlers.notifications)."""
    values, errors = _evaluate(n, facts)
    for key, why in errors.items():
        log.error("jenkins2flow: the notification's %s is computed in Jenkins and cannot be here (%s); it is sent "
                  "as written in the Jenkinsfile, where Jenkins would fail the build.", key, why)
    return n.model_copy(update=values)


class PipelineNotifier:
    """One pipeline's notifications as Airflow callbacks; one object per pipeline, shared by its tasks. `declared`
    (the pipeline's parameter declarations) and `job` (the Jenkins full name) are what computed fields read."""

    __slots__ = ("declared", "job", "notifications", "pipeline")

    def __init__(self, pipeline: str, notifications: Iterable[Notification | Mapping[str, Any]],
                 declared: Iterable[Mapping[str, Any]] = (), job: str = "") -> None:
        self.pipeline = pipeline
        self.notifications = tuple(n if isinstance(n, Notification) else Notification.model_validate(n)
                                   for n in notifications)
        self.declared, self.job = tuple(declared), job

    def _for(self, event: str) -> list[Notification]:
        return [n for n in self.notifications if n.on in EVENTS[event]]

    def dag_callbacks(self) -> dict[str, Any]:
        """DAG keyword arguments: on_failure_callback / on_success_callback for the events that have notifications."""
        out: dict[str, Any] = {}
        if self._for("failure"):
            out["on_failure_callback"] = self.on_failure
        if self._for("success"):
            out["on_success_callback"] = self.on_success
        return out

    def task_defaults(self) -> dict[str, Any]:
        """default_args entries: on_retry_callback when there are retry notifications."""
        return {"on_retry_callback": self.on_retry} if self._for("retry") else {}

    def on_failure(self, context: Mapping[str, Any]) -> None:
        self.fire("failure", context)

    def on_success(self, context: Mapping[str, Any]) -> None:
        self.fire("success", context)

    def on_retry(self, context: Mapping[str, Any]) -> None:
        self.fire("retry", context)

    def fire(self, event: str, context: Mapping[str, Any]) -> int:
        """Send the notifications of `event` whose condition holds; return how many were sent. Never raises."""
        from jenkins2flow_runtime.fallback import post_condition_holds

        result = RESULTS[event]
        run = _run_info(context, self.pipeline, "retry" if event == "retry" else result)
        if any(NUMBER in n.subject + n.body for n in self._for(event)):
            run = replace(run, build_number=build_number(context))
        previous: str | None = None
        looked_up = False
        sent = 0
        for n in self._for(event):
            if n.condition or "${AIRFLOW_BUILD_STATUS}" in n.subject + n.body:
                if not looked_up:
                    looked_up = True
                    try:
                        previous = previous_result(context)
                    except Exception as exc:
                        log.error("jenkins2flow: cannot find the run before %r of %r (%s: %s); judging %r "
                                  "notifications as on a first run.", run.run_id, self.pipeline,
                                  type(exc).__name__, exc, n.condition)
                run = replace(run, status=jenkins_status(result, previous))
            if n.condition:
                if not post_condition_holds(n.condition, result, previous):
                    log.info("jenkins2flow: %s notification on %s not sent: %r does not hold (this run %s, "
                             "previous completed run %s)", n.channel, n.on, n.condition, result, previous or "none")
                    continue
            if n.values:
                try:
                    n = computed(n, run_facts(context, result, self.job, self.declared))
                except Exception as exc:  # never fails the run: sent as written
                    log.error("jenkins2flow: cannot compute the notification's fields in this run (%s: %s); it is "
                              "sent as written in the Jenkinsfile.", type(exc).__name__, exc)
            sent += send(n, run)
        return sent

    def __repr__(self) -> str:
        return f"PipelineNotifier({self.pipeline!r}, {len(self.notifications)} notification(s))"


# ---- notification steps in the graph -----------------------------------------------------------------------------


def send_step(notification: Mapping[str, Any] | None = None, context: Any = None, fail_on_error: bool = False,
              required: Iterable[str] = (), **params: Any) -> dict[str, Any]:
    """A notification step the converter placed in the task graph (`mail`, `emailext`, `slackSend` in a stage, a
    catch or finally block, a `when`/`if` branch, a stage's post block): sends `notification` now, when the task is
    reached; the gates and trigger rules before the task decide whether it is. `params` are the run's parameters
    (computed fields read them); the task's environment (Jenkins' variables: BUILD_NUMBER, the stage's environment)
    is os.environ, as the operator sets it. The build's result is the run's so far (FAILURE once a task failed), as
    `currentBuild.currentResult` reads it in a running build. A message that cannot be sent is logged as an error;
    with `fail_on_error` (Jenkins' `mail` step, or failOnError: true) it also fails the task, as it fails the
    build in Jenkins. `required` (Jenkins' `mail` step: subject, body, to): a blank one, as computed in this run,
    fails the task with Jenkins' message and sends nothing (mail_refusal), as the step fails the build; no default
    subject, no JENKINS2FLOW_MAIL_TO. A computed field that cannot be evaluated fails the task, whatever
    `fail_on_error`, naming the field and sending nothing (`evaluated`): Jenkins throws while evaluating the step's
    arguments, before the plugin runs."""
    from jenkins2flow_runtime.fallback import _context, run_facts

    if notification is None:
        raise ValueError("send_step needs the binding 'notification' (the converted step).")
    n = Notification.model_validate(notification)
    ctx = _context(context)
    run, ti = ctx["dag_run"], ctx.get("ti")
    facts = run_facts(list(n.values.values()), params, ctx)
    result = "failed" if facts.build.get("result") else "success"
    info = RunInfo(dag_id=run.dag_id, run_id=run.run_id, result=result, task_id=str(getattr(ti, "task_id", "") or ""),
                   run_url=run_url(run.dag_id, run.run_id), build_number=os.environ.get("BUILD_NUMBER", ""))
    if "${AIRFLOW_BUILD_STATUS}" in n.subject + n.body:
        try:
            previous = previous_result(ctx)
        except Exception as exc:  # never fails the run
            log.error("jenkins2flow: cannot find the run before %r (%s: %s); BUILD_STATUS is judged as on a first "
                      "run.", run.run_id, type(exc).__name__, exc)
            previous = None
        info = replace(info, status=jenkins_status(result, previous))
    if n.values:
        try:
            n = evaluated(n, facts)
        except NotifyError as exc:
            raise NotifyError(f"{exc} (task {info.task_id!r}: Jenkins fails the build evaluating the step's "
                              "arguments, before the step runs; nothing is sent)") from None
    refusal = mail_refusal(n, required) if required else None
    if refusal:
        raise NotifyError(f"{refusal} (task {info.task_id!r}: Jenkins' mail step fails the build here, sending "
                          "nothing)")
    sent = send(n, info, f"of task {info.task_id!r}")
    if not sent and fail_on_error:
        raise NotifyError(f"the {n.channel} notification of task {info.task_id!r} was not sent (see the error above); "
                          "Jenkins fails the build when this step cannot send")
    return {"sent": sent, "channel": n.channel, "to": list(n.to)}

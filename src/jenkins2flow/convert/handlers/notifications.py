"""Notifications, with their texts through convert.notify_text (a step's subject, body and recipients that Groovy
computes in the run are expression trees the runtime evaluates when it sends: Notification.values).

- Steps (`mail`, `emailext`, `slackSend`) written directly in a block of the pipeline's `post` whose failure to
  send Jenkins only logs (emailext, slackSend without failOnError): the pipeline's notifications, sent by the
  runtime's callbacks when the run ends, `on` the block's condition (convert.post sets `ctx.notify_on`). A callback
  never changes the run's state, as such a step never changes the build's result, unless a field Groovy computes
  in the run can throw (`_may_throw`: `"${params.X.toLowerCase()}"`): then Jenkins fails the build, sending
  nothing, so the step is a task of the block, as below.
- Any other notification step (a stage, a catch or finally block, a `when`/`if` branch, a stage's post, a step
  nested in the pipeline's post, and one whose failure fails the Jenkins build: `mail`, `slackSend failOnError:
  true`, see `fails_build`): a task at its place in the graph (jenkins2flow_runtime.notify:send_step) that sends it
  when it runs, so the gates and trigger rules before it decide whether it is sent, and a message it cannot send
  fails it (binding fail_on_error) where Jenkins fails the build.
- The Mailer, email-ext and Slack publishers: the pipeline's notifications by their own triggers, mapped by mappings
  `notifications` (notifications.yaml).

What the runtime cannot do is flagged."""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.expressions import nodes
from jenkins2flow_runtime.notify import MAIL_FIELDS, MAIL_NO_RECIPIENT, is_blank, mail_refusal

from jenkins2flow.convert import unstable
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.notify_text import Texts
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, as_list, boolean, call, text
from jenkins2flow.ir import Plugin, Span, Step

# step arguments that change nothing the runtime can do, with why: flagged (approximated) when given
STEP_ARGS: dict[str, dict[str, str]] = {
    "mail": {"cc": "cc recipients get the mail as To", "bcc": "bcc recipients get the mail as To",
             "failOnError": "the mail step has no such option: a mail it cannot send always fails the build",
             "from": "the sender is the runtime's (JENKINS2FLOW_MAIL_FROM)", "replyTo": "no Reply-To is set",
             "mimeType": "the body is sent as text", "charset": "the mail is UTF-8"},
    "emailext": {"from": "the sender is the runtime's (JENKINS2FLOW_MAIL_FROM)", "replyTo": "no Reply-To is set",
                 "mimeType": "the body is sent as text", "attachLog": "no build log is attached",
                 "attachmentsPattern": "no attachment is sent", "compressLog": "no build log is attached",
                 "presendScript": "Groovy scripts are not run", "postsendScript": "Groovy scripts are not run",
                 "failOnError": "emailext has no such option (Jenkins rejects it in a declarative pipeline and ignores "
                                "it in a scripted one): a mail it cannot send is only logged"},
    "slackSend": {"color": "the message is plain text", "tokenCredentialId": "the runtime's Slack connection sends it",
                  "baseUrl": "the runtime's Slack connection sends it", "teamDomain": "the runtime's Slack connection "
                  "sends it", "botUser": "the runtime's Slack connection sends it", "attachments": "only the text is "
                  "sent", "blocks": "only the text is sent", "notifyCommitters": "committers are Jenkins' records",
                  "iconEmoji": "the webhook's icon is used", "username": "the webhook's name is used"},
}
# step arguments that need nothing (Jenkins-side behaviour only)
STEP_WAIVED = {"sendAsText": "the message is text"}
# The task of a notification step in the graph: one spec for every job (what it sends is in its bindings).
SEND_SPEC: dict[str, Any] = {
    "type": "python", "callable": "jenkins2flow_runtime.notify:send_step",
    "description": "Sends a Jenkins notification step (mail, emailext, slackSend) when the run reaches it: the gates "
                   "and trigger rules before the task decide whether it is sent; a failure to send fails the task when "
                   "the binding fail_on_error is true (Jenkins' mail step, failOnError), else it is logged.",
}

# our placeholders (mappings notifications.tokens) that read the build's result
RESULT_TOKENS = ("${AIRFLOW_JENKINS_RESULT}", "${AIRFLOW_BUILD_STATUS}", "${AIRFLOW_RESULT}")


def _reads_result(tree: Any) -> bool:
    """Whether an expression tree reads currentBuild.result or currentResult."""
    if isinstance(tree, list):
        return any(_reads_result(t) for t in tree)
    if not isinstance(tree, dict):
        return False
    return tree.get("build") in ("result", "currentResult") or any(_reads_result(v) for v in tree.values())


# an email with no recipient written (email-ext: ExtendedEmailPublisher logs "An attempt to send an e-mail to empty
# list of recipients, ignored.")
NO_RECIPIENT = ("no recipient is written: unless a recipient provider names someone, Jenkins sends nothing (email-ext "
                "ignores an empty list); the runtime sends to JENKINS2FLOW_MAIL_TO")
# operators that cannot throw whatever their values, null included (GString interpolation, truth, equality)
SAFE_OPS = frozenset({"str", "?:", "and", "or", "not", "bool", "==", "!="})


def _may_throw(values: dict[str, Any]) -> bool:
    """Whether evaluating a step's computed fields can throw in Groovy (a method or property of null, arithmetic, a
    cast, an index, a bare name or a required variable that may be unset, another task's output): Jenkins then fails
    the build and sends nothing, which a task does and a callback cannot."""
    for node in nodes(*values.values()):
        if "op" in node:
            if node["op"] not in SAFE_OPS:
                return True
        elif "bare" in node or "output" in node or ("env" in node and node.get("required")):
            return True
    return False


def _add(ctx: Ctx, on: str, channel: str, to: list[str], subject: str, body: str, condition: str = "",
         values: dict[str, Any] | None = None) -> None:
    ctx.notifications.append(model.Notification(on=on, channel=channel, to=to, subject=subject, body=body,  # type: ignore[arg-type]
                                                condition=condition, values=values or {}))  # type: ignore[arg-type]


def fails_build(node: Step, rule: Rule, scope: Scope) -> bool | str:
    """Whether Jenkins fails the build when this notification step cannot send its message: the rule's `fails`
    (always: the `mail` step), or the rule's `fails_with` option when it is true (slackSend's failOnError); False:
    Jenkins only logs it (emailext). A string: the option is computed in the run, why it is not known."""
    if rule.get("fails"):
        return True
    option = str(rule.get("fails_with") or "")
    raw = node.kwarg(option) if option else None
    if raw is None:
        return False
    value = scope.ev.value(raw, node.span)
    known = boolean(value.value) if isinstance(value, Static) else None
    if known is not None:
        return known
    return f"{option} {text(raw)!r} is decided in the run: a message that cannot be sent is only logged here"


def _flag_args(node: Step, known: set[str], ctx: Ctx) -> None:
    reasons = STEP_ARGS.get(node.name, {})
    for name, value in node.kwargs:
        if name in known or value in (None, "", False):
            continue
        if name in STEP_WAIVED:
            ctx.waived(f"step {node.name} {name}", node.span, STEP_WAIVED[name], node.name)
        else:
            ctx.approximated(f"step {node.name} {name}", node.span, f"{name}: {reasons.get(name, 'not applied')}",
                             node.name)


def _providers(values: list[Any], ctx: Ctx, span: Span, elem: str, key_: str) -> bool:
    """Whether the listed recipients are sent to; each provider of another kind is flagged (its people are
    Jenkins' knowledge)."""
    table = ctx.rules.table("notifications").get("recipient_providers") or {}
    listed = False
    for p in values:
        found = call(p) if not isinstance(p, dict) else None
        name = text(p.get("$class", "")) if isinstance(p, dict) else found[0] if found else text(p)
        name = name.rsplit(".", 1)[-1]
        why = table.get(name)
        if why == "list":
            listed = True
        else:
            ctx.approximated(f"{elem} {name}", span, f"recipient provider {name}: "
                             f"{why or 'no rule in mappings notifications.recipient_providers'}; the mail goes to "
                             "the listed recipients only", key_)
    return listed


def notify(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`mail`, `emailext`, `slackSend`: in a block of the pipeline's post, a notification sent when the run ends on
    the block's condition; anywhere else, a task that sends it when the run reaches the step."""
    fails = fails_build(node, rule, scope)
    # a callback never changes the run's state: a step whose failure fails the build is a task, even there
    callback = bool(ctx.notify_on) and len(ctx.body_ends) == ctx.notify_depth and fails is False
    on = ctx.notify_on if callback else "always"
    channel = str(rule.get("channel", "email"))
    email_tokens = node.name == "emailext"
    texts = Texts(ctx, ev=scope.ev, span=node.span)
    to_key, subject_key, body_key = (str(rule.get(k, k)) for k in ("to", "subject", "body"))
    subject, subject_tree = texts.computed(arg(node, subject_key, "$DEFAULT_SUBJECT" if email_tokens else ""),
                                           email_tokens)
    body, body_tree = (subject, subject_tree) if body_key == subject_key else texts.computed(
        node.kwarg(body_key) if node.kwarg(body_key) is not None else "$DEFAULT_CONTENT" if email_tokens else "",
        email_tokens)
    values = {k: t for k, t in (("subject", subject_tree), ("body", body_tree)) if t is not None}
    to, odd = texts.recipients(node.kwarg(to_key) if node.kwarg(to_key) is not None else "", email_tokens)
    known = {to_key, subject_key, body_key, "recipientProviders", "message", str(rule.get("fails_with") or "")}
    if isinstance(fails, str):
        ctx.approximated(f"step {node.name} {rule.get('fails_with')}", node.span, fails, node.name)
    if node.name == "mail":  # cc and bcc still receive it, as To (flagged by _flag_args)
        for extra in ("cc", "bcc"):
            more, bad = texts.recipients(node.kwarg(extra) or "", False)
            to += [m for m in more if m not in to]
            odd += bad
    computed_to = texts.recipients_tree(to)  # `to: params.MAIL_TO`: the notifier evaluates them when it sends
    if isinstance(computed_to, Runtime):
        values["to"] = computed_to.tree
    elif isinstance(computed_to, Unknown):
        odd.append(f"those computed in the run ({computed_to.reason})")
    if callback and _may_throw(values):  # where a field throws, Jenkins fails the build: a task of the post block
        callback = False
    # Jenkins' mail step refuses a blank subject or body, or no recipient (rule key `blank_fails`)
    required = [f for f in MAIL_FIELDS if f != "to" or not odd] if rule.get("blank_fails") else []
    sent = model.Notification(channel=channel, to=to, subject=subject, body=body, values=values)  # type: ignore[arg-type]
    if required and _refused(node, ctx, scope, required, sent):
        return
    _flag_args(node, known, ctx)
    providers = as_list(node.kwarg("recipientProviders"))
    if providers:
        _providers(providers, ctx, node.span, f"step {node.name}", node.name)
    if odd:
        ctx.approximated(f"step {node.name} recipients", node.span, f"recipient(s) {', '.join(odd)} cannot be "
                         "used as written (tokens without a value, cc:/bcc: prefixes, exclusions)", node.name)
    texts.report(element(node), node.span, key(node))
    if channel == "email" and not to and "to" not in values:
        ctx.approximated(element(node), node.span, NO_RECIPIENT, key(node))
    computed = f"; {', '.join(sorted(values))} computed when sent" if values else ""
    if callback:
        _add(ctx, on, channel, to, subject, body, values=values)
        ctx.mapped(element(node), node.span, key(node), f"notification on {on} by {channel}{computed}")
        return
    if scope.caught and (any(t in subject + body for t in RESULT_TOKENS) or _reads_result(values)):
        ctx.approximated(f"{element(node)} result", node.span, "in a catch block Jenkins' build result is still "
                         "SUCCESS (the error was caught) unless a step set it; the text gets the run's result so far, "
                         "FAILURE once a task failed", key(node))
    ctx.emit("airflow.notify", SEND_SPEC, scope, label="notify", named=True, span=node.span,
             bindings={"notification": {"channel": channel} | sent.model_dump(
                 mode="json", exclude={"on", "condition"}, exclude_defaults=True)} | (
                 {"fail_on_error": True} if fails is True else {}) | ({"required": required} if required else {}),
             title=f"{node.name}: {subject or body or ', '.join(to)}")
    fails_too = "; a message it cannot send fails the task, as it fails the Jenkins build" if fails is True else ""
    fails_too += f"; a blank {'/'.join(required)} computed in the run fails it too, as Jenkins' step does" \
        if values and required else ""
    ctx.mapped(element(node), node.span, key(node), f"a task sends it by {channel} when the run reaches the step "
               f"(the gates before it decide){fails_too}{computed}")


def _refused(node: Step, ctx: Ctx, scope: Scope, required: list[str], sent: model.Notification) -> bool:
    """A `mail` step that Jenkins refuses whatever the run (a subject or body known blank, or no recipient): a task
    at its place that always fails with Jenkins' message (send_step with `required` checks it in the run, in
    Jenkins' order), as the step fails the build there, sending nothing. False: it may send."""
    # a field computed in the run is not known blank
    known = sent.model_copy(update={f: ["-"] if f == "to" else "-" for f in sent.values})
    refusal = mail_refusal(known, required)
    if refusal is None:
        return False
    blank = [f for f in ("subject", "body") if is_blank(getattr(known, f))] or ["to, cc and bcc"]
    ctx.emit("airflow.notify", SEND_SPEC, scope, label="notify", named=True, span=node.span,
             bindings={"notification": {"channel": sent.channel} | sent.model_dump(
                 mode="json", exclude={"on", "condition"}, exclude_defaults=True), "fail_on_error": True,
                       "required": required},
             title=f"{node.name}: refused (blank {', '.join(blank)})")
    also = "; should the subject or body come out blank in the run, Jenkins says 'Email not sent. All mandatory " \
        "properties must be supplied' instead" if refusal == MAIL_NO_RECIPIENT and sent.values else ""
    ctx.mapped(element(node), node.span, key(node), f"{' and '.join(blank)} blank: a task fails the run there, "
               f"sending nothing, as Jenkins fails the build ({refusal}){also}")
    return True


def mailer(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """hudson.tasks.Mailer: a mail on every failed build, and one when a build is back to normal (success after a
    failure); `sendToIndividuals` (the culprits) is Jenkins' knowledge."""
    to = [r for r in as_list(pl.field("recipients")) if text(r).strip()]
    recipients = [text(r) for r in to]
    job = ctx.job.full_name
    _add(ctx, "failure", "email", recipients, f"Build failed in Jenkins: {job} #${{AIRFLOW_BUILD_NUMBER}}", "")
    _add(ctx, "success", "email", recipients, f"Jenkins build is back to normal : {job} #${{AIRFLOW_BUILD_NUMBER}}", "",
         "fixed")
    if boolean(pl.field("sendToIndividuals")):
        ctx.approximated(f"publisher {pl.cls} sendToIndividuals", pl.span, "the people who broke the build come "
                         "from Jenkins' SCM changelogs: the mail goes to the listed recipients only", pl.cls)
    first_only = bool(boolean(pl.field("dontNotifyEveryUnstableBuild")))
    if first_only:
        ctx.waived(f"publisher {pl.cls} dontNotifyEveryUnstableBuild", pl.span, "Airflow has no UNSTABLE result",
                   pl.cls)
    if not recipients:
        ctx.approximated(f"publisher {pl.cls}", pl.span, "no recipient is listed: the runtime sends to "
                         "JENKINS2FLOW_MAIL_TO", pl.cls)
    ctx.mapped(f"publisher {pl.cls}", pl.span, pl.cls, "a mail on failure and one when back to normal (fixed)")
    ctx.unless_unstable("and Jenkins mails on an UNSTABLE build (MailSender: any result worse than SUCCESS), and "
                        "again when the next build is back to normal; the run ends success and mails neither",
                        f"publisher {pl.cls}", pl.span, pl.cls)
    # a task that fails where Jenkins' build is UNSTABLE: both mail, in other words (MailSender.createUnstableMail)
    every = ", and for every such build where Jenkins (dontNotifyEveryUnstableBuild) mails the first in a row only" \
        if first_only else ""
    ctx.unless_unstable("and Jenkins mails an UNSTABLE build as 'Jenkins build became unstable' (is, or is still, "
                        "unstable) and the next success as 'back to stable'; the task fails there and the run mails "
                        f"'Build failed in Jenkins' and then 'back to normal'{every}",
                        f"publisher {pl.cls} unstable mail", pl.span, pl.cls, runs=("fails",), recorded=False)


def _trigger_spans(pl: Plugin) -> list[Span]:
    triggers = pl.raw.find("configuredTriggers") if pl.raw is not None else None
    return [c.span for c in triggers.children] if triggers is not None else []


def emailext_publisher(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """email-ext's publisher: one notification per configured trigger, with that trigger's recipients, subject and
    body (the project's defaults where it says $PROJECT_DEFAULT_*)."""
    elem = f"publisher {pl.cls}"
    if boolean(pl.field("disabled")):
        ctx.waived(elem, pl.span, "disabled in Jenkins: no mail is sent", pl.cls)
        return
    project = {"PROJECT_DEFAULT_SUBJECT": text(pl.field("defaultSubject") or "$DEFAULT_SUBJECT"),
               "PROJECT_DEFAULT_CONTENT": text(pl.field("defaultContent") or "$DEFAULT_CONTENT"),
               "PROJECT_DEFAULT_REPLYTO": text(pl.field("replyTo") or "")}
    table = ctx.rules.table("notifications").get("emailext_triggers") or {}
    spans = _trigger_spans(pl)
    for i, trig in enumerate(as_list(pl.field("triggers"))):
        if not isinstance(trig, dict):
            continue
        span = spans[i] if i < len(spans) else pl.span
        name = text(trig.get("class", "")).rsplit(".", 1)[-1]
        how = table.get(name)
        telem = f"{elem} {name}"
        if how is None:
            ctx.approximated(telem, span, f"trigger {name} has no rule in mappings notifications.emailext_triggers: "
                             "this mail is never sent", pl.cls)
            continue
        unless = str(how.get("unless_unstable") or "")  # true only in a job nothing makes UNSTABLE
        runs = tuple(how.get("unstable_runs") or ("on",))
        if how.get("never"):
            ctx.approximated(telem, span, str(how["never"]), pl.cls)
            continue
        if how.get("waive"):
            ctx.waived(telem, span, str(how["waive"]), pl.cls)
            if unless:
                ctx.unless_unstable(unless, telem, span, pl.cls, runs=runs)
            continue
        texts = Texts(ctx, project)
        listed = _providers(list(trig.get("recipientProviders") or ()), ctx, span, telem, pl.cls) \
            if "recipientProviders" in trig else _old_flags(trig, ctx, span, telem, pl.cls)
        to, odd = texts.recipients(trig.get("recipientList") or "", True)
        if listed:
            more, bad = texts.recipients(pl.field("recipientList") or "", True)
            to += [m for m in more if m not in to]
            odd += bad
        subject = texts.tokens(text(trig.get("subject") or "$PROJECT_DEFAULT_SUBJECT"))
        body = texts.tokens(text(trig.get("body") or "$PROJECT_DEFAULT_CONTENT"))
        _email_extras(trig, ctx, span, telem, pl.cls)
        if odd:
            ctx.approximated(telem, span, f"recipient(s) {', '.join(odd)} cannot be used as written", pl.cls)
        if not to:
            ctx.approximated(telem, span, NO_RECIPIENT, pl.cls)
        texts.report(telem, span, pl.cls)
        if how.get("approximate"):
            ctx.approximated(telem, span, str(how["approximate"]), pl.cls)
        else:
            ctx.mapped(telem, span, pl.cls, f"a mail on {how['send']}" + (f" when {how['condition']}" if
                                                                       how.get("condition") else ""))
        if unless:  # an approximated entry keeps its reason: the consequence is an entry of its own
            ctx.unless_unstable(unless, telem, span, pl.cls, runs=runs, recorded=not how.get("approximate"))
        _add(ctx, str(how["send"]), "email", to, subject, body, str(how.get("condition", "")))
    for name, why in (("presendScript", "a Groovy script Jenkins runs before sending"),
                      ("postsendScript", "a Groovy script Jenkins runs after sending"),
                      ("attachmentsPattern", "attachments are not sent")):
        if Texts(ctx, project).tokens(text(pl.field(name) or "")).strip():  # $DEFAULT_PRESEND_SCRIPT: the global one
            ctx.approximated(f"{elem} {name}", pl.span, why, pl.cls)
    ctx.mapped(elem, pl.span, pl.cls, "one notification per trigger")


def _old_flags(trig: dict[str, Any], ctx: Ctx, span: Span, elem: str, key_: str) -> bool:
    """Triggers saved before recipient providers: sendToRecipientList (the list), and flags for people."""
    for flag, why in (("sendToDevelopers", "developers"), ("sendToRequester", "requestor"),
                      ("includeCulprits", "culprits")):
        if boolean(trig.get(flag)):
            _providers([why], ctx, span, elem, key_)
    return text(trig.get("sendToRecipientList", "true")).lower() != "false"


def _email_extras(trig: dict[str, Any], ctx: Ctx, span: Span, elem: str, key_: str) -> None:
    if boolean(trig.get("attachBuildLog")) or text(trig.get("attachmentsPattern") or "").strip():
        ctx.approximated(f"{elem} attachments", span, "no attachment or build log is sent", key_)
    if text(trig.get("contentType") or "").strip() in ("text/html",):
        ctx.approximated(f"{elem} contentType", span, "the body is sent as text, not HTML", key_)


# Slack publisher flags -> (on, condition); notifySuccess covers back-to-normal, notifyRepeatedFailure with
# notifyFailure covers every failure
SLACK_FLAGS = {"notifySuccess": ("success", ""), "notifyBackToNormal": ("success", "fixed"),
               "notifyFailure": ("failure", "first_failure"), "notifyRepeatedFailure": ("failure", "still_failing"),
               "notifyRegression": ("failure", "regression")}
SLACK_NEVER = {"notifyAborted": "an Airflow run that is stopped fails: no message for an abort as such",
               "notifyNotBuilt": "Airflow has no NOT_BUILT result",
               "startNotification": "the runtime sends messages when a run ends, not when it starts"}
# Slack publisher flags whose decision (slack-plugin decisions.On*) reads an UNSTABLE result, current or previous:
# the kinds of source that make them differ (convert.unstable), and how
SLACK_UNSTABLE: dict[str, tuple[tuple[unstable.Run, ...], str]] = {
    "notifyBackToNormal": (("on",), "and Jenkins sends the back-to-normal message when a build succeeds after an "
                                    "UNSTABLE one; the run ends success both times and does not send it"),
    "notifyFailure": (("fails",), "and Jenkins sends no failure message for an UNSTABLE build, and counts it as no "
                                  "failure for the next one; the task fails there and the run counts it as a failure"),
    "notifyRepeatedFailure": (("fails",), "and Jenkins sends the repeated-failure message for a FAILURE after a "
                                          "FAILURE only; the task fails there and the run counts it as a failure"),
    "notifyRegression": (("on", "fails"), "and Jenkins sends the regression message when a result is worse than the "
                                          "previous one, UNSTABLE between SUCCESS and FAILURE; the run ends success "
                                          "or failed only, so it sends none from SUCCESS to UNSTABLE or from UNSTABLE "
                                          "to FAILURE"),
}


def slack_notifier(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """jenkins.plugins.slack.SlackNotifier: a message per result its flags ask for, to its room/channel."""
    elem = f"publisher {pl.cls}"
    flags = {name for name in (*SLACK_FLAGS, *SLACK_NEVER, "notifyUnstable")
             if boolean(pl.field(name))}
    sends = [SLACK_FLAGS[f] for f in SLACK_FLAGS if f in flags]
    if "notifySuccess" in flags:
        sends = [s for s in sends if s != ("success", "fixed")]
    if {"notifyFailure", "notifyRepeatedFailure"} <= flags:
        sends = [s for s in sends if s[0] != "failure" or s[1] == "regression"] + [("failure", "")]
    if ("failure", "") in sends:
        sends = [s for s in sends if s != ("failure", "regression")]
    rooms = [r for r in text(pl.field("room") or pl.field("channel") or "").replace(",", " ").split() if r]
    message = text(pl.field("customMessage") or "") if boolean(pl.field("includeCustomMessage")) \
        else ""
    for on, condition in sends:
        _add(ctx, on, "slack", rooms, "", message, condition)
    for name in (n for n in SLACK_NEVER if n in flags):  # in the table's order: the ledger is the same every run
        ctx.approximated(f"{elem} {name}", pl.span, SLACK_NEVER[name], pl.cls)
    if "notifyUnstable" in flags:  # a message for an UNSTABLE build: none in a job nothing makes UNSTABLE
        ctx.waived(f"{elem} notifyUnstable", pl.span, "Jenkins sends it only for an UNSTABLE build, which nothing in "
                   "this job makes", pl.cls)
        ctx.unless_unstable("and Jenkins then sends the unstable message; the run has no UNSTABLE result and never "
                            "sends it", f"{elem} notifyUnstable", pl.span, pl.cls, runs=("on", "fails"))
    if "notifySuccess" in flags:  # ActiveNotifier: a success message for a SUCCESS build only
        ctx.unless_unstable("and Jenkins sends no success message for an UNSTABLE build; the run ends success and "
                            "sends it", f"{elem} notifySuccess", pl.span, pl.cls, recorded=False)
    for name in (n for n in SLACK_UNSTABLE if n in flags):
        runs, consequence = SLACK_UNSTABLE[name]
        if name == "notifyBackToNormal" and "notifySuccess" in flags:
            continue  # every success is sent, as Jenkins sends one after an UNSTABLE build
        if name == "notifyRegression" and ("failure", "") in sends:
            runs = ("on",)  # every failure is sent: UNSTABLE (failed here) to FAILURE is too
        ctx.unless_unstable(consequence, f"{elem} {name}", pl.span, pl.cls, runs=runs, recorded=False)
    for name in ("includeTestSummary", "includeFailedTests", "commitInfoChoice"):
        value = text(pl.field(name) or "")
        if value and value.lower() not in ("false", "none"):
            ctx.approximated(f"{elem} {name}", pl.span, f"{name} {value!r}: Jenkins' build details are not in the "
                             "message", pl.cls)
    ctx.mapped(elem, pl.span, pl.cls, f"{len(sends)} Slack notification(s): "
               + (", ".join(f"{on}{' when ' + c if c else ''}" for on, c in sends) or "none"))


HANDLERS: dict[str, Handler] = {"notify": notify, "mailer": mailer, "emailext_publisher": emailext_publisher,
                                "slack_notifier": slack_notifier}

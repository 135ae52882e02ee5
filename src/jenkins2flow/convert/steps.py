"""Step handlers shared by Jenkinsfiles and config.xml builders, and the walker over a list of steps."""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.convert import scripted
from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.invocations import recognize
from jenkins2flow.convert.registry import HANDLERS, handler
from jenkins2flow.convert.rules import Rule, load_hook
from jenkins2flow.convert.shell import script_arg, to_shell
from jenkins2flow.convert.values import arg, as_list, call, literal, split_names, text
from jenkins2flow.ir import Closure, GString, Plugin, Step

CONTROL = {"if", "try", "for", "while", "switch", "def", "assign", "expr", "function", "unparsed"}
MAX_DEPTH = 20


def walk(steps: tuple[Step, ...] | list[Step], ctx: Ctx, scope: Scope) -> None:
    """Convert steps in order; each either emits tasks after the frontier, changes scope, or is recorded."""
    for step in steps:
        scope = convert_step(step, ctx, scope)


def convert_step(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    """Convert one step; returns the scope for the steps after it (changed only by variable definitions)."""
    if step.name in CONTROL:
        return _control(step, ctx, scope)
    if step.name in ctx.functions and ctx.depth < MAX_DEPTH:
        fn = ctx.functions[step.name]
        ctx.mapped(f"call {step.name}()", step.span, step.name, "the function body is converted in place")
        ctx.depth += 1
        walk(fn.body or (), ctx, scope)
        ctx.depth -= 1
        return scope
    rule = ctx.rules.rule("steps", step.name)
    if rule is None:
        ctx.placeholder(f"step {step.name}", step.span, ctx.rules.unknown("steps", step.name, "step"), scope,
                        key=step.name, source=step.raw)
        if step.body:
            walk(step.body, ctx, scope)
        return scope
    apply(rule, step, ctx, scope, f"step {step.name}")
    return scope


def apply(rule: Rule, node: Step | Plugin, ctx: Ctx, scope: Scope, element: str) -> None:
    key = node.name if isinstance(node, Step) else node.cls
    if rule.waive:
        ctx.waived(element, node.span, rule.waive, key)
        return
    if rule.hook:
        load_hook(rule.hook, rule.origin)(node, ctx, scope, rule)
        ctx.mapped(element, node.span, key, f"hook {rule.hook}")
        return
    fn = HANDLERS.get(rule.handler)
    if fn is None:  # checked at load time; kept for rules built in code
        ctx.placeholder(element, node.span, f"unknown handler {rule.handler!r}", scope, key=key)
        return
    fn(node, rule, ctx, scope)


def _control(step: Step, ctx: Ctx, scope: Scope) -> Scope:
    if step.name in ("def", "assign"):
        scripted.remember(step, ctx)
        name = text(step.kwarg("name") or (step.args[0] if step.args else ""))
        value = step.kwarg("value")
        if value is None and len(step.args) > 1:
            value = step.args[1]
        if isinstance(value, str | int | float | bool) and name.isidentifier():
            ctx.mapped(f"variable {name}", step.span, step.name, "a literal value, exported as an environment variable")
            return scope.with_env([(name, text(value))])
        ctx.waived(f"variable {name or '?'}", step.span, "Groovy variables are evaluated by Jenkins; the shell "
                   "steps that use them get a diagnostic", step.name)
        return scope
    if step.name == "function":
        ctx.mapped("function definition", step.span, "function", "converted where it is called")
        return scope
    if step.name == "try":
        ctx.mapped("try", step.span, "try", "body in order; catch runs on failure; finally always")
        start = list(ctx.frontier)
        walk(step.body or (), ctx, scope)
        body_end = list(ctx.frontier)
        for label, block in step.children:
            if label.startswith("catch") and block:
                ctx.frontier = list(body_end) or start
                ctx.pending_rule, ctx.notify_on = "one_failed", "failure"
                walk(block, ctx, scope)
                ctx.notify_on = ""
                ctx.frontier = body_end + [t for t in ctx.frontier if t not in body_end]
            elif label.startswith("finally") and block:
                ctx.pending_rule, ctx.notify_on = "all_done", "always"
                walk(block, ctx, scope)
                ctx.notify_on = ""
        return scope
    if step.name == "if" and scripted.if_(step, ctx, scope):
        return scope
    if step.name == "for" and scripted.for_(step, ctx, scope):
        return scope
    if step.name == "expr" and scripted.docker_expr(step, ctx, scope):
        return scope
    if step.name in ("for", "while", "switch", "if"):
        reason = {"if": "a condition evaluated by Groovy at build time", "for": "a loop evaluated by Groovy",
                  "while": "a loop evaluated by Groovy", "switch": "a branch chosen by Groovy"}[step.name]
        ctx.placeholder(f"{step.name} statement", step.span, f"{reason} is not static; its source is kept", scope,
                        key=step.name, source=step.raw or _source(step))
        return scope
    if step.name == "unparsed":
        ctx.placeholder("unparsed source", step.span, "the parser could not read this statement", scope,
                        key="unparsed", source=step.raw)
        return scope
    ctx.placeholder("expression", step.span, "a Groovy expression evaluated by Jenkins", scope, key="expr",
                    source=step.raw or text(step.args[0] if step.args else ""))
    return scope


def _source(step: Step) -> str:
    """Where the parser kept no raw text (if/for): the condition or loop head, for the fallback's `source`."""
    if step.name == "if" and step.args:
        return f"if ({text(step.args[0])}) {{...}}"
    if step.name == "for" and step.kwarg("var"):
        return f"for ({text(step.kwarg('var'))} in {text(step.kwarg('in'))}) {{...}}"
    return ""


# ---- shell-like steps -------------------------------------------------------------------------------------------


def _params(ctx: Ctx) -> set[str]:
    return {p.name for p in ctx.job.parameters}


def emit_shell(ctx: Ctx, scope: Scope, script: str, shell: str, node: Step | Plugin, element: str) -> None:
    if scope.cwd:
        script = f"cd {shlex.quote(scope.cwd)} || exit 1\n{script}"
    rec = recognize(script, ctx.rules.table("invocations"), ctx.workspace, _params(ctx))
    for s in rec.signals:
        if s not in ctx.conv.signals:
            ctx.conv.signals.append(s)
    if rec.note:
        ctx.note(f"{element}: {rec.note}", node.span, "info")
    if rec.sql and scope.secrets:
        ctx.note(f"{element}: the SQL call uses credentials bound by Jenkins; it stays a shell task (a view task "
                 "would run on an Airflow connection instead).", node.span, "info")
    if rec.sql and not scope.secrets:
        view = {"sql": rec.sql, "connection": rec.connection, "materialize": "query",
                "description": f"{rec.tool} call converted from Jenkins"
                + (f" ({rec.sql_file})" if rec.sql_file else ""),
                "tags": ["sql", rec.tool]}
        ctx.emit("sql", view, scope, kind="view_task", text=rec.sql)
        ctx.mapped(element, node.span, _key(node), f"{rec.tool} SQL -> view task on connection {rec.connection!r}")
        return
    spec: dict[str, Any] = {"type": "shell", "command": script, "shell": shell}
    if rec.signals:
        spec["tags"] = sorted(rec.signals)
    ctx.emit(shell if shell != "powershell" else "ps", spec, scope)
    ctx.mapped(element, node.span, _key(node))


def _key(node: Step | Plugin) -> str:
    return node.name if isinstance(node, Step) else node.cls


@handler("shell")
def shell(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    element = f"step {node.name}" if isinstance(node, Step) else f"builder {node.cls}"
    value = script_arg(node) if isinstance(node, Step) else node.field(rule.get("field", "command"), "")
    script, unresolved = to_shell(value)
    for expr in unresolved:
        ctx.note(f"Groovy expression ${{{expr}}} cannot be evaluated outside Jenkins; it is left for the shell.",
                 node.span)
    if isinstance(node, Step) and (node.kwarg("returnStdout") or node.kwarg("returnStatus")):
        ctx.note(f"{element}: its output or status was used by Groovy; the task runs the command only.", node.span)
    if not script.strip():
        ctx.placeholder(element, node.span, "the script is empty or not a literal", scope, key=_key(node),
                        source=text(value))
        return
    emit_shell(ctx, scope, script, str(rule.get("shell", "sh")), node, element)


@handler("command")
def command(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """A build tool invocation from a template (`mvn {goals}`): fields fill the braces."""
    fields: dict[str, str] = {}
    if isinstance(node, Plugin):
        fields = {k: text(v) for k, v in node.fields}
    else:
        fields = {k: text(v) for k, v in node.kwargs}
        if node.args:
            fields.setdefault("value", text(node.args[0]))
    template = str(rule.get("template", "{value}"))
    import string

    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    script = template.format(**{n: fields.get(n, "") for n in names}).strip()
    element = f"step {node.name}" if isinstance(node, Step) else f"builder {node.cls}"
    emit_shell(ctx, scope, script, str(rule.get("shell", "sh")), node, element)


def _dq(script: str) -> str:
    return '"' + script.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


@handler("echo")
def echo(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    value = arg(node, "message", "")
    if isinstance(value, str):
        script = "echo " + shlex.quote(value)
    else:
        body, _ = to_shell(value)
        script = "echo " + _dq(body)
    emit_shell(ctx, scope, script, "sh", node, "step echo")


@handler("sleep")
def sleep(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    try:
        seconds = int(text(arg(node, "time", 0)))
    except ValueError:
        ctx.placeholder("step sleep", node.span, "the duration is not a number", scope, key="sleep", source=node.raw)
        return
    unit = text(node.kwarg("unit") or "SECONDS").upper()
    seconds *= {"MINUTES": 60, "HOURS": 3600, "MILLISECONDS": 0}.get(unit, 1)
    emit_shell(ctx, scope, f"sleep {seconds}", "sh", node, "step sleep")


@handler("error")
def error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    message = text(arg(node, "message", "error"))
    emit_shell(ctx, scope, f"echo {shlex.quote(message)} >&2\nexit 1", "sh", node, "step error")


_THROWN = re.compile(r"""^new\s+[\w.]+\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\$]|\\.)*)")?\s*\)$""", re.S)


@handler("throw")
def throw(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`throw new Exception('msg')` fails the build like `error 'msg'`: a task that prints the message and exits 1."""
    source = text(node.args[0]).strip() if node.args else ""
    m = _THROWN.match(source)
    if m is None:
        ctx.placeholder("step throw", node.span, f"the thrown value {source!r} is computed by Groovy", scope,
                        key="throw", source=node.raw)
        return
    message = m.group(1) or m.group(2) or source
    emit_shell(ctx, scope, f"echo {shlex.quote(message)} >&2\nexit 1", "sh", node, "step throw")


@handler("write_file")
def write_file(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    path, body = node.kwarg("file"), node.kwarg("text")
    if not isinstance(path, str) or not isinstance(body, str):
        ctx.placeholder("step writeFile", node.span, "file or text is not a literal", scope, key="writeFile",
                        source=node.raw)
        return
    emit_shell(ctx, scope, f"printf '%s' {shlex.quote(body)} > {shlex.quote(path)}", "sh", node, "step writeFile")


# ---- blocks -----------------------------------------------------------------------------------------------------


def _body(node: Step) -> tuple[Step, ...]:
    if node.body is not None:
        return node.body
    for a in (*node.args, *(v for _, v in node.kwargs)):
        if isinstance(a, Closure):
            return a.body
    return ()


@handler("block")
def block(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    if rule.get("note"):
        ctx.waived(f"step {node.name}", node.span, str(rule.get("note")), node.name)
    else:
        ctx.mapped(f"step {node.name}", node.span, node.name, "its body is converted in place")
    walk(_body(node), ctx, scope)


@handler("node")
def node_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    from jenkins2flow.convert.pipeline import agent_scope
    from jenkins2flow.ir import Agent

    label = text(arg(node, "label", ""))
    scope = agent_scope(Agent("label" if label else "any", label=label, span=node.span), ctx, scope)
    ctx.mapped("step node", node.span, "node", f"agent label {label!r}" if label else "any agent")
    walk(_body(node), ctx, scope)


@handler("dir")
def dir_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    path = text(arg(node, "path", ""))
    cwd = f"{scope.cwd}/{path}" if scope.cwd and not path.startswith("/") else path
    ctx.mapped(f"step {node.name}", node.span, node.name, f"tasks inside run in {cwd!r}")
    walk(_body(node), ctx, replace(scope, cwd=cwd))


@handler("stage")
def stage(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    name = text(arg(node, "name", "stage"))
    ctx.mapped("step stage", node.span, "stage", f"stage {name!r}")
    walk(_body(node), ctx, replace(scope, stage=name, id_suffix=""))


@handler("parallel")
def parallel(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    branches: list[tuple[str, tuple[Step, ...]]] = []
    items: list[tuple[Any, Any]] = list(node.kwargs)
    for a in node.args:
        if isinstance(a, dict):
            items += list(a.items())
    for key, value in items:
        if key == "failFast":
            continue
        if isinstance(value, Closure):
            branches.append((text(key), value.body))
    if not branches:
        ctx.placeholder("step parallel", node.span, "the branches are built dynamically by Groovy", scope,
                        key="parallel", source=node.raw)
        return
    ctx.mapped("step parallel", node.span, "parallel", f"{len(branches)} branches fan out")
    start, ends = list(ctx.frontier), []
    for name, body in branches:
        ctx.frontier = list(start)
        walk(body, ctx, replace(scope, stage=name))
        ends += [t for t in ctx.frontier if t not in ends]
    ctx.frontier = ends


@handler("with_env")
def with_env(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    pairs: list[tuple[str, str]] = []
    for item in as_list(node.args[0] if node.args and not isinstance(node.args[0], Closure) else ()):
        body, _ = to_shell(item)
        name, sep, value = body.partition("=")
        if sep and name.strip():
            pairs.append((name.strip(), value))
    ctx.mapped("step withEnv", node.span, "withEnv", f"environment {', '.join(k for k, _ in pairs) or '(none)'}")
    walk(_body(node), ctx, scope.with_env(pairs))


# credentials binding kinds -> (source, [(env kwarg, connection field)])
BINDINGS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "string": ("variable", [("variable", "")]),
    "StringBinding": ("variable", [("variable", "")]),
    "file": ("variable", [("variable", "file")]),
    "FileBinding": ("variable", [("variable", "file")]),
    "zip": ("variable", [("variable", "zip")]),
    "usernamePassword": ("connection", [("usernameVariable", "login"), ("passwordVariable", "password")]),
    "UsernamePasswordMultiBinding": ("connection", [("usernameVariable", "login"), ("passwordVariable", "password")]),
    "usernameColonPassword": ("connection", [("variable", "login:password")]),
    "UsernamePasswordBinding": ("connection", [("variable", "login:password")]),
    "sshUserPrivateKey": ("connection", [("keyFileVariable", "private_key_file"), ("usernameVariable", "login"),
                                         ("passphraseVariable", "passphrase")]),
    "SSHUserPrivateKeyBinding": ("connection", [("keyFileVariable", "private_key_file"),
                                                ("usernameVariable", "login"), ("passphraseVariable", "passphrase")]),
    "certificate": ("connection", [("keystoreVariable", "keystore"), ("passwordVariable", "password")]),
    "AmazonWebServicesCredentialsBinding": ("connection", [("accessKeyVariable", "login"),
                                                           ("secretKeyVariable", "password")]),
}


def secret_refs(values: list[Any], node: Step | Plugin, ctx: Ctx, scope: Scope) -> list[model.SecretRef]:
    refs: list[model.SecretRef] = []
    for value in values:
        found = call(value)
        if found is None:
            ctx.placeholder("credentials binding", node.span, f"cannot read the binding {text(value)!r}", scope,
                            key="withCredentials", fallback=False)
            continue
        kind, kw = found
        cred = kw.get("credentialsId", "")
        spec = BINDINGS.get(kind) or BINDINGS.get(kind.rsplit(".", 1)[-1])
        if spec is None or not cred:
            ctx.placeholder(f"credentials binding {kind}", node.span, "unknown binding kind or no credentialsId",
                            scope, key=kind, fallback=False)
            continue
        source, envs = spec
        names = [kw.get(k, "") for k, _ in envs]
        refs += ctx.credential(cred, kind, names, source, node.span, [f for _, f in envs])
    return refs


@handler("with_credentials")
def with_credentials(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    values = as_list(node.args[0]) if node.args and not isinstance(node.args[0], Closure) else []
    refs = secret_refs(values, node, ctx, scope)
    ctx.mapped("step withCredentials", node.span, "withCredentials",
               f"{len(refs)} secret references (Airflow connections/variables, never values)")
    walk(_body(node), ctx, scope.with_secrets(refs))


@handler("ssh_agent")
def ssh_agent(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    refs: list[model.SecretRef] = []
    for cred in split_names(arg(node, "credentials", ())):
        refs += ctx.credential(cred, "sshagent", ["SSH_PRIVATE_KEY"], "connection", node.span, ["private_key"])
    ctx.mapped("step sshagent", node.span, "sshagent", "the key is a connection secret exported as SSH_PRIVATE_KEY")
    walk(_body(node), ctx, scope.with_secrets(refs))


@handler("retry")
def retry(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    try:
        count = int(text(arg(node, "count", 1)))
    except ValueError:
        count = 1
    ctx.mapped("step retry", node.span, "retry", f"{count} attempts -> retries {max(count - 1, 0)} on each task")
    walk(_body(node), ctx, replace(scope, retries=max(count - 1, 0)))


def seconds_of(node: Step | Plugin) -> int | None:
    try:
        amount = int(text(arg(node, "time", 0)))
    except ValueError:
        return None
    unit = text(node.kwarg("unit") if isinstance(node, Step) else "MINUTES").upper() or "MINUTES"
    factor = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600, "DAYS": 86400}.get(unit, 60)
    return amount * factor if amount > 0 else None


@handler("timeout")
def timeout(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    seconds = seconds_of(node)
    ctx.mapped("step timeout", node.span, "timeout", f"timeout {seconds}s on each task" if seconds else "no limit")
    walk(_body(node), ctx, replace(scope, timeout=seconds or scope.timeout))


@handler("catch_error")
def catch_error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped(f"step {node.name}", node.span, node.name, "the tasks after it run even when its body fails")
    walk(_body(node), ctx, scope)
    ctx.after_conditional = True


# ---- notifications, outputs, cross-pipeline -----------------------------------------------------------------------


@handler("notify")
def notify(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    on = ctx.notify_on or str(rule.get("on", "always" if isinstance(node, Step) else "failure"))
    to = split_names(arg(node, str(rule.get("to", "to")), ""))
    subject = text(arg(node, str(rule.get("subject", "subject")), "")) if rule.get("subject") else ""
    body = text(node.kwarg(str(rule.get("body", "body"))) if isinstance(node, Step)
                else node.field(str(rule.get("body", "body")), "")) if rule.get("body") else ""
    ctx.notifications.append(model.Notification(on=on, channel=rule.get("channel", "email"), to=to,  # type: ignore[arg-type]
                                                subject=subject, body=body))
    ctx.mapped(_element(node), node.span, _key(node), f"notification on {on} by {rule.get('channel', 'email')}")


def _element(node: Step | Plugin) -> str:
    return f"step {node.name}" if isinstance(node, Step) else f"plugin {node.cls}"


@handler("output")
def output(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """archiveArtifacts, junit, stash...: the files a shadow run compares (an `artifacts` shadow output)."""
    raw = arg(node, str(rule.get("field", "includes")), "")
    pattern = raw if isinstance(raw, str) else ""
    source = str(rule.get("output", "artifacts"))
    patterns = [p.strip() for p in pattern.split(",") if p.strip()]
    if not patterns or any(p.startswith("/") or ".." in p.split("/") for p in patterns):
        ctx.mapped(_element(node), node.span, _key(node),
                   f"{source} pattern {text(raw)!r} is not a literal relative path: not compared in shadow runs")
        return
    entry: dict[str, Any] = {"kind": "artifacts", "path": pattern, "source": source,
                             "task": ctx.frontier[-1] if ctx.frontier else ""}
    if isinstance(node, Step) and node.name == "stash":
        entry["name"] = f"stash {text(node.kwarg('name') or '')}"
        entry["required"] = False  # stashes are not archived by Jenkins: compared only when both sides have them
    ctx.shadow_outputs.append(entry)
    ctx.mapped(_element(node), node.span, _key(node), f"kept as a shadow-run output ({source} {pattern!r})")


def _build_params(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in as_list(value):
        found = call(item)
        if found:
            _, kw = found
            if "name" in kw:
                out[kw["name"]] = kw.get("value", "")
    return out


def trigger_task(ctx: Ctx, scope: Scope, job: str, conf: dict[str, Any], wait: bool, span: Any,
                 trigger_rule: str = "", label: str = "trigger") -> None:
    from jenkins2flow.convert.naming import safe_name

    spec = {"type": "python", "callable": f"{RUNTIME}:trigger_pipeline",
            "description": "Triggers another converted pipeline (Jenkins `build job:` / downstream trigger)."}
    ctx.emit("airflow.trigger-pipeline", spec, scope, label=label, named=True, trigger_rule=trigger_rule,
             bindings={"pipeline": safe_name(job.strip("/")), "jenkins_job": job, "conf": conf, "wait": wait})


@handler("build_job")
def build_job(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    job = text(arg(node, "job", ""))
    if not job or isinstance(node.kwarg("job"), GString):
        ctx.placeholder("step build", node.span, "the downstream job name is computed by Groovy", scope,
                        key="build", source=node.raw)
        return
    wait = node.kwarg("wait") is not False
    trigger_task(ctx, scope, job, _build_params(node.kwarg("parameters")), wait, node.span)
    ctx.mapped("step build", node.span, "build", f"{'waits for' if wait else 'triggers'} pipeline of job {job!r}")


@handler("copy_artifact")
def copy_artifact(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    from jenkins2flow.convert.naming import safe_name

    project = text(arg(node, "projectName", "") or arg(node, "project", ""))
    if not project:
        ctx.placeholder(_element(node), node.span, "no source project", scope, key=_key(node))
        return
    spec = {"type": "python", "callable": f"{RUNTIME}:copy_artifacts",
            "description": "Copies the outputs of another pipeline's last successful run into this workspace."}
    ctx.emit("airflow.copy-artifacts", spec, scope, label="copy_artifacts", named=True,
             bindings={"pipeline": safe_name(project.strip("/")), "filter": text(arg(node, "filter", "")),
                       "target": text(arg(node, "target", ""))})
    ctx.mapped(_element(node), node.span, _key(node), f"copies outputs of pipeline {safe_name(project)!r}")


@handler("input")
def input_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    message = text(arg(node, "message", "Proceed?"))
    manual_gate(ctx, scope, message, text(node.kwarg("ok") or ""), text(node.kwarg("submitter") or ""))
    ctx.mapped("step input", node.span, "input", "a manual gate (see docs/post-conditions.md#input)")


def manual_gate(ctx: Ctx, scope: Scope, message: str, ok: str, submitter: str) -> None:
    spec = {"type": "python", "callable": f"{RUNTIME}:manual_gate",
            "description": "Waits until a person approves the run (Airflow variable) or the timeout passes."}
    ctx.emit("airflow.manual-gate", spec, scope, label="input", named=True,
             bindings={"message": message, "ok": ok, "submitter": submitter})


@handler("properties")
def properties(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped("step properties", node.span, "properties",
               "parameters and triggers declared here are read by the parser into the job")
    for item in as_list(node.args[0] if node.args else ()):
        found = call(item)
        if found and found[0] == "disableConcurrentBuilds":
            ctx.max_active_runs = 1


@handler("noted")
def noted(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.mapped(_element(node), node.span, _key(node), str(rule.get("note", "")))


__all__ = ["walk", "convert_step", "apply", "emit_shell", "literal"]

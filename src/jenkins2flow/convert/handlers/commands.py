"""Steps and builders that run a command: `sh`/`bat`/`powershell` and the Shell builders, build tool templates
(`mvn {goals}`), `echo`, `sleep`, `error`, `throw` and `writeFile`. A command whose whole script is one SQL client
call becomes a view task (convert.invocations)."""

from __future__ import annotations

import re
import shlex
import string
from typing import Any

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import key
from jenkins2flow.convert.invocations import recognize
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import find, line_of
from jenkins2flow.convert.shell import script_arg, to_shell
from jenkins2flow.convert.values import arg, text
from jenkins2flow.ir import Plugin, Step


def emit_shell(ctx: Ctx, scope: Scope, script: str, shell: str, node: Step | Plugin, element: str) -> None:
    flag_secrets(ctx, script, node, element)
    if scope.cwd:
        script = f"cd {shlex.quote(scope.cwd)} || exit 1\n{script}"
    rec = recognize(script, ctx.rules.table("invocations"), ctx.workspace, {p.name for p in ctx.job.parameters})
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
        ctx.mapped(element, node.span, key(node), f"{rec.tool} SQL -> view task on connection {rec.connection!r}")
        return
    spec: dict[str, Any] = {"type": "shell", "command": script, "shell": shell}
    if rec.signals:
        spec["tags"] = sorted(rec.signals)
    ctx.emit(shell if shell != "powershell" else "ps", spec, scope)
    ctx.mapped(element, node.span, key(node))


def flag_secrets(ctx: Ctx, script: str, node: Step | Plugin, element: str) -> None:
    """A secret written in a script is flagged (a warning: the job is partial), never changed: the script runs as
    Jenkins ran it, so the secret stays in it until someone moves it to a credential."""
    for found in find(script):
        ctx.note(f"{element}: line {line_of(script, found.start)} of the script holds a secret in clear "
                 f"({found.kind}); the script is kept exactly as written, so the catalog stores it: move it to a "
                 "Jenkins credential (withCredentials) or an Airflow variable and use it as an environment variable.",
                 node.span)


def _element(node: Step | Plugin) -> str:
    return f"step {node.name}" if isinstance(node, Step) else f"builder {node.cls}"


def shell(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    element = _element(node)
    value = script_arg(node) if isinstance(node, Step) else node.field(rule.get("field", "command"), "")
    script, unresolved = to_shell(value)
    for expr in unresolved:
        ctx.note(f"Groovy expression ${{{expr}}} cannot be evaluated outside Jenkins; it is left for the shell.",
                 node.span)
    if isinstance(node, Step) and (node.kwarg("returnStdout") or node.kwarg("returnStatus")):
        ctx.note(f"{element}: its output or status was used by Groovy; the task runs the command only.", node.span)
    if not script.strip():
        ctx.placeholder(element, node.span, "the script is empty or not a literal", scope, key=key(node),
                        source=text(value))
        return
    emit_shell(ctx, scope, script, str(rule.get("shell", "sh")), node, element)


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
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    script = template.format(**{n: fields.get(n, "") for n in names}).strip()
    emit_shell(ctx, scope, script, str(rule.get("shell", "sh")), node, _element(node))


def _dq(script: str) -> str:
    return '"' + script.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def echo(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    value = arg(node, "message", "")
    if isinstance(value, str):
        script = "echo " + shlex.quote(value)
    else:
        body, _ = to_shell(value)
        script = "echo " + _dq(body)
    emit_shell(ctx, scope, script, "sh", node, f"step {node.name}")


def sleep(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    try:
        seconds = int(text(arg(node, "time", 0)))
    except ValueError:
        ctx.placeholder("step sleep", node.span, "the duration is not a number", scope, key="sleep", source=node.raw)
        return
    unit = text(node.kwarg("unit") or "SECONDS").upper()
    seconds *= {"MINUTES": 60, "HOURS": 3600, "MILLISECONDS": 0}.get(unit, 1)
    emit_shell(ctx, scope, f"sleep {seconds}", "sh", node, "step sleep")


def error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    message = text(arg(node, "message", "error"))
    emit_shell(ctx, scope, f"echo {shlex.quote(message)} >&2\nexit 1", "sh", node, "step error")


_THROWN = re.compile(r"""^new\s+[\w.]+\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\$]|\\.)*)")?\s*\)$""", re.S)


def throw(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`throw new Exception('msg')` fails the build like `error 'msg'`: a task that prints the message and exits 1."""
    source = text(node.args[0]).strip() if node.args else ""
    if source in scope.caught:  # `catch (e) { ...; throw e }`: the caught error goes on (convert.regions)
        emit_shell(ctx, scope, f"echo {shlex.quote(f'rethrows the error caught as {source}')} >&2\nexit 1", "sh",
                   node, "step throw")
        return
    m = _THROWN.match(source)
    if m is None:
        ctx.placeholder("step throw", node.span, f"the thrown value {source!r} is computed by Groovy", scope,
                        key="throw", source=node.raw)
        return
    message = m.group(1) or m.group(2) or source
    emit_shell(ctx, scope, f"echo {shlex.quote(message)} >&2\nexit 1", "sh", node, "step throw")


def write_file(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    path, body = node.kwarg("file"), node.kwarg("text")
    if not isinstance(path, str) or not isinstance(body, str):
        ctx.placeholder("step writeFile", node.span, "file or text is not a literal", scope, key="writeFile",
                        source=node.raw)
        return
    emit_shell(ctx, scope, f"printf '%s' {shlex.quote(body)} > {shlex.quote(path)}", "sh", node, "step writeFile")


HANDLERS: dict[str, Handler] = {
    "shell": shell, "command": command, "echo": echo, "sleep": sleep, "error": error, "throw": throw,
    "write_file": write_file,
}

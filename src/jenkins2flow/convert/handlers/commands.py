"""Steps and builders that run a command: `sh`/`bat`/`powershell` and the Shell builders, build tool templates
(`mvn {goals}`), `echo`, `sleep`, `error`, `throw` and `writeFile`. A command whose whole script is one SQL client
call becomes a view task (convert.invocations)."""

from __future__ import annotations

import re
import shlex
import string
from typing import Any

from jenkins2flow.convert import tools
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.nodes import key
from jenkins2flow.convert.invocations import recognize
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import find, line_of
from jenkins2flow.convert.shell import script_arg, to_shell
from jenkins2flow.convert.values import arg, text
from jenkins2flow.convert.workdir import in_workdir
from jenkins2flow.ir import Plugin, Step


def shells_of(ctx: Ctx, scope: Scope) -> tuple[str, ...]:
    """The shells the tasks' workers run (agents rules; the `any` rule when no label said; sh when none says)."""
    if scope.shells is not None:
        return scope.shells
    return tuple(str(s) for s in (ctx.rules.table("agents").get("any") or {}).get("shells") or ("sh",))


# what a step in each shell needs, said when no agents rule gives it
NEEDS = {"sh": "workers with a POSIX shell", "bat": "Windows workers (cmd.exe)",
         "powershell": "Windows workers (Windows PowerShell)", "pwsh": "workers with PowerShell 7 (pwsh)"}


def runnable(needs: str, node: Step | Plugin, ctx: Ctx, scope: Scope, element: str, source: str) -> bool:
    """A step runs only where its shell is one the agents rules give the workers (sh unless a rule says
    otherwise), and a container runs only sh (`sh -c`); elsewhere it is a placeholder: the runtime would refuse
    it, so the job stays on Jenkins."""
    shells = ("sh",) if scope.image else shells_of(ctx, scope)
    if needs in shells:
        return True
    where = "a container (which runs sh)" if scope.image else f"workers whose agents rule gives {', '.join(shells)}"
    ctx.placeholder(element, node.span, f"a {needs} step needs {NEEDS.get(needs, needs)}, and these tasks run on "
                    f"{where}: the job stays on Jenkins. If Airflow has such workers, map the agent's label in a "
                    f"--mappings file: `agents: {{labels: {{LABEL: {{queue: QUEUE, shells: [{needs}]}}}}}}`", scope,
                    key=key(node), source=source)
    return False


def emit_shell(ctx: Ctx, scope: Scope, script: str, shell: str, node: Step | Plugin, element: str,
               needs: str = "") -> None:
    """A shell task (or a view task for one SQL call) running `script` in the scope's folder, when the scope's
    workers run `needs` (default: `shell`)."""
    flag_secrets(ctx, script, node, element)
    if not runnable(needs or shell, node, ctx, scope, element, script):
        return
    script, problem = in_workdir(script, shell, scope.workspace, scope.cwd)
    if problem:
        ctx.approximated(element, node.span, problem, key(node))
    if scope.ssh_keys and scope.image:
        ctx.approximated(element, node.span, "inside sshagent in a container: the runtime starts the ssh-agent for "
                         "containers it runs on the worker, not on Fargate, where the keys are only environment "
                         "variables", key(node))
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
    shell_name = str(rule.get("shell", "sh"))
    emit_shell(ctx, scope, script, shell_name, node, element, str(rule.get("needs", shell_name)))


def _empty(value: Any, neutral: list[Any]) -> bool:
    """A field value that asks for nothing: blank, false, Jenkins' default provider, or a value the rule lists
    ("*": any value, for fields that only describe)."""
    if "*" in neutral:
        return True
    if value in (None, "", False, (), {}) or text(value).lower() in ("false", *(text(n).lower() for n in neutral)):
        return True
    cls = text(value["class"]) if isinstance(value, dict) and set(value) == {"class"} else text(value)
    return bool(re.fullmatch(r"jenkins\.mvn\.Default\w*Provider", cls))  # Maven's own settings, as Jenkins' default


def _shown(value: Any) -> str:
    """A field value in a ledger reason: plugins by class, the rest as text."""
    items = value if isinstance(value, tuple | list) else (value,)
    return ", ".join(v.cls if isinstance(v, Plugin) else text(v) for v in items)[:200]


def command(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """A build tool invocation from a template (`mvn {goals}`): fields fill the braces; `args` adds an option per
    non-blank field (`{pom: "-f"}`), `properties` a `-Dk=v` per line of a properties field, `env` sets a variable
    from a field (`{jvmOptions: MAVEN_OPTS}`), `tool` applies the installation a field names
    (`{type: maven, field: mavenName}`). Any other field with a value is flagged, unless `neutral` lists the
    values that ask for nothing (`{aggregatorStyleBuild: [true]}`)."""
    raw: dict[str, Any] = dict(node.fields) if isinstance(node, Plugin) else dict(node.kwargs)
    if isinstance(node, Step) and node.args:
        raw.setdefault("value", node.args[0])
    fields = {k: text(v) for k, v in raw.items()}
    template = str(rule.get("template", "{value}"))
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    script = template.format(**{n: fields.get(n, "") for n in names}).strip()
    args: dict[str, str] = rule.get("args") or {}
    script += "".join(f" {flag} {shlex.quote(fields[f])}" for f, flag in args.items() if fields.get(f, "").strip())
    props = str(rule.get("properties", ""))
    for line in fields.get(props, "").splitlines() if props else ():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() and not name.startswith("#"):
            script += " " + shlex.quote(f"-D{name.strip()}={value.strip()}")
    env: dict[str, str] = rule.get("env") or {}
    scope = scope.with_env([(var, fields[f]) for f, var in env.items() if fields.get(f, "").strip()]) \
        if any(fields.get(f, "").strip() for f in env) else scope
    tool_rule: dict[str, str] = rule.get("tool") or {}
    if tool_rule and tool_rule.get("field") in raw:
        scope = tools.apply(tool_rule["type"], raw[tool_rule["field"]], node.span, ctx, scope,
                            f"{_element(node)} {tool_rule['field']}")
    neutral: dict[str, list[Any]] = rule.get("neutral") or {}
    used = {*names, *args, *env, props, tool_rule.get("field", "")}
    for name, value in raw.items():
        if name not in used and not _empty(value, list(neutral.get(name) or ())):
            ctx.approximated(f"{_element(node)} {name}", node.span, f"{name} {_shown(value)!r} is not applied "
                             "to the task", key(node))
    shell_name = str(rule.get("shell", "sh"))
    emit_shell(ctx, scope, script, shell_name, node, _element(node), str(rule.get("needs", shell_name)))


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

"""Steps and builders that run a command: `sh`/`bat`/`powershell` and the Shell builders, build tool templates
(`mvn {goals}`), `echo`, `unstable`, `sleep`, `error`, `throw` and `writeFile`. A command whose whole script is one
SQL client call becomes a view task (convert.invocations)."""

from __future__ import annotations

import re
import shlex
import string
from dataclasses import replace
from typing import Any

from jenkins2flow_runtime import groovy

from jenkins2flow.convert import tools
from jenkins2flow.convert.context import Ctx, Handler, Scope, first_line
from jenkins2flow.convert.evaluate import ShellText, Static, Unknown
from jenkins2flow.convert.handlers.nodes import key
from jenkins2flow.convert.invocations import recognize
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.secrets import find, line_of
from jenkins2flow.convert.shell import script_arg
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
               needs: str = "", env: dict[str, Any] | None = None, outputs: list[str] | None = None,
               named: str = "") -> str | None:
    """A shell task (or a view task for one SQL call) running `script` in the scope's folder, when the scope's
    workers run `needs` (default: `shell`); `env` the run-time values it reads, `outputs` what it records (then it
    stays a shell task), `named` the text its task's name is made from (default: the script). Returns the task's
    id, None when the step cannot run here (a placeholder)."""
    flag_secrets(ctx, script, node, element)
    title = first_line(named) if named else f"{shell}: {first_line(script)}"  # the step as written, before any cd
    if not runnable(needs or shell, node, ctx, scope, element, script):
        return None
    if scope.cwd_word:  # a dir() computed in the run: a sh line reading the variables the task receives
        if shell != "sh" or script.startswith("#!"):
            ctx.placeholder(element, node.span, f"the directory {scope.cwd!r} is computed in the run, which only a "
                            "sh script (without an interpreter line of its own) can enter", scope, key=key(node),
                            source=script)
            return None
        script = f"mkdir -p -- {scope.cwd_word} && cd -- {scope.cwd_word} || exit 1\n{script}"
    script, problem = in_workdir(script, shell, scope.workspace, "" if scope.cwd_word else scope.cwd)
    if problem:
        ctx.approximated(element, node.span, problem, key(node))
    if scope.ssh_keys and scope.image:
        ctx.approximated(element, node.span, "inside sshagent in a container: the runtime starts the ssh-agent for "
                         "containers it runs on the worker, not on Fargate, where the keys are only environment "
                         "variables", key(node))
    files = list(dict.fromkeys(s.env for s in scope.secrets if s.as_file))
    if files and scope.image:
        ctx.approximated(element, node.span, f"{_named(files)} the path of a file holding the secret (a secret file or "
                         "SSH key binding), and this task runs in a container on Fargate, where ECS puts "
                         "secrets in the environment only, never in a file: the runtime refuses the task when it "
                         "starts. Run container tasks with the local container executor "
                         "(JENKINS2FLOW_CONTAINER_EXECUTOR=local), or, where the image comes from a --mappings rule "
                         "(an `agents` label, a tool), give that rule no image so the task runs on the workers",
                         key(node))
    task_env = {**scope.task_env(), **(env or {})}
    params = {p.name for p in ctx.job.parameters} - set(task_env)  # a variable the task env sets is not a param
    rec = recognize(script, ctx.rules.table("invocations"), ctx.workspace, params)
    for s in rec.signals:
        if s not in ctx.conv.signals:
            ctx.conv.signals.append(s)
    if rec.note:
        ctx.note(f"{element}: {rec.note}", node.span, "info")
    if rec.sql and scope.secrets:
        ctx.note(f"{element}: the SQL call uses credentials bound by Jenkins; it stays a shell task (a view task "
                 "would run on an Airflow connection instead).", node.span, "info")
    if rec.sql and not scope.secrets and not outputs and scope.cell_condition is None:
        view = {"sql": rec.sql, "connection": rec.connection, "materialize": "query",
                "description": f"{rec.tool} call converted from Jenkins"
                + (f" ({rec.sql_file})" if rec.sql_file else ""),
                "tags": ["sql", rec.tool]}
        tid = ctx.emit("sql", view, scope, kind="view_task", text=rec.sql, title=title)
        ctx.mapped(element, node.span, key(node), f"{rec.tool} SQL -> view task on connection {rec.connection!r}")
        return tid
    spec: dict[str, Any] = {"type": "shell", "command": script, "shell": shell}
    if rec.signals:
        spec["tags"] = sorted(rec.signals)
    tid = ctx.emit(shell if shell != "powershell" else "ps", spec, scope, env=env, outputs=outputs or [], text=named,
                   title=title)
    ctx.mapped(element, node.span, key(node), f"records its {' and '.join(outputs)}" if outputs else "")
    return tid


EMPTY = "''"  # the empty shell word


def flag_secrets(ctx: Ctx, script: str, node: Step | Plugin, element: str) -> None:
    """A secret written in a script is flagged (a warning: the job is partial), never changed: the script runs as
    Jenkins ran it, so the secret stays in it until someone moves it to a credential."""
    for found in find(script):
        ctx.note(f"{element}: line {line_of(script, found.start)} of the script holds a secret in clear "
                 f"({found.kind}); the script is kept exactly as written, so the catalog stores it: move it to a "
                 "Jenkins credential (withCredentials) or an Airflow variable and use it as an environment variable.",
                 node.span)


def _named(variables: list[str]) -> str:
    """`'F' holds` / `'F' and 'K' hold`: the variables a sentence is about, quoted as the report quotes values."""
    quoted = [repr(v) for v in variables]
    if len(quoted) == 1:
        return f"{quoted[0]} holds"
    return f"{', '.join(quoted[:-1])} and {quoted[-1]} hold"


def _element(node: Step | Plugin) -> str:
    return f"step {node.name}" if isinstance(node, Step) else f"builder {node.cls}"


def _unknown(text: ShellText) -> str:
    return "; ".join(str(u) for u in text.unknown)


def shell(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`sh`/`bat`/`powershell` and the Shell builders: the script as Groovy makes it (convert.evaluate.shell_text:
    static parts as Groovy pastes them, run-time parts as variables the task receives); a part the converter cannot
    compute makes the step a placeholder, never pasted. `returnStdout`/`returnStatus`: the task records its
    output / exit code (and succeeds whatever the code) for later tasks."""
    element = _element(node)
    kind = str(rule.get("shell", "sh"))
    if isinstance(node, Plugin):  # a config.xml builder: plain shell text, no Groovy
        value: Any = text(node.field(rule.get("field", "command"), ""))
        unstable = text(node.field("unstableReturn", "")).strip()
        if unstable not in ("", "0"):
            ctx.approximated(element, node.span, f"unstableReturn {unstable}: Jenkins ends the build UNSTABLE when the "
                             "script exits with that code and runs the next builders; Airflow has no UNSTABLE "
                             "result: the task fails on it and the run stops there", key(node))
            ctx.unstable_source(f"{element} unstableReturn {unstable}", node.span, "fails")
    else:
        value = script_arg(node)
    script = scope.ev.shell(value, node.span, shell=kind)
    if not script.ok:
        ctx.placeholder(element, node.span, f"the script has Groovy values the converter cannot compute: "
                        f"{_unknown(script)}", scope, key=key(node), source=getattr(node, "raw", "") or text(value))
        return
    if not script.script.strip():
        ctx.placeholder(element, node.span, "the script is empty", scope, key=key(node), source=text(value))
        return
    outputs: list[str] = []
    for flag, out in (("returnStdout", "stdout"), ("returnStatus", "status")):
        wanted = scope.ev.truth(node.kwarg(flag), node.span) if isinstance(node, Step) else Static(False)
        if not isinstance(wanted, Static):
            ctx.placeholder(element, node.span, f"{flag} is only known in the run", scope, key=key(node),
                            source=getattr(node, "raw", ""))
            return
        if wanted.value:
            outputs.append(out)
    if outputs and scope.image:
        ctx.approximated(element, node.span, f"it records its {' and '.join(outputs)} for later steps, which a "
                         "Fargate container task cannot do yet: it runs with the local container executor only",
                         key(node))
    emit_shell(ctx, scope, script.script, kind, node, element, str(rule.get("needs", kind)), env=script.env,
               outputs=outputs)


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
    args: dict[str, str] = rule.get("args") or {}
    if isinstance(node, Step):  # a step's arguments are Groovy values: the string Groovy makes of each used one
        for field in [n for n in (*names, *args) if n in raw]:
            found = scope.ev.string(raw[field], node.span)
            if not isinstance(found, Static):
                reason = str(found) if isinstance(found, Unknown) else "it is only known in the run"
                ctx.placeholder(_element(node), node.span, f"the argument {field!r} is not converted: {reason}",
                                scope, key=key(node), source=node.raw)
                return
            fields[field] = str(found.value)
    script = template.format(**{n: fields.get(n, "") for n in names}).strip()
    script += "".join(f" {flag} {shlex.quote(fields[f])}" for f, flag in args.items() if fields.get(f, "").strip())
    props = str(rule.get("properties", ""))
    for line in fields.get(props, "").splitlines() if props else ():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() and not name.startswith("#"):
            script += " " + shlex.quote(f"-D{name.strip()}={value.strip()}")
    env: dict[str, str] = rule.get("env") or {}
    scope = scope.with_env([(var, fields[f]) for f, var in env.items() if fields.get(f, "").strip()])
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


def _word(node: Step, value: Any, ctx: Ctx, scope: Scope, element: str) -> ShellText | None:
    """A Groovy value as one shell word (static text quoted, run-time parts as variables); None (and a
    placeholder) when the converter cannot compute it."""
    word = scope.ev.shell_word(value, node.span)
    if not word.ok:
        ctx.placeholder(element, node.span, f"a Groovy value is not converted: {_unknown(word)}", scope,
                        key=node.name, source=node.raw)
        return None
    return word


def echo(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`echo msg` (and `println`): the message printed as Jenkins prints it (printf: no escape is interpreted). A
    message with a part the converter cannot compute (a caught exception, a file's content) only changes the build
    log: it is printed as written in the Jenkinsfile, flagged (approximated), rather than send the job to Jenkins."""
    element = f"step {node.name}"
    message = arg(node, "message", "")
    word = scope.ev.shell_word(message, node.span)
    if not word.ok:
        ctx.approximated(element, node.span, f"the message has a part the converter cannot compute "
                         f"({_unknown(word)}): the log shows it as written in the Jenkinsfile", node.name)
        emit_shell(ctx, scope, f"printf '%s\\n' {shlex.quote(text(message))}", "sh", node, element,
                   named=f"echo {text(message)}")
        return
    emit_shell(ctx, scope, f"printf '%s\\n' {word.script or EMPTY}", "sh", node, element, env=word.env,
               named=f"echo {word.script}")


# Java's String.trim (Util.fixEmptyAndTrim): every character up to the space
JAVA_TRIM = "".join(map(chr, range(33)))


def unstable(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`unstable 'msg'` (workflow-basic-steps UnstableStep): Jenkins logs "WARNING: msg", sets the build (and stage)
    result to UNSTABLE and goes on. Airflow has no UNSTABLE: a task logs the same line and the run goes on to
    success, so the step is approximated and registered as an UNSTABLE source (convert.unstable). A message known
    blank fails the build instead ("A non-empty message is required", the step's constructor): a task that fails."""
    element = f"step {node.name}"
    message = arg(node, "message", "")
    value = scope.ev.value(message, node.span)
    if isinstance(value, Static):
        message = groovy.to_str(value.value).strip(JAVA_TRIM)
        if not message:
            if emit_shell(ctx, scope, "printf '%s\\n' 'A non-empty message is required' >&2\nexit 1", "sh", node,
                          element, named="unstable (no message)"):
                ctx.conv.ledger[-1] = replace(ctx.conv.ledger[-1], reason="the message is blank: fails the run "
                                              "there, as Jenkins fails the build (A non-empty message is required)")
            return
    word = scope.ev.shell_word(message, node.span)
    if word.ok:
        emit_shell(ctx, scope, f"printf 'WARNING: %s\\n' {word.script or EMPTY}", "sh", node, element, env=word.env,
                   named=f"unstable {word.script}")
    else:
        ctx.approximated(f"{element} message", node.span, f"the message has a part the converter cannot compute "
                         f"({_unknown(word)}): the log shows it as written in the Jenkinsfile", node.name)
        emit_shell(ctx, scope, f"printf 'WARNING: %s\\n' {shlex.quote(text(message))}", "sh", node, element,
                   named="unstable (message computed by Jenkins)")
    ctx.unstable_source(element, node.span)
    ctx.approximated(element, node.span, "Jenkins sets the build and stage result to UNSTABLE and goes on; Airflow "
                     "has no UNSTABLE result: a task logs the warning, succeeds, and the run ends success", node.name)


def sleep(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    seconds = scope.static_int(arg(node, "time", 0), node.span)
    unit = scope.ev.value(node.kwarg("unit") or "SECONDS", node.span)
    if isinstance(seconds, Unknown) or not isinstance(unit, Static):
        reason = seconds if isinstance(seconds, Unknown) else "the unit is only known in the run"
        ctx.placeholder("step sleep", node.span, f"the duration is not converted: {reason}", scope, key="sleep",
                        source=node.raw)
        return
    name = groovy.to_str(unit.value).upper().rsplit(".", 1)[-1]
    seconds *= {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400, "MILLISECONDS": 0}.get(name, 1)
    emit_shell(ctx, scope, f"sleep {seconds}", "sh", node, "step sleep")


def error(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    word = _word(node, arg(node, "message", "error"), ctx, scope, "step error")
    if word is not None:
        emit_shell(ctx, scope, f"printf '%s\\n' {word.script or EMPTY} >&2\nexit 1", "sh", node, "step error",
                   env=word.env, named=f"error {word.script}")


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
    emit_shell(ctx, scope, f"printf '%s\\n' {shlex.quote(message)} >&2\nexit 1", "sh", node, "step throw",
               named=f"error {message}")


def write_file(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`writeFile file: f, text: t`: the file written (relative to the directory) with exactly the text."""
    path = _word(node, node.kwarg("file"), ctx, scope, "step writeFile")
    body = _word(node, node.kwarg("text") or "", ctx, scope, "step writeFile") if path is not None else None
    if path is None or body is None:
        return
    if not path.script:
        ctx.placeholder("step writeFile", node.span, "no file name", scope, key="writeFile", source=node.raw)
        return
    emit_shell(ctx, scope, f"printf '%s' {body.script or EMPTY} > {path.script}", "sh", node, "step writeFile",
               env={**path.env, **body.env})


HANDLERS: dict[str, Handler] = {
    "shell": shell, "command": command, "echo": echo, "sleep": sleep, "error": error, "throw": throw,
    "write_file": write_file, "unstable": unstable,
}

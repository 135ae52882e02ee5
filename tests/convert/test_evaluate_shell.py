"""Groovy strings used as shell scripts: static parts pasted as Groovy pastes them, run-time parts as environment
references placed for the shell's quoting, unknown parts never pasted. Each converted script is run by /bin/sh with
the environment the runtime gives the task, and its output compared with what Jenkins' Groovy + sh would print
(written by hand)."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
from jenkins2flow_runtime.expressions import Context, environment
from jenkins2flow_runtime.params import env_value

from jenkins2flow.convert.evaluate import Evaluator, Runtime, ShellText, output_ref
from jenkins2flow.ir import Expr, GString, Interp, Span

AT = Span("Jenkinsfile", 3, 9)
PARAMS = {"job": "daily load", "DEPLOY": True, "COUNT": "4"}


def scope() -> Evaluator:
    ev = Evaluator(params=set(PARAMS), path="Jenkinsfile").bind("n", 3).bind("items", ("a", "b"))
    ev = ev.bind("flag", True).bind("quote", "it's").bind("none", None)
    ev = ev.bind("v", Runtime({"op": "call", "name": "trim", "args": [output_ref("describe").tree]}))
    return ev.bind_env("OUT", GString((Interp("WORKSPACE"), "/out")), AT)


def g(*parts: str | Interp) -> GString:
    return GString(tuple(parts))


def run(text: ShellText, ev: Evaluator, stdin_env: dict[str, str] | None = None) -> str:
    """Run the script as the task would: Jenkins' variables, the bound environment, the parameters, then the
    evaluated run-time variables."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WORKSPACE": "/ws", "BUILD_NUMBER": "7",
           "HOME": "/home/builder"}
    ctx = Context(params=PARAMS, env=env, outputs={"describe": {"stdout": "v1.2\n"}})
    for name, result in ev.task_env().items():
        if isinstance(result, Runtime):
            env[name] = environment({name: result.tree}, ctx)[name]
    env.update({k: env_value(v) for k, v in PARAMS.items()})
    env.update(environment(text.env, Context(params=PARAMS, env=env, outputs=ctx.outputs)))
    env.update(stdin_env or {})
    done = subprocess.run(["/bin/sh", "-c", text.script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


CASES: list[tuple[Any, str, str]] = [
    # (the sh argument, the converted script, what sh prints under Jenkins)
    (g("echo ", Interp("n"), " ", Interp("items"), " ", Interp("flag"), " ", Interp("none")),
     "echo 3 [a, b] true null", "3 [a, b] true null\n"),
    (g("echo $HOME"), "echo $HOME", "/home/builder\n"),  # `\$HOME` in Groovy: the shell's own variable
    ("echo '${n}'", "echo '${n}'", "${n}\n"),  # a single-quoted Groovy string is not interpolated
    (g("echo \"", Interp("params.job"), "\""), 'echo "${job}"', "daily load\n"),
    (g("echo '", Interp("params.job"), "'"), "echo ''\"${job}\"''", "daily load\n"),
    (g("echo ", Interp("env.BUILD_NUMBER"), "-", Interp("WORKSPACE")), "echo ${BUILD_NUMBER}-${WORKSPACE}",
     "7-/ws\n"),
    (g("echo ", Interp("env.OUT")), "echo ${OUT}", "/ws/out\n"),
    (g("cat <<EOF\nv=", Interp("params.job"), "\nEOF\n"), "cat <<EOF\nv=${job}\nEOF\n", "v=daily load\n"),
    (g("echo ", Interp("quote")), "echo it's", None),  # pasted as Groovy pastes it: the shell sees a quote
    (g("# note ", Interp("params.job"), "\necho ok"), "# note ${job}\necho ok", "ok\n"),
]


@pytest.mark.parametrize(("value", "script", "printed"), CASES)
def test_scripts(value: Any, script: str, printed: str | None) -> None:
    ev = scope()
    text = ev.shell(value, AT)
    assert text.script == script
    assert text.ok
    if printed is not None:
        assert run(text, ev) == printed


def test_complex_run_time_values_are_bound_to_their_own_variables() -> None:
    ev = scope()
    text = ev.shell(g("echo ", Interp("v"), " ", Interp("params.COUNT.toInteger() * 60"), " ",
                      Interp("params.DEPLOY ? 'prod' : 'dev'")), AT)
    assert text.ok
    assert len(text.env) == 3 and all(name.startswith("J2F_") for name in text.env)
    assert text.script == "echo " + " ".join("${" + n + "}" for n in text.env)
    assert run(text, ev) == "v1.2 240 prod\n"


def test_concatenations_keep_their_static_text() -> None:
    ev = scope().bind("cmd", Expr('"ls " + params.job + " | wc -l"', AT))
    text = ev.shell(Expr("cmd", AT), AT)
    assert text.script == "ls ${job} | wc -l"


def test_a_whole_run_time_script_runs_as_a_script() -> None:
    ev = scope()
    text = ev.shell(Expr("params.COUNT == '4' ? 'echo a; echo b' : 'true'", AT), AT)
    assert text.script.startswith('eval "${J2F_') and text.ok
    assert run(text, ev) == "a\nb\n"


@pytest.mark.parametrize(("value", "where"), [
    (g("cat <<'EOF'\n", Interp("params.job"), "\nEOF\n"), "quoted here-document"),
    (g("printf $'", Interp("params.job"), "\\n'"), "$'...'"),
    (g("echo \\", Interp("params.job")), "after a backslash"),
    (g("echo $", Interp("params.job")), "right after '$'"),
])
def test_values_where_no_variable_can_reach_the_shell_are_unknown(value: GString, where: str) -> None:
    text = scope().shell(value, AT)
    assert not text.ok
    assert where in text.unknown[0].reason
    assert "${job}" not in text.script


def test_unknown_parts_are_never_pasted() -> None:
    text = scope().shell(g("echo '", Interp("readFile('secret.txt')"), "' && echo done"), AT)
    assert not text.ok
    assert "readFile" in text.unknown[0].reason and text.unknown[0].span == AT
    assert "readFile" not in text.script and "secret" not in text.script
    done = subprocess.run(["/bin/sh", "-c", text.script], capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "Jenkinsfile:3" in done.stderr, "run anyway, the script stops at once"
    assert "done" not in done.stdout


def test_bat_and_powershell() -> None:
    ev = scope()
    assert ev.shell(g("echo ", Interp("params.job"), " ", Interp("n")), AT, shell="bat").script == "echo %job% 3"
    text = ev.shell(g("Write-Output ", Interp("params.job")), AT, shell="powershell")
    assert not text.ok and "powershell" in text.unknown[0].reason
    assert ev.shell(g("Write-Output ", Interp("n")), AT, shell="powershell") == ShellText("Write-Output 3")


@pytest.mark.parametrize(("value", "word", "path"), [
    ("etl/daily", "etl/daily", "etl/daily"),
    ("my dir", "'my dir'", "my dir"),
    (Expr('"etl/" + params.job', AT), '"etl/${job}"', "etl/daily load"),
    (Expr('"${WORKSPACE}/$n"', AT), '"${WORKSPACE}/3"', "/ws/3"),
    (Expr("params.job.replace(' ', '_')", AT), None, "daily_load"),
])
def test_shell_words(value: Any, word: str | None, path: str) -> None:
    ev = scope()
    text = ev.shell_word(value, AT)
    assert text.ok
    if word is not None:
        assert text.script == word
    else:
        assert text.script.startswith('"${J2F_') and len(text.env) == 1
    assert run(ShellText(f"printf %s {text.script}", text.env), ev) == path


def test_shell_words_of_unknown_values_are_refused() -> None:
    text = scope().shell_word(Expr("readFile('d')", AT), AT)
    assert not text.ok and text.script == ""


def test_the_same_script_in_two_jobs_makes_one_task_document() -> None:
    """A run-time value's variable is named by the expression, not by where it is: the same step in another job
    (or on another line) uses the same task document, and each binding still says where its value comes from."""
    from jenkins2flow.convert.job import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    body = "node {{ stage('s') {{{pad}\n  sh \"echo ${{env.STAGE_NAME}} ${{params.TARGET.trim()}}\"\n}} }}\n"
    first = convert_job(parse_jenkinsfile(body.format(pad=""), "team-a/Jenkinsfile", "team-a/load"))
    second = convert_job(parse_jenkinsfile(body.format(pad="\n\n"), "team-b/ci/Jenkinsfile", "team-b/load"))
    [a], [b] = ([t for t in c.pipeline.tasks if t.uses.name.startswith("sh.")] for c in (first, second))
    assert a.uses.name == b.uses.name and [d.name for d in first.tasks] == [d.name for d in second.tasks]
    assert a.env.keys() == b.env.keys() and any(k.startswith("J2F_") for k in a.env)
    places = {str(v.get("at", "")).rsplit(":", 2)[0] for c in (a, b) for v in c.env.values() if isinstance(v, dict)}
    assert places == {"team-a/Jenkinsfile", "team-b/ci/Jenkinsfile"}

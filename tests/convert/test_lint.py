"""The no-silent-error lint: its shell reader (a table of scripts), its robustness on hostile scripts, and its
pipeline rules (at most one Jenkins fallback task, none of the draft's not-converted tasks among those that run)."""

from __future__ import annotations

import pytest
from jenkins2flow_runtime import model

from jenkins2flow.convert.context import FALLBACK_SPEC, NOT_CONVERTED_SPEC
from jenkins2flow.convert.conversion import FALLBACK_TASK, NOT_CONVERTED_TASK
from jenkins2flow.convert.jenkins_env import JENKINS_VARIABLES, SHELL_VARIABLES
from jenkins2flow.convert.lint import _Reader, lint_pipeline, shell_usage
from jenkins2flow.ir import Span

# script -> (unbound names, Groovy left), with nothing bound but the Jenkins and shell names
CASES: list[tuple[str, list[str], list[str]]] = [
    ("echo $A ${B} ${#C} ${D[0]} ${E/x/y}", ["A", "B", "C", "D", "E"], []),
    ("echo ${F:-x} ${G-x} ${H:=x} ${I:?unset} ${J:+set} $H", [], []),
    ("echo ${K:-$L} ${M:-${N}}", ["L", "N"], []),
    ("echo $1 $@ $* $# $? $$ $! $- $0 ${10} ${#} $_", [], []),
    ("echo $HOME $PATH $WORKSPACE $BUILD_NUMBER $JOB_NAME $BRANCH_NAME", [], []),
    ("X=1; Y+=2; arr[0]=3; echo $X $Y $arr", [], []),
    ("export A B=1; local C; declare -r D=2; readonly E; echo $A $B $C $D $E", [], []),
    ("read -r A B < f; mapfile -t LINES < f; printf -v P '%s' x; getopts ab OPT; echo $A $B $LINES $P $OPT", [], []),
    ("for f in a b; do echo $f; done; select s in x; do :; done; echo $s", [], []),
    ("echo $LATER; LATER=1", ["LATER"], []),
    ("echo '$SINGLE' \"$DOUBLE\" \\$ESCAPED \"\\$ESCAPED_TOO\" $'$ANSI'", ["DOUBLE"], []),
    ("echo \"it's $INSIDE\"", ["INSIDE"], []),
    ("echo $(basename $SUB) `dirname $TICK` \"$(echo \"$NESTED\")\"", ["SUB", "TICK", "NESTED"], []),
    ("echo $(( i + $J * 2 )) $((K))", ["J"], []),
    ("cat <<EOF\n$DOC ${DOC2}\nEOF\necho $AFTER", ["DOC", "DOC2", "AFTER"], []),
    ("cat <<'EOF'\n$QUOTED\nEOF\ncat <<\"E\"\n$Q2\nE\ncat <<\\E\n$Q3\nE\n", [], []),
    ("cat <<-EOF\n\t$TABBED\n\tEOF\necho $NEXT", ["TABBED", "NEXT"], []),
    ("cat <<< \"$HERE_STRING\"", ["HERE_STRING"], []),
    ("# $COMMENTED\necho a#b $REAL # $TRAILING", ["REAL"], []),
    ("sed 's/$//' f; grep \"x$\" f; echo $ alone; awk '{print $1}' f", [], []),
    ("echo ${params.X} ${env.Y} ${x.y()} ${currentBuild.result}", [],
     ["${params.X}", "${env.Y}", "${x.y()}", "${currentBuild.result}"]),
    ("echo $params.DAY $env.HOME_DIR", [], ["$params.DAY", "$env.HOME_DIR"]),
    ("echo ${ spaced }", [], ["${ spaced }"]),
    ("source ./env.sh\necho $FROM_FILE", [], []),
    (". ./env.sh; echo $FROM_FILE", [], []),
    ("find . -name x; echo $STILL", ["STILL"], []),
    ("eval \"$(ssh-agent)\"; echo $SSH_AUTH_SOCK", [], []),
]


@pytest.mark.parametrize(("script", "unbound", "groovy"), CASES, ids=[c[0][:40] for c in CASES])
def test_shell_reader(script: str, unbound: list[str], groovy: list[str]) -> None:
    usage = shell_usage(script)
    assert usage.unbound == unbound
    assert usage.groovy == groovy


def test_bound_names_are_not_findings() -> None:
    assert shell_usage("echo $DAY $OUT $MISSING", {"DAY", "OUT"}).unbound == ["MISSING"]


@pytest.mark.parametrize(("script", "unbound", "groovy"), CASES, ids=[c[0][:40] for c in CASES])
def test_a_script_read_once_answers_for_any_bound_names(script: str, unbound: list[str], groovy: list[str]) -> None:
    """shell_usage reads each script once (cached) and filters by the bound names: the same answer as a reader
    that starts with them bound, whichever they are."""
    names = sorted({n for n in unbound} | {"DAY", "X", "LATER", "HOME"})
    for i in range(len(names) + 1):
        bound = set(names[:i]) | set(names[i + 1:])  # every name but one, then all of them
        reader = _Reader(script, bound | JENKINS_VARIABLES | SHELL_VARIABLES)
        reader.command(0)
        usage = shell_usage(script, bound)
        assert (usage.unbound, usage.groovy) == (reader.out.unbound, reader.out.groovy)
    usage.unbound.append("CHANGED")  # the caller's copy: the next answer is unchanged
    assert "CHANGED" not in shell_usage(script, set()).unbound


@pytest.mark.parametrize("script", [
    "echo " + "$X" * 200_000,  # one long line
    "cat <<EOF\n" + "line $Y\n" * 50_000 + "EOF\n",
    "cat <<A <<B\n" * 2_000,  # here-documents never closed
    "$(" * 5_000 + "echo $Z",  # nesting deeper than the reader follows
    "${" * 5_000,
    "'" + "unterminated $Q" * 10_000,
    "\"" + "\\" * 100_001,
])
def test_hostile_scripts_are_read_to_the_end(script: str) -> None:
    usage = shell_usage(script)  # returns (no recursion error, no hang): what it finds is bounded by the input
    assert len(usage.unbound) <= 3 and len(usage.groovy) <= len(script)


def _pipeline(tasks: list[dict], draft: list[dict] | None = None) -> model.PipelineSpec:  # type: ignore[type-arg]
    return model.PipelineSpec.model_validate({"tasks": tasks, "draft_tasks": draft or []})


def _task(tid: str, name: str, **bindings: object) -> dict:  # type: ignore[type-arg]
    return {"id": tid, "uses": {"kind": "concrete_task", "name": name}, "bindings": bindings}


DOCS = {FALLBACK_TASK: model.make("concrete_task", FALLBACK_TASK, FALLBACK_SPEC),
        NOT_CONVERTED_TASK: model.make("concrete_task", NOT_CONVERTED_TASK, NOT_CONVERTED_SPEC),
        "sh.x": model.make("concrete_task", "sh.x", {"type": "shell", "command": "echo $MISSING $GIVEN",
                                                     "env": {"GIVEN": "1"}})}


def test_more_than_one_jenkins_fallback_and_a_running_draft_task_are_findings() -> None:
    spec = _pipeline([_task("a", FALLBACK_TASK), _task("b", FALLBACK_TASK), _task("c", NOT_CONVERTED_TASK)])
    found = lint_pipeline(spec, DOCS, {"b": Span("J", 3, 1)}, Span("J"))
    assert [(f.kind, f.task, f.span.line) for f in found] == [("fallback", "b", 3), ("fallback", "c", 1)]


def test_the_draft_is_linted_but_its_not_converted_tasks_are_expected_there() -> None:
    spec = _pipeline([_task("run", FALLBACK_TASK)], [_task("x", "sh.x"), _task("hole", NOT_CONVERTED_TASK)])
    found = lint_pipeline(spec, DOCS)
    assert [(f.kind, f.task) for f in found] == [("unbound", "x")] and "$MISSING" in found[0].message


def test_groovy_env_reads_in_run_time_values_that_nothing_sets_are_findings() -> None:
    """A Groovy `env.X` computed in the run reads null when nothing sets X: the trees of a task's env, condition and
    bindings, and of the notifications, are read like a shell script's names."""
    tree = {"op": "str", "args": [{"env": "NOPE"}, {"env": "GIVEN"}, {"bare": "BUILD_NUMBER"}, {"param": "P"}]}
    url = {"env": "JENKINS_URL", "required": "why"}
    x = {**_task("x", "sh.x"), "env": {"J2F_1": tree, "GIVEN": "1"}, "condition": {"op": "bool", "args": [url]}}
    spec = model.PipelineSpec.model_validate({
        "tasks": [x, {**_task("y", "sh.x"), "env": {"J2F_2": {"env": "STAGE_NAME"}}, "stage": "Build"}],
        "notifications": [{"on": "failure", "to": ["a@x.org"], "values": {"subject": {"env": "ALSO_NOPE"}}}]})
    found = [(f.task, f.message.split(":")[0]) for f in lint_pipeline(spec, DOCS) if "env." in f.message]
    assert found == [("x", "env.NOPE is read in Groovy but nothing sets it"), ("x", "env.JENKINS_URL may be unset"),
                     ("notification on failure", "env.ALSO_NOPE is read in Groovy but nothing sets it")]

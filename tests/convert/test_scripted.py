"""Scripted control flow: `if` gates, docker inside, literal parallel and for loops (convert/scripted.py)."""

from __future__ import annotations

from typing import Any

import pytest
from jenkins2flow_runtime.expressions import Context, ExpressionError, condition

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.context import FALLBACK_TASK, NOT_CONVERTED_TASK
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

from .helpers import work


def evaluate(tree: dict[str, Any], facts: dict[str, Any]) -> bool:
    """The gate's decision for a run whose parameters and environment are both `facts` (strings in the env)."""
    env = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in facts.items()}
    return condition(tree, Context(params=facts, env=env))


def _convert(body: str, params: str = "") -> Any:
    text = (f"properties([parameters([{params}])])\n" if params else "") + f"node {{\n{body}\n}}\n"
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/scripted"))


def _by_command(conv: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in work(conv):
        doc = next(d for d in conv.tasks if d.name == t.uses.name)
        command = doc.spec.get("command") if isinstance(doc.spec, dict) else getattr(doc.spec, "command", None)
        out[str(command or t.uses.name)] = t
    return out


def _spec(conv: Any, task: Any) -> Any:
    doc = next(d for d in conv.tasks if d.name == task.uses.name)
    return doc.spec if isinstance(doc.spec, dict) else doc.spec.model_dump()


def test_if_else_on_params_becomes_two_gates_and_a_join() -> None:
    conv = _convert("sh 'first'\nif (!params.DRY && env.BRANCH_NAME == 'main') { sh 'deploy' } else { sh 'skip' }\n"
                    "sh 'after'")
    tasks = {t.id: t for t in conv.pipeline.tasks}
    by = _by_command(conv)
    gates = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.when-gate"]
    assert len(gates) == 2
    then_gate, else_gate = gates
    assert then_gate.depends_on == else_gate.depends_on == [by["first"].id]
    assert by["deploy"].depends_on == [then_gate.id] and by["skip"].depends_on == [else_gate.id]
    assert sorted(by["after"].depends_on) == sorted([by["deploy"].id, by["skip"].id])
    assert by["after"].trigger_rule == "none_failed_min_one_success"
    assert not any(t.uses.name == FALLBACK_TASK for t in tasks.values())
    cond, other = then_gate.bindings["condition"], else_gate.bindings["condition"]
    main = {"DRY": False, "BRANCH_NAME": "main"}
    assert evaluate(cond, main) and not evaluate(other, main)
    dry = {"DRY": True, "BRANCH_NAME": "main"}
    assert not evaluate(cond, dry) and evaluate(other, dry)
    assert not evaluate(cond, {"DRY": False, "BRANCH_NAME": "dev"})


def test_if_without_else_joins_with_what_came_before() -> None:
    conv = _convert("sh 'first'\nif (params.FLAG) { sh 'flagged' }\nsh 'after'")
    by = _by_command(conv)
    gate = next(t for t in conv.pipeline.tasks if t.uses.name == "airflow.when-gate")
    assert gate.depends_on == [by["first"].id]
    assert sorted(by["after"].depends_on) == sorted([by["first"].id, by["flagged"].id])
    assert by["after"].trigger_rule == "none_failed_min_one_success"


def test_if_first_with_nothing_before_uses_none_failed() -> None:
    conv = _convert("if (params.FLAG) { sh 'flagged' }\nsh 'after'")
    by = _by_command(conv)
    assert by["after"].depends_on == [by["flagged"].id]
    assert by["after"].trigger_rule == "none_failed"


def test_bare_parameter_names_are_environment_strings_and_or_and_parentheses() -> None:
    conv = _convert("if (!(DRY_RUN || params.MODE == \"fast\")) { sh 'slow' }\nif (!params.DRY_RUN) { sh 'real' }",
                    "booleanParam(name: 'DRY_RUN', defaultValue: false), string(name: 'MODE', defaultValue: 'x')")
    slow, real = (t.bindings["condition"] for t in conv.pipeline.tasks if t.uses.name == "airflow.when-gate")
    # as in Jenkins: a bare name is the environment variable, a string ("false" is true), params.X is typed
    assert not evaluate(slow, {"DRY_RUN": False, "MODE": "slow"})
    assert evaluate(slow, {"DRY_RUN": "", "MODE": "slow"}) and not evaluate(slow, {"DRY_RUN": "", "MODE": "fast"})
    assert evaluate(real, {"DRY_RUN": False, "MODE": "x"}) and not evaluate(real, {"DRY_RUN": True, "MODE": "x"})
    assert conv.status == "converted"


def test_conditions_not_understood_fail_closed_at_their_gates_with_the_place() -> None:
    conv = _convert("if (fileExists('x.txt')) { sh 'a' }\nif (UNKNOWN_VAR) { sh 'b' }\nif (rc != 0) { sh 'c' }")
    assert not any(t.uses.name in (FALLBACK_TASK, NOT_CONVERTED_TASK) for t in conv.pipeline.tasks)
    gates = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.when-gate"]
    assert len(gates) == 3 and conv.status == "partial"  # runnable: each gate fails the run at its place
    for gate, line in zip(gates, (2, 3, 4), strict=True):
        tree = gate.bindings["condition"]
        assert tree["op"] == "fail" and tree["at"].startswith(f"Jenkinsfile:{line}:")
        with pytest.raises(ExpressionError, match=f"Jenkinsfile:{line}:"):
            condition(tree, Context(params={"UNKNOWN_VAR": True}, env={"rc": "0"}))
    assert [e.span.line for e in conv.approximations] == [2, 3, 4]


def test_else_if_chains_nest_gates() -> None:
    conv = _convert("if (params.ENV == 'prod') { sh 'p' } else if (params.ENV == 'qa') { sh 'q' } else { sh 'd' }")
    gates = [t for t in conv.pipeline.tasks if t.uses.name == "airflow.when-gate"]
    assert len(gates) == 4
    by = _by_command(conv)
    chain = {"p": by["p"], "q": by["q"], "d": by["d"]}
    assert chain["p"].depends_on == [gates[0].id]
    # the inner if's gates hang off the outer else gate: skipped outer else skips them
    assert gates[2].depends_on == [gates[1].id] and gates[3].depends_on == [gates[1].id]
    assert gates[2].trigger_rule == "all_success"


def test_docker_image_inside_runs_the_body_in_the_image() -> None:
    conv = _convert("docker.image('python:3.11').inside('-u root') { sh 'pytest' }\n"
                    "def img = docker.image('node:20')\nimg.inside { sh 'npm ci' }\n"
                    "withDockerContainer('alpine:3') { sh 'ls' }\nsh 'outside'")
    by = _by_command(conv)
    assert not any(t.uses.name == FALLBACK_TASK for t in conv.pipeline.tasks)
    for command, image in (("pytest", "python:3.11"), ("npm ci", "node:20"), ("ls", "alpine:3")):
        assert by[command].executor == "fargate"
        spec = _spec(conv, by[command])
        assert spec["type"] == "container" and spec["image"] == image
    assert by["outside"].executor == "local"


def test_docker_with_run_converts_the_body_in_place_with_a_warning() -> None:
    conv = _convert("docker.image('mysql:8').withRun('-e X=1') { c -> sh 'tests' }")
    by = _by_command(conv)
    assert by["tests"].executor == "local"
    assert any("withRun" in d.message for d in conv.diagnostics)


def test_scripted_parallel_with_literal_closures_fans_out() -> None:
    conv = _convert("sh 'first'\nparallel a: { sh 'a' }, b: { sh 'b' }\nparallel(['c': { sh 'c' }, 'd': { sh 'd' }])"
                    "\nsh 'last'")
    by = _by_command(conv)
    assert by["a"].depends_on == by["b"].depends_on == [by["first"].id]
    assert sorted(by["c"].depends_on) == sorted(by["d"].depends_on) == sorted([by["a"].id, by["b"].id])
    assert sorted(by["last"].depends_on) == sorted([by["c"].id, by["d"].id])


def test_for_over_a_static_list_unrolls_with_the_item_in_the_script() -> None:
    conv = _convert("def envs = 'qa,prod'.split(',')\nfor (x in ['a', 'b']) { sh \"echo ${x}\" }\n"
                    "for (e in envs) { sh \"deploy ${e}\" }\nfor (y in computed()) { sh 'z' }")
    tasks = work(conv)
    by = _by_command(conv)
    assert by["echo b"].depends_on == [by["echo a"].id]
    assert by["deploy qa"].depends_on == [by["echo b"].id] and by["deploy prod"].depends_on == [by["deploy qa"].id]
    assert not any(t.bindings for t in tasks if t.uses.name != NOT_CONVERTED_TASK)
    assert [t.uses.name for t in tasks][-1] == NOT_CONVERTED_TASK  # a loop over a computed value is not converted
    assert conv.status == "jenkins_only"


def test_is_unix_is_decided_at_convert_time() -> None:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.convert.rules import load_rules
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    text = "node { stage('b') { if (isUnix()) { sh 'make' } else { bat 'build.cmd' } } }\n"
    conv = convert_job(parse_jenkinsfile(text, "u.Jenkinsfile", "u"))
    assert conv.pipeline is not None
    commands = [t.spec.command for t in conv.tasks]
    assert commands == ["make"]
    outcomes = {(e.element, e.outcome) for e in conv.ledger}
    assert ("if statement", "mapped") in outcomes and ("if statement (else branch)", "waived") in outcomes
    negated = convert_job(parse_jenkinsfile(text.replace("isUnix()", "!isUnix()"), "u.Jenkinsfile", "u"))
    [placeholder] = negated.placeholders  # the else branch's bat: Linux workers cannot run it, Jenkins does
    assert placeholder.element == "step bat" and "Windows workers" in placeholder.reason
    on_windows = text.replace("node {", "node('win') {")
    rules = load_rules()
    rules.tables["agents"]["labels"] = {"win": {"queue": "windows", "shells": ["bat"]}}
    windows = convert_job(parse_jenkinsfile(on_windows, "u.Jenkinsfile", "u"), rules)
    assert [(t.spec.shell, t.spec.command) for t in windows.tasks] == [("bat", "build.cmd")]  # isUnix() is false
    assert windows.status == "converted" and windows.pipeline.tasks[0].queue == "windows"  # type: ignore[union-attr]


def test_throw_of_a_literal_message_fails_like_error_and_a_computed_one_stays_a_placeholder() -> None:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    text = """node { stage('a') {
  sh 'make'
  throw new IllegalStateException("stop: it's broken")
  throw err
} }
"""
    conv = convert_job(parse_jenkinsfile(text, "t.Jenkinsfile", "t"))
    commands = [t.spec.command for t in conv.tasks if t.spec.type == "shell"]
    assert commands == ["make", "printf '%s\\n' 'stop: it'\"'\"'s broken' >&2\nexit 1"]
    assert any(e.element == "step throw" and e.outcome == "placeholder" for e in conv.ledger)

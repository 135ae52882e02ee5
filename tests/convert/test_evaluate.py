"""The Groovy partial evaluator: a table of expressions and what each gives (Static value, Runtime tree, Unknown
reason), with the examples quoted in issue 12, then places, scopes and step outputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jenkins2flow.convert.evaluate import Evaluator, Runtime, Static, Unknown, output_ref
from jenkins2flow.ir import Expr, GString, Interp, Span, Step
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

AT = Span("Jenkinsfile", 10, 5)


def strip_at(tree: Any) -> Any:
    """A tree without its source places, to compare shapes."""
    if isinstance(tree, dict):
        return {k: strip_at(v) for k, v in tree.items() if k != "at"}
    if isinstance(tree, list):
        return [strip_at(x) for x in tree]
    return tree


def scope() -> Evaluator:
    ev = Evaluator(params={"job", "DEPLOY", "COUNT", "SEP"}, path="Jenkinsfile")
    ev = ev.bind("n", 3).bind("name", "world").bind("items", ("a", "b")).bind("nothing", None)
    ev = ev.bind("v", Runtime({"op": "call", "name": "trim", "args": [output_ref("version").tree]}))
    ev = ev.bind_env("CRED_ID", "deploy-key")
    return ev.bind_env("OUT", GString((Interp("WORKSPACE"), "/x")), AT)


STATIC: list[tuple[str, Any]] = [
    ("3*60", 180),
    ("n", 3),
    ("n * 2 + 1", 7),
    ("-n", -3),
    ("10 / 4", Decimal("2.5")),
    ("10 / 5", Decimal("2")),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("2 ** 10", 1024),
    ("1.5 + 1", Decimal("2.5")),
    ("1.50", Decimal("1.50")),
    ("(n + 1).toString()", "4"),
    ("'a' + 'b'", "ab"),
    ('"hello ${name}"', "hello world"),
    ("'a' + 1", "a1"),
    ("1 + 'a'", "1a"),
    ("'a' + null", "anull"),
    ("[1, 2] + 3", [1, 2, 3]),
    ("[a: 1] + [b: 2]", {"a": 1, "b": 2}),
    ('"${[1, 2]}"', "[1, 2]"),
    ('"${[a: 1, b: \'x\']}"', "[a:1, b:x]"),
    ('"${nothing}"', "null"),
    ('"${true} ${1.0} ${10/4}"', "true 1.0 2.5"),
    ("'  x '.trim()", "x"),
    ("'AbC'.toLowerCase()", "abc"),
    ("'AbC'.toUpperCase()", "ABC"),
    ("'a,b,,c,,'.split(',')", ["a", "b", "", "c"]),
    ("'a b  c'.split()", ["a", "b", "c"]),
    ("'a.b.c'.split('\\\\.')", ["a", "b", "c"]),
    ("'2024-01-02'.replace('-', '')", "20240102"),
    ("'v1.2.3'.replaceAll(/\\./, '_')", "v1_2_3"),
    ("'x-1'.replaceAll('-(\\\\d)', '_$1')", "x_1"),
    ("'abc'.contains('b')", True),
    ("'release-1'.startsWith('release')", True),
    ("'file.csv'.endsWith('.json')", False),
    ("' 42 '.toInteger()", 42),
    ("'Y'.toBoolean()", True),
    ("'no'.toBoolean()", False),
    ("'abcdef'.substring(1, 3)", "bc"),
    ("'abc'.size() + 'abcd'.length()", 7),
    ("['a', 'b'].join(',')", "a,b"),
    ("items.join(' ')", "a b"),
    ("items.size()", 2),
    ("items[0] + items[-1]", "ab"),
    ("items[5]", None),
    ("[a: 1].a", 1),
    ("'abc'[1]", "b"),
    ("n > 2 ? 'big' : 'small'", "big"),
    ("nothing ?: 'default'", "default"),
    ("'' ?: 'default'", "default"),
    ("'x' ?: 'default'", "x"),
    ("1 == 1.0", True),
    ("'1' == 1", False),
    ("!true", False),
    ("true && false", False),
    ("false || 'x'", True),
    ("'b' in ['a', 'b']", True),
    ("'abc' ==~ /a.c/", True),
    ("'5' as Integer", 5),
    ("5 as String", "5"),
    ("'false' as Boolean", True),  # Groovy truth of a non-empty string, not parsing
    ("Integer.parseInt('12')", 12),
    ("String.valueOf(n)", "3"),
    ("true || params.job.noSuchMethod()", True),  # short-circuit: the right side is never evaluated
    ("false && readFile('x')", False),
    ("env.CRED_ID", "deploy-key"),  # a credential id from env.X bound by environment {}
    ("env['CRED_ID'] + '-ro'", "deploy-key-ro"),
]


@pytest.mark.parametrize(("text", "expected"), STATIC)
def test_static_values(text: str, expected: Any) -> None:
    result = scope().expression(text, AT)
    assert isinstance(result, Static), result
    assert result.value == expected
    assert type(result.value) is type(expected)


TRIM_V = {"op": "call", "name": "trim", "args": [{"output": "version", "key": "stdout"}]}
RUNTIME: list[tuple[str, dict[str, Any]]] = [
    ("params.job", {"param": "job"}),
    ("params['job']", {"param": "job"}),
    ("params.get('job')", {"param": "job"}),
    ('"etl/" + params.job', {"op": "+", "args": [{"lit": "etl/"}, {"param": "job"}]}),
    ('"${WORKSPACE}/x"', {"op": "str", "args": [{"bare": "WORKSPACE"}, {"lit": "/x"}]}),
    ("env.BRANCH_NAME", {"env": "BRANCH_NAME"}),
    ("env.getProperty('GIT_COMMIT')", {"env": "GIT_COMMIT"}),
    ("env.OUT", {"op": "str", "args": [{"bare": "WORKSPACE"}, {"lit": "/x"}]}),
    ("BUILD_NUMBER", {"bare": "BUILD_NUMBER"}),
    ("DEPLOY", {"bare": "DEPLOY"}),  # a bare parameter name is its environment variable (a string) in Jenkins
    ("v", TRIM_V),
    ("v.trim()", {"op": "call", "name": "trim", "safe": False, "args": [TRIM_V]}),
    ("params.DEPLOY ? 'prod' : 'dev'",
     {"op": "?:", "args": [{"param": "DEPLOY"}, {"lit": "prod"}, {"lit": "dev"}]}),
    ("params.job ?: 'all'", {"op": "?:", "args": [{"param": "job"}, {"lit": "all"}]}),
    ("params.COUNT.toInteger() * 60",
     {"op": "*", "args": [{"op": "call", "name": "toInteger", "safe": False, "args": [{"param": "COUNT"}]},
                          {"lit": 60}]}),
    ("env.BRANCH_NAME == 'main' && params.DEPLOY",
     {"op": "and", "args": [{"op": "==", "args": [{"env": "BRANCH_NAME"}, {"lit": "main"}]}, {"param": "DEPLOY"}]}),
    ("currentBuild.number % 2 == 0",
     {"op": "==", "args": [{"op": "%", "args": [{"build": "number"}, {"lit": 2}]}, {"lit": 0}]}),
    ("params.job?.trim()", {"op": "call", "name": "trim", "safe": True, "args": [{"param": "job"}]}),
    ("[params.job, 'x']", {"list": [{"param": "job"}, {"lit": "x"}]}),
    ("params.job.split(',')[0]",
     {"op": "index", "args": [{"op": "call", "name": "split", "safe": False,
                               "args": [{"param": "job"}, {"lit": ","}]}, {"lit": 0}]}),
    ("true && params.DEPLOY", {"op": "bool", "args": [{"param": "DEPLOY"}]}),
    ("params.COUNT as Integer", {"op": "cast", "type": "Integer", "coerce": True, "args": [{"param": "COUNT"}]}),
]


@pytest.mark.parametrize(("text", "expected"), RUNTIME)
def test_runtime_trees(text: str, expected: dict[str, Any]) -> None:
    result = scope().expression(text, AT)
    assert isinstance(result, Runtime), result
    assert strip_at(result.tree) == expected


UNKNOWN: list[tuple[str, str]] = [
    ("readFile('x')", "readFile(...) is only known inside Jenkins"),
    ("foo", "'foo' is not a variable the converter knows"),
    ("foo.bar()", "'foo' is not a variable the converter knows"),
    ("1 / 3", "does not terminate"),
    ("2147483647 + 1", "32-bit Integer range"),
    ("'x'.toInteger()", "NumberFormatException"),
    ("nothing.trim()", "Cannot invoke method trim() on null object"),
    ("items.collect { it }", "a call with a closure"),
    ("new Date()", "'new' is not evaluated"),
    ("x = 1", "an assignment is not evaluated"),
    ("1.5d", "the Double '1.5d' is not evaluated"),
    ("params.job.frobnicate()", "method frobnicate() is not evaluated"),
    ("currentBuild.rawBuild", "currentBuild.rawBuild is not known outside Jenkins"),
    ("'x' * 1000000", "longer than 100000 characters"),
    ("9 ** 9 ** 9", "too large"),
    ("env", "'env' as a whole value is not evaluated"),
    ("params.job.split(params.SEP)", "must be written in the Jenkinsfile"),
    ("params.job =~ params.SEP", "must be written in the Jenkinsfile"),
    ("sh(script: 'git rev-parse HEAD', returnStdout: true)", "sh(...) is only known inside Jenkins"),
    ("1..3", "the '..' operator is not evaluated"),
    ("'abc'.substring(5)", "out of range"),
    ("(String) [1]", "String"),  # not refused: a cast to String is toString
]


@pytest.mark.parametrize(("text", "reason"), UNKNOWN[:-1])
def test_unknown_values(text: str, reason: str) -> None:
    result = scope().expression(text, AT)
    assert isinstance(result, Unknown), result
    assert reason in result.reason
    assert result.span is not None and result.span.path == "Jenkinsfile" and result.span.line == 10


def test_a_cast_to_string_is_its_groovy_text() -> None:
    assert scope().expression("(String) [1]", AT) == Static("[1]")


def test_unknown_places_point_inside_the_expression() -> None:
    ev = scope()
    result = ev.value(Expr("n +\n  readFile('x')", Span("Jenkinsfile", 7, 12)))
    assert isinstance(result, Unknown)
    assert (result.span.line, result.span.col) == (8, 3)  # type: ignore[union-attr]
    assert str(result).startswith("Jenkinsfile:8:3: ")
    tree = ev.value(Expr("'a' + params.job", Span("Jenkinsfile", 4, 20)))
    assert isinstance(tree, Runtime)
    assert tree.tree["args"][1]["at"] == "Jenkinsfile:4:26"


def test_bindings_are_immutable_and_ordered() -> None:
    base = Evaluator(path="Jenkinsfile")
    one = base.bind("x", 1)
    two = one.bind("x", Expr("x + 1", AT))  # def x = x + 1 sees the earlier x
    assert base.expression("x", AT).__class__ is Unknown
    assert one.expression("x", AT) == Static(1)
    assert two.expression("x", AT) == Static(2)


def test_environment_values_are_strings_and_shadow_the_run() -> None:
    ev = Evaluator(path="Jenkinsfile").bind_env("N", 3).bind_env("FLAG", True).bind_env("BRANCH_NAME", "main")
    assert ev.expression("env.N", AT) == Static("3")
    assert ev.expression("FLAG", AT) == Static("true")
    assert ev.expression("env.BRANCH_NAME == 'main'", AT) == Static(True)
    unknown = ev.bind_env("BAD", Expr("readFile('x')", AT))
    assert isinstance(unknown.expression("env.BAD", AT), Unknown)
    assert set(ev.task_env()) == {"N", "FLAG", "BRANCH_NAME"}


def test_known_env_names_and_parameters_as_bare_names() -> None:
    ev = Evaluator(params={"RUN_DATE"}, known_env={"JAVA_HOME"}, path="Jenkinsfile")
    assert strip_at(ev.expression("RUN_DATE", AT).tree) == {"bare": "RUN_DATE"}  # type: ignore[union-attr]
    assert strip_at(ev.expression("JAVA_HOME", AT).tree) == {"bare": "JAVA_HOME"}  # type: ignore[union-attr]
    assert isinstance(ev.expression("MAVEN_HOME", AT), Unknown)


def test_step_outputs_become_run_time_references() -> None:
    job = parse_jenkinsfile(
        "node {\n"
        "  def version = sh(script: 'git describe', returnStdout: true).trim()\n"
        "  env.STATUS = sh(returnStatus: true, script: 'test -f x')\n"
        "}\n", "Jenkinsfile")
    node_step = job.steps[0]
    assert node_step.body is not None
    define, assign = node_step.body
    value = define.kwarg("value")
    assert isinstance(value, Expr)
    ev = Evaluator(path="Jenkinsfile")
    assert isinstance(ev.value(value), Unknown), "a step's output is unknown until it is bound to a task"
    sh_call = value.calls[0]
    ev = ev.with_output(sh_call, "describe").bind("version", value)
    assert strip_at(ev.expression("version", AT).tree) == {  # type: ignore[union-attr]
        "op": "call", "name": "trim", "safe": False, "args": [{"output": "describe", "key": "stdout"}]}
    status = assign.kwarg("value")
    assert isinstance(status, Step)
    ev = ev.with_output(status, "check_file", "status").bind_env("STATUS", status)
    result = ev.expression("env.STATUS == '0'", AT)
    assert isinstance(result, Runtime) and result.outputs() == {"check_file"}
    assert ("output", "describe") in ev.expression('"v${version}"', AT).refs()  # type: ignore[union-attr]


ISSUE = """pipeline {
  agent any
  parameters { string(name: 'job', defaultValue: 'daily') }
  environment {
    OUT = "${WORKSPACE}/x"
    CREDS = 'warehouse-ro'
  }
  stages {
    stage('load') {
      steps {
        script {
          def n = 3
          retry(count: n) { sh 'make' }
          timeout(3*60) { sh 'make' }
          dir("etl/" + params.job) { sh 'ls' }
          withCredentials([usernamePassword(credentialsId: env.CREDS, usernameVariable: 'U', passwordVariable: 'P')]) {
            sh 'true'
          }
        }
      }
    }
  }
}
"""


def test_the_examples_of_issue_12() -> None:
    job = parse_jenkinsfile(ISSUE, "Jenkinsfile")
    ev = Evaluator(params={p.name for p in job.parameters}, path="Jenkinsfile")
    for var in job.environment:
        ev = ev.bind_env(var.name, var.value, var.span)
    out = ev.expression("env.OUT", AT)
    assert isinstance(out, Runtime)
    assert strip_at(out.tree) == {"op": "str", "args": [{"bare": "WORKSPACE"}, {"lit": "/x"}]}
    script = job.stages[0].steps[0].body
    assert script is not None
    define, retry, timeout, dir_step, creds = script
    ev = ev.bind(define.kwarg("name"), define.kwarg("value"), define.span)
    assert ev.value(retry.kwarg("count"), retry.span) == Static(3)
    assert ev.value(timeout.args[0], timeout.span) == Static(180)
    where = ev.value(dir_step.args[0], dir_step.span)
    assert isinstance(where, Runtime)
    assert strip_at(where.tree) == {"op": "+", "args": [{"lit": "etl/"}, {"param": "job"}]}
    assert ev.shell_word(dir_step.args[0], dir_step.span).script == '"etl/${job}"'
    binding = creds.args[0][0]
    assert isinstance(binding, Step)
    assert ev.value(binding.kwarg("credentialsId"), binding.span) == Static("warehouse-ro")


def test_parse_results_are_cached_and_errors_are_reasons() -> None:
    from jenkins2flow.convert.evaluate import parse_expression

    assert parse_expression("a + b") is parse_expression("a + b")
    assert isinstance(parse_expression("a +"), str)
    assert isinstance(scope().expression("a +", AT), Unknown)
    assert isinstance(scope().expression("if (x) { y }", AT), Unknown)

"""The run-time evaluator of expression trees: Groovy semantics against run contexts, failing closed with the
Jenkins source place, and bounded work. Expected values follow Groovy 2.4 / Java semantics (written by hand)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from jenkins2flow_runtime import groovy
from jenkins2flow_runtime.expressions import (
    Context,
    ExpressionError,
    as_text,
    check,
    condition,
    evaluate,
)


def lit(v: Any) -> dict[str, Any]:
    return {"lit": v}


def op(kind: str, *args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"op": kind, "args": list(args), **extra}


def call(method: str, target: dict[str, Any], *args: dict[str, Any]) -> dict[str, Any]:
    return op("call", target, *args, name=method)


CTX = Context(
    params={"job": "daily", "DEPLOY": True, "COUNT": 4, "EMPTY": ""},
    env={"BRANCH_NAME": "release-2", "BUILD_NUMBER": "17", "DEPLOY": "true", "WORKSPACE": "/ws"},
    outputs={"describe": {"stdout": "v1.2-3-gabc\n", "status": 0}},
    build={"currentResult": "SUCCESS", "result": None},
    causes=[{"name": "TimerTriggerCause"}],
)


@pytest.mark.parametrize(("tree", "expected"), [
    ({"param": "job"}, "daily"),
    ({"param": "NOPE"}, None),  # params.X of an undeclared parameter is null in Jenkins
    ({"env": "BRANCH_NAME"}, "release-2"),
    ({"env": "NOPE"}, None),
    ({"bare": "DEPLOY"}, "true"),
    ({"output": "describe", "key": "status"}, 0),
    (call("trim", {"output": "describe", "key": "stdout"}), "v1.2-3-gabc"),
    ({"build": "number"}, 17),
    ({"build": "displayName"}, "#17"),
    ({"build": "currentResult"}, "SUCCESS"),
    ({"build": "result"}, None),
    ({"dec": "1.50"}, Decimal("1.50")),
    ({"list": [lit(1), {"param": "job"}]}, [1, "daily"]),
    ({"map": [[lit("a"), {"param": "COUNT"}]]}, {"a": 4}),
    (op("+", lit("etl/"), {"param": "job"}), "etl/daily"),
    (op("str", {"env": "WORKSPACE"}, lit("/x/"), {"param": "COUNT"}), "/ws/x/4"),
    (op("*", {"param": "COUNT"}, lit(60)), 240),
    (op("?:", {"param": "DEPLOY"}, lit("prod"), lit("dev")), "prod"),
    (op("?:", {"param": "EMPTY"}, lit("default")), "default"),
    (op("and", {"param": "DEPLOY"}, op("==", {"env": "BRANCH_NAME"}, lit("release-2"))), True),
    (op("or", {"param": "EMPTY"}, lit(0)), False),
    (op("index", call("split", {"env": "BRANCH_NAME"}, lit("-")), lit(-1)), "2"),
    (op("prop", {"map": [[lit("k"), lit(1)]]}, name="k"), 1),
    (op("call", {"param": "NOPE"}, name="trim", safe=True), None),
    (op("cast", {"param": "COUNT"}, type="String", coerce=True), "4"),
    (op("==~", {"env": "BRANCH_NAME"}, lit("release-\\d+")), True),
    (op("=~", {"env": "BRANCH_NAME"}, lit("\\d")), True),
    (op("in", {"param": "job"}, {"list": [lit("daily"), lit("weekly")]}), True),
])
def test_values_in_a_run(tree: dict[str, Any], expected: Any) -> None:
    assert evaluate(tree, CTX) == expected
    assert type(evaluate(tree, CTX)) is type(expected)


@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (True, "true"), (False, "false"), (3, "3"), (Decimal("2.50"), "2.50"), (Decimal("1E+3"), "1E+3"),
    ("x", "x"), ([1, "a", None], "[1, a, null]"), ({}, "[:]"), ({"a": 1, "b": [2]}, "[a:1, b:[2]]"),
    ([[1, 2], {"k": "v"}], "[[1, 2], [k:v]]"),
])
def test_groovy_to_string(value: Any, text: str) -> None:
    assert groovy.to_str(value) == text


@pytest.mark.parametrize(("value", "truth"), [
    (None, False), (False, False), (0, False), (Decimal("0.0"), False), ("", False), ([], False), ({}, False),
    ("false", True), ("0", True), (-1, True), ([0], True), ({"a": None}, True),
])
def test_groovy_truth(value: Any, truth: bool) -> None:
    assert groovy.truth(value) is truth


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1, Decimal("1.0"), True), ("1", 1, False), (True, 1, False), (None, None, True), (None, "", False),
    ([1, "a"], [Decimal("1"), "a"], True), ({"a": 1}, {"a": 1}, True), ({"a": 1}, {"a": 2}, False),
])
def test_groovy_equality(a: Any, b: Any, equal: bool) -> None:
    assert groovy.equals(a, b) is equal
    assert evaluate(op("!=", {"lit": a} if not isinstance(a, list | dict | Decimal) else _node(a),
                       {"lit": b} if not isinstance(b, list | dict | Decimal) else _node(b))) is not equal


def _node(v: Any) -> dict[str, Any]:
    if isinstance(v, Decimal):
        return {"dec": str(v)}
    if isinstance(v, list):
        return {"list": [_node(x) for x in v]}
    if isinstance(v, dict):
        return {"map": [[_node(k), _node(x)] for k, x in v.items()]}
    return {"lit": v}


@pytest.mark.parametrize(("tree", "expected"), [
    (op("/", lit(10), lit(4)), Decimal("2.5")),
    (op("/", lit(6), lit(3)), Decimal("2")),
    (op("/", {"dec": "6.0"}, lit(4)), Decimal("1.5")),
    (op("%", lit(-7), lit(3)), -1),  # Java's remainder has the dividend's sign
    (op("%", lit(7), lit(-3)), 1),
    (op("intdiv", lit(-7), lit(2)), -3),
    (op("**", lit(2), lit(30)), 2**30),
    (op("-", lit("banana"), lit("an")), "bana"),
    (op("-", {"list": [lit(1), lit(2), lit(1)]}, lit(1)), [2]),
    (op("*", lit("ab"), lit(3)), "ababab"),
    (op("+", lit(None), lit("x")), "nullx"),
    (op("<=>", lit("a"), lit("b")), -1),
    (op("<", lit(None), lit(1)), True),
    (call("split", lit("a1b22c"), lit("\\d+")), ["a", "b", "c"]),
    (call("split", lit(",a,,b,,"), lit(",")), ["", "a", "", "b"]),
    (call("split", lit("abc"), lit("")), ["a", "b", "c"]),
    (call("split", lit("a,b,c"), lit(","), lit(2)), ["a", "b,c"]),
    (call("split", lit(","), lit(",")), []),
    (call("tokenize", lit(" a  b\tc ")), ["a", "b", "c"]),
    (call("tokenize", lit("a,b;;c"), lit(",;")), ["a", "b", "c"]),
    (call("readLines", lit("a\r\nb\nc\n")), ["a", "b", "c"]),
    (call("trim", lit("\u00a0x\t\n")), "\u00a0x"),  # Java's trim keeps non-ASCII spaces
    (call("toInteger", lit(" +5 ")), 5),
    (call("Integer.parseInt", lit("-12")), -12),
    (call("isInteger", lit("12a")), False),
    (call("toBoolean", lit(" TRUE ")), True),
    (call("toBoolean", lit("1")), True),
    (call("Boolean.parseBoolean", lit("yes")), False),
    (call("replaceAll", lit("a-b_c"), lit("[-_]"), lit("\\$")), "a$b$c"),
    (call("replaceAll", lit("2024-01-05"), lit("(?<y>\\d+)-(\\d+)-(\\d+)"), lit("$3/$2/${y}")), "05/01/2024"),
    (call("replaceFirst", lit("aaa"), lit("a"), lit("b")), "baa"),
    (call("replace", lit("a.b.c"), lit("."), lit("/")), "a/b/c"),
    (call("matches", lit("v12"), lit("v\\d+")), True),
    (call("padLeft", lit("7"), lit(3), lit("0")), "007"),
    (call("capitalize", lit("main")), "Main"),
    (call("take", lit("abcdef"), lit(3)), "abc"),
    (call("join", {"list": [lit(1), lit(None), lit("x")]}, lit("-")), "1-null-x"),
    (call("getAt", {"list": [lit(1), lit(2)]}, lit(-1)), 2),
    (call("first", {"list": [lit("x"), lit("y")]}), "x"),
    (call("containsKey", {"map": [[lit("k"), lit(0)]]}, lit("k")), True),
    (op("in", lit("k"), {"map": [[lit("k"), lit(0)]]}), False),  # Map.isCase: the value's truth
    (op("cast", lit("42"), type="Integer", coerce=True), 42),
    (op("cast", {"dec": "2.9"}, type="int", coerce=False), 2),
    (op("cast", lit("no"), type="Boolean", coerce=True), True),
])
def test_groovy_operations(tree: dict[str, Any], expected: Any) -> None:
    assert evaluate(tree) == expected


@pytest.mark.parametrize(("tree", "message"), [
    ({"bare": "TAG_NAME", "at": "Jenkinsfile:4:12"}, "Jenkinsfile:4:12: No such property: TAG_NAME"),
    ({"output": "build_it", "key": "stdout", "at": "Jenkinsfile:9:3"},
     "Jenkinsfile:9:3: task 'build_it' has recorded no 'stdout'"),
    (op("call", lit("x"), name="toInteger", at="Jenkinsfile:2:7"), "Jenkinsfile:2:7: For input string: 'x'"),
    (op("+", lit(1), op("/", lit(1), lit(0), at="Jenkinsfile:5:9"), at="Jenkinsfile:5:1"),
     "Jenkinsfile:5:9: division by zero"),
    (op("call", {"param": "NOPE"}, name="trim", at="Jenkinsfile:6:2"),
     "Jenkinsfile:6:2: Cannot invoke method trim() on null object"),
    (op("fail", message="not converted: when changeset", at="Jenkinsfile:11:9"),
     "Jenkinsfile:11:9: not converted: when changeset"),
    ({"op": "exec", "args": [], "at": "Jenkinsfile:1:1"}, "Jenkinsfile:1:1: unknown operator 'exec'"),
    ({"eval": "1+1", "at": "Jenkinsfile:1:2"}, "Jenkinsfile:1:2: unknown expression node"),
    (op("call", lit("x"), name="__class__", at="Jenkinsfile:1:3"), "Jenkinsfile:1:3: method '__class__'"),
    (op("prop", lit("x"), name="__class__", at="Jenkinsfile:1:4"), "Jenkinsfile:1:4: No such property"),
    (op("call", lit("x"), {"param": "job"}, lit("y"), name="replaceAll", at="Jenkinsfile:3:3"),
     "Jenkinsfile:3:3: the regular expression of replaceAll() must be written in the Jenkinsfile"),
    (op("==~", lit("x"), {"env": "P"}, at="Jenkinsfile:3:4"), "Jenkinsfile:3:4: the regular expression of '==~'"),
    (call("matches", lit("x"), lit("\\p{Alpha}")), "is not supported here"),
    (op("+", lit(2147483647), lit(1)), "32-bit Integer range"),
    (op("/", lit(1), lit(3)), "does not terminate"),
    (op("%", {"dec": "5.5"}, lit(2)), "'%' on a BigDecimal fails"),
    (op("<", lit("a"), lit(1)), "cannot compare String with Integer"),
    ({"build": "number"}, "the build number of this run is unknown"),
    (op("triggeredBy", cause="TimerTrigger", at="Jenkinsfile:8:8"), "Jenkinsfile:8:8: triggeredBy 'TimerTrigger'"),
])
def test_failures_name_the_jenkins_place(tree: dict[str, Any], message: str) -> None:
    with pytest.raises(ExpressionError) as err:
        evaluate(tree, Context(params={"job": "x"}))
    assert str(err.value).startswith(message) or message in str(err.value)


def test_conditions_fail_closed_instead_of_defaulting_to_true() -> None:
    starts = op("call", {"env": "MISSING"}, lit("rel"), name="startsWith", at="Jenkinsfile:20:14")
    tree = op("and", {"param": "DEPLOY"}, starts)
    with pytest.raises(ExpressionError, match="^Jenkinsfile:20:14: Cannot invoke method startsWith"):
        condition(tree, Context(params={"DEPLOY": True}))
    assert condition(tree, Context(params={"DEPLOY": False})) is False  # short-circuit, as Groovy


@pytest.mark.parametrize(("tree", "message"), [
    (op("*", lit("x"), lit(10**9)), "longer than 100000 characters"),
    (op("**", lit(9), op("**", lit(9), lit(9))), "too large"),
    (op("**", {"dec": "1.1"}, lit(10**6)), "too large"),
    (op("*", {"list": [lit(1)]}, lit(10**7)), "more than 10000 items"),
    (op("*", {"dec": "9" * 50}, {"dec": "9" * 50}), "more than 60 digits"),
    (call("padLeft", lit("x"), lit(10**8)), "longer than 100000 characters"),
    (call("matches", lit("a"), lit("a" * 2000)), "longer than 1000 characters"),
    (op("==~", lit("a" * 30 + "!"), lit("(a+)+$")), "repeats a repetition"),  # would backtrack for hours
    (call("split", lit("x"), lit("(?:\\s*,)*")), "repeats a repetition"),
    (op("*", {"dec": "1E+999"}, {"dec": "1E+999"}), "more than 60 digits"),
    ({"dec": "1E+99999"}, "out of range"),
    ({"dec": "NaN"}, "out of range"),
    ({"lit": 2**70}, "beyond Groovy's Long range"),
])
def test_blow_ups_are_refused(tree: dict[str, Any], message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(tree)


def test_tree_size_and_depth_are_bounded() -> None:
    deep: dict[str, Any] = lit(1)
    for _ in range(60):
        deep = op("neg", deep)
    with pytest.raises(ExpressionError, match="nested more than 48 levels"):
        check(deep)
    wide = op("str", *[lit("x")] * 200)
    with pytest.raises(ExpressionError, match="more than 4000 parts"):
        check(op("str", *[wide] * 30))
    doubling: dict[str, Any] = {"param": "s"}
    for _ in range(40):
        doubling = op("+", doubling, doubling)  # shared subtrees: 2**40 nodes as JSON, refused by count
    with pytest.raises(ExpressionError, match="more than 4000 parts"):
        evaluate(doubling, Context(params={"s": "ab"}))


def test_check_measures_the_tree_and_skips_only_known_subtrees_that_fit() -> None:
    part = op("+", {"param": "a"}, op("neg", lit(1)))  # 4 nodes, 3 levels
    assert check(part) == (4, 3)
    assert check(op("str", part, part), {id(part): (4, 3)}) == (9, 4)
    bogus = {"op": "nope"}  # a subtree said to be checked is taken at its word when it fits where it stands...
    assert check(op("str", bogus), {id(bogus): (1, 1)}) == (2, 2)
    with pytest.raises(ExpressionError, match="unknown operator"):
        check(op("str", bogus))
    deep: dict[str, Any] = lit(1)  # ...and walked when it does not, so the error is the one a whole walk raises
    for _ in range(47):
        deep = op("neg", deep)
    assert check(deep) == (48, 48)
    for known in ({}, {id(deep): (48, 48)}):
        with pytest.raises(ExpressionError, match="nested more than 48 levels"):
            check(op("not", op("not", deep)), known)
    wide = op("str", *[lit("x")] * 200)
    assert check(wide) == (201, 2)
    for known in ({}, {id(wide): (201, 2)}):
        with pytest.raises(ExpressionError, match="more than 4000 parts"):
            check(op("str", *[wide] * 20), known)
        assert check(op("str", *[wide] * 19), known) == (3820, 3)


def test_work_is_bounded_even_within_the_size_limits() -> None:
    long = call("padLeft", lit(""), lit(90_000), lit("ab"))
    tree = op("or", *[op("==", call("trim", call("trim", long)), lit("")) for _ in range(64)])  # all false
    with pytest.raises(ExpressionError, match="units of work"):
        evaluate(tree)


def test_as_text_is_the_groovy_string() -> None:
    assert as_text(op("/", lit(10), lit(4))) == "2.5"
    assert as_text({"list": [lit("a"), lit(True)]}) == "[a, true]"


@pytest.mark.parametrize(("cause", "detail", "causes", "expected"), [
    ("TimerTrigger", None, [{"name": "TimerTriggerCause"}], True),
    ("timertrigger", None, [{"name": "TimerTriggerCause"}], True),  # (?i)
    ("Trigger", None, [{"name": "TimerTriggerCause"}], False),  # a prefix match, as Jenkins' pattern is
    ("UserIdCause", None, [{"name": "UserIdCause", "user": "al"}], True),
    ("UserIdCause", "bob", [{"name": "UserIdCause", "user": "al"}], False),
    ("Upstream", None, [{"name": "TimerTriggerCause"}, {"name": "UpstreamCause"}], True),
    ("TimerTrigger", None, [], False),
])
def test_triggered_by(cause: str, detail: str | None, causes: list[dict[str, Any]], expected: bool) -> None:
    tree = op("triggeredBy", cause=cause, detail=detail)
    assert condition(tree, Context(causes=causes)) is expected


def test_a_required_env_read_fails_when_unset_never_null() -> None:
    url = {"env": "JENKINS_URL", "required": "no Jenkins known", "at": "J:3:5"}
    tree = {"op": "str", "args": [url, {"lit": "job/x"}]}
    check(tree)
    assert evaluate(tree, Context(env={"JENKINS_URL": "https://ci/"})) == "https://ci/job/x"
    with pytest.raises(ExpressionError, match="J:3:5: env.JENKINS_URL is not set in this run: no Jenkins known"):
        evaluate(tree, Context(env={}))
    assert evaluate({"op": "str", "args": [{"env": "OTHER"}]}, Context(env={})) == "null"  # plain env: Groovy's null
    with pytest.raises(ExpressionError):
        check({"env": "X", "required": True})

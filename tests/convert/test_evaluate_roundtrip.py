"""Round trip: Groovy source -> the converter's tree -> JSON (as stored in the catalog) -> the runtime's value in a
run, compared with the value Jenkins' Groovy gives for the same run (written by hand from Groovy semantics)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from jenkins2flow_runtime.expressions import Context, evaluate

from jenkins2flow.convert.evaluate import Evaluator, Runtime, output_ref
from jenkins2flow.ir import Span

AT = Span("Jenkinsfile", 5, 3)

RUN = Context(
    params={"job": "orders", "DEPLOY": False, "COUNT": "3", "TABLES": "a, b ,c", "RATE": "0.25", "REGION": ""},
    env={"BRANCH_NAME": "release/2.4", "BUILD_NUMBER": "41", "WORKSPACE": "/var/ws/etl", "JOB_NAME": "data/etl",
         "GIT_COMMIT": "0123456789abcdef", "DEPLOY": "false"},
    outputs={"describe": {"stdout": "v2.4.1-7-g0123456\n"}, "check": {"status": 1}},
    build={"number": 41, "currentResult": "SUCCESS", "result": None},
)


def scope() -> Evaluator:
    # NOT_SET: a variable the run is known to provide (an agents rule says so) that this run leaves unset
    ev = Evaluator(params=set(RUN.params), path="Jenkinsfile", known_env={"NOT_SET"}).bind("retries", 2)
    ev = ev.bind("suffix", "_v2")
    ev = ev.bind("version", Runtime({"op": "call", "name": "trim", "args": [output_ref("describe").tree]}))
    ev = ev.bind("code", output_ref("check", "status"))
    return ev.bind_env("TARGET", "warehouse")


CASES: list[tuple[str, Any]] = [
    ('"etl/" + params.job', "etl/orders"),
    ('"${WORKSPACE}/out/${params.job}${suffix}.csv"', "/var/ws/etl/out/orders_v2.csv"),
    ("params.COUNT.toInteger() * 60", 180),
    ("(params.COUNT as Integer) + retries", 5),
    ("params.DEPLOY ? 'prod' : 'dev'", "dev"),
    ("DEPLOY ? 'prod' : 'dev'", "prod"),  # the bare name is the env string "false": true in Groovy
    ("params.REGION ?: 'eu-west-1'", "eu-west-1"),
    ("env.BRANCH_NAME.startsWith('release/') && !params.DEPLOY", True),
    ("env.BRANCH_NAME.split('/')[1]", "2.4"),
    ("env.BRANCH_NAME.replaceAll('[^A-Za-z0-9]', '-')", "release-2-4"),
    ("env.BRANCH_NAME ==~ /release\\/\\d+\\.\\d+/", True),
    ("params.TABLES.split(',')*.trim()", None),  # spread: Unknown (checked below)
    ("params.TABLES.tokenize(', ')", ["a", "b", "c"]),
    ("params.TABLES.split(',').size()", 3),
    ('"${params.TABLES.split(\',\').collect()}"', None),
    ("version", "v2.4.1-7-g0123456"),
    ("version.tokenize('-')[0]", "v2.4.1"),
    ("code == 0 ? 'clean' : 'dirty'", "dirty"),
    ("env.GIT_COMMIT.take(7)", "0123456"),
    ("env.GIT_COMMIT.substring(0, 7).toUpperCase()", "0123456"),
    ('"build #${currentBuild.number} of ${env.JOB_NAME}"', "build #41 of data/etl"),
    ("BUILD_NUMBER.toInteger() % 2 == 1", True),
    ("env.TARGET + '_' + params.job", "warehouse_orders"),
    ("env.NOT_SET == null", True),
    ('"${env.NOT_SET}"', "null"),
    ("params.RATE.toBigDecimal()", None),
    ("(params.RATE as BigDecimal) * 4", Decimal("1.00")),
    ("[params.job, env.TARGET].join('.')", "orders.warehouse"),
    ("[name: params.job, n: retries].toString()", "[name:orders, n:2]"),
    ("params.job.size() > 5 ? params.job[0..2] : params.job", None),
    ("params.job.size() > 5 ? params.job.take(3) : params.job", "ord"),
    ("params.job.size() > 6 ? params.job.take(3) : params.job", "orders"),
]


@pytest.mark.parametrize(("text", "groovy_value"), CASES)
def test_round_trip(text: str, groovy_value: Any) -> None:
    result = scope().expression(text, AT)
    if groovy_value is None:
        assert not isinstance(result, Runtime), "not evaluated: flagged at conversion, never guessed"
        return
    assert isinstance(result, Runtime), result
    stored = json.loads(json.dumps(result.tree))
    value = evaluate(stored, RUN)
    assert value == groovy_value
    assert type(value) is type(groovy_value)


def test_a_stored_tree_depends_only_on_the_run() -> None:
    tree = json.loads(json.dumps(scope().expression('"etl/${params.job}/${env.BRANCH_NAME}"', AT).tree))  # type: ignore
    assert evaluate(tree, RUN) == "etl/orders/release/2.4"
    other = Context(params={"job": "users"}, env={"BRANCH_NAME": "main"})
    assert evaluate(tree, other) == "etl/users/main"

"""Declarative `when` directives: each parsed from a Jenkinsfile, mapped to a tree, and decided by the runtime
against run facts, compared with what Jenkins' pipeline-model-definition decides (written by hand from its
sources: Comparator, BranchConditional, TagConditional, ChangeRequestConditional, EnvironmentConditional,
Utils.isRunCausedBy). What is not understood fails closed, naming its place."""

from __future__ import annotations

from typing import Any

import pytest
from jenkins2flow_runtime.expressions import Context, ExpressionError, condition

from jenkins2flow.convert.evaluate import Evaluator, Runtime, Static, Unknown, gate_tree
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

TEMPLATE = """pipeline {
  agent any
  parameters { booleanParam(name: 'DEPLOY', defaultValue: false) }
  stages {
    stage('gated') {
      when {
        %s
      }
      steps { sh 'true' }
    }
  }
}
"""


def decide(directive: str, ctx: Context) -> bool:
    result = mapped(directive)
    assert not isinstance(result, Unknown), result
    return condition(gate_tree(result), ctx)


def mapped(directive: str) -> Any:
    job = parse_jenkinsfile(TEMPLATE % directive, "Jenkinsfile")
    when = job.stages[0].when
    assert when is not None
    # DEPLOY_TO, X, P: variables the run is known to provide (an agents rule or a tool says so)
    return Evaluator(params={"DEPLOY"}, path="Jenkinsfile", known_env={"DEPLOY_TO", "X", "P"}).when(when)


def env(**values: str) -> Context:
    return Context(env=values)


CASES: list[tuple[str, Context, bool]] = [
    ("branch 'main'", env(BRANCH_NAME="main"), True),
    ("branch 'main'", env(BRANCH_NAME="Main"), True),  # GLOB compares without case
    ("branch 'main'", env(BRANCH_NAME="dev"), False),
    ("branch 'main'", env(), False),
    ("branch 'main'", env(BRANCH_NAME="", GIT_LOCAL_BRANCH="main"), True),
    ("branch 'release/*'", env(BRANCH_NAME="release/1.0"), True),
    ("branch 'release/*'", env(BRANCH_NAME="release/1/hotfix"), False),  # Ant: * stays inside one segment
    ("branch 'release/**'", env(BRANCH_NAME="release/1/hotfix"), True),
    ("branch 'release/'", env(BRANCH_NAME="release/1"), False),  # a name's trailing `/` is not a file set's `/**`
    ("branch 'release/'", env(BRANCH_NAME="release"), True),
    ("branch '/release/*'", env(BRANCH_NAME="release/1"), False),  # a leading `/` is a segment of the name
    ("branch pattern: 'release-\\\\d+', comparator: 'REGEXP'", env(BRANCH_NAME="release-12"), True),
    ("branch pattern: 'release-\\\\d+', comparator: 'REGEXP'", env(BRANCH_NAME="release-12a"), False),
    ("branch pattern: 'main', comparator: 'EQUALS'", env(BRANCH_NAME="Main"), False),
    ("branch pattern: 'main', comparator: 'NOPE'", env(BRANCH_NAME="MAIN"), True),  # unknown -> GLOB
    ("buildingTag()", env(TAG_NAME="v1.0"), True),
    ("buildingTag()", env(BRANCH_NAME="main"), False),
    ("tag 'v*'", env(TAG_NAME="v1.0"), True),
    ("tag 'v*'", env(TAG_NAME="x1.0"), False),
    ("tag 'v*'", env(), False),
    ("tag pattern: 'v\\\\d+', comparator: 'REGEXP'", env(TAG_NAME="v12"), True),
    ("changeRequest()", env(CHANGE_ID="12"), True),
    ("changeRequest()", env(BRANCH_NAME="main"), False),
    ("changeRequest target: 'main'", env(CHANGE_ID="12", CHANGE_TARGET="main"), True),
    ("changeRequest target: 'main'", env(CHANGE_ID="12", CHANGE_TARGET="dev"), False),
    ("changeRequest target: 'main'", env(CHANGE_ID="12", CHANGE_TARGET="Main"), False),  # EQUALS by default
    ("changeRequest author: 'bob*', comparator: 'GLOB'", env(CHANGE_ID="3", CHANGE_AUTHOR="bobby"), True),
    ("changeRequest url: 'https://x'", env(CHANGE_ID="3"), True),  # Jenkins ignores url
    ("environment name: 'DEPLOY_TO', value: 'prod'", env(DEPLOY_TO="prod"), True),
    ("environment name: 'DEPLOY_TO', value: 'prod'", env(DEPLOY_TO="PROD"), False),
    ("environment name: 'DEPLOY_TO', value: 'prod', ignoreCase: true", env(DEPLOY_TO="PROD"), True),
    ("environment name: 'DEPLOY_TO', value: ''", env(), True),
    ("equals expected: 2, actual: currentBuild.number", Context(build={"number": 2}), True),
    ("equals expected: 2, actual: currentBuild.number", Context(env={"BUILD_NUMBER": "3"}), False),
    ("expression { return params.DEPLOY }", Context(params={"DEPLOY": True}), True),
    ("expression { return params.DEPLOY }", Context(params={"DEPLOY": False}), False),
    ("expression { DEPLOY }", Context(env={"DEPLOY": "false"}), True),  # a string "false" is true in Groovy
    ("expression { env.BRANCH_NAME ==~ /release-.*/ }", env(BRANCH_NAME="release-2"), True),
    ("expression { def b = env.BRANCH_NAME ?: 'none'\n return b.startsWith('feat') }",
     env(BRANCH_NAME="feature-x"), True),
    ("triggeredBy 'TimerTrigger'", Context(causes=[{"name": "TimerTriggerCause"}]), True),
    ("triggeredBy 'TimerTrigger'", Context(causes=[{"name": "UserIdCause", "user": "bob"}]), False),
    ("triggeredBy cause: 'UserIdCause', detail: 'bob'", Context(causes=[{"name": "UserIdCause", "user": "bob"}]),
     True),
    ("triggeredBy cause: 'UserIdCause', detail: 'bob'", Context(causes=[{"name": "UserIdCause", "user": "al"}]),
     False),
    ("not { branch 'main' }", env(BRANCH_NAME="dev"), True),
    ("allOf { branch 'main'; environment name: 'X', value: '1' }", env(BRANCH_NAME="main", X="1"), True),
    ("allOf { branch 'main'; environment name: 'X', value: '1' }", env(BRANCH_NAME="main", X="2"), False),
    ("anyOf { branch 'main'; tag 'v*' }", env(TAG_NAME="v2"), True),
    ("anyOf { branch 'main'; tag 'v*' }", env(BRANCH_NAME="dev"), False),
    ("branch 'main'\n        environment name: 'X', value: '1'", env(BRANCH_NAME="main", X="2"), False),
]


@pytest.mark.parametrize(("directive", "ctx", "expected"), CASES)
def test_directives(directive: str, ctx: Context, expected: bool) -> None:
    assert decide(directive, ctx) is expected


def test_static_conditions_are_decided_now() -> None:
    assert mapped("expression { return true }") == Static(True)
    assert mapped("allOf { expression { 1 == 1 }; expression { 'a' < 'b' } }") == Static(True)
    assert mapped("not { expression { true } }") == Static(False)
    assert isinstance(mapped("anyOf { expression { false }; branch 'main' }"), Runtime)


@pytest.mark.parametrize(("directive", "reason", "line"), [
    ("changelog '.*\\\\[skip ci\\\\].*'", "commit messages", 7),
    ("changeset '**/*.py'", "changed files", 7),
    ("isRestartedRun()", "'isRestartedRun' is not converted", 7),
    ("expression { readFile('flag') == 'on' }", "readFile(...) is only known inside Jenkins", 7),
    ("expression { echo 'x'; true }", "is not evaluated by the converter", 7),
    ("branch pattern: \"${env.P}\"", "pattern must be a string written in the Jenkinsfile", 7),
    ("branch pattern: '[', comparator: 'REGEXP'", "not supported here", 7),
    ("anyOf { branch 'main'; changeset 'x' }", "changed files", 7),
])
def test_conditions_not_understood_fail_closed(directive: str, reason: str, line: int) -> None:
    result = mapped(directive)
    assert isinstance(result, Unknown)
    assert reason in result.reason
    assert result.span is not None and result.span.line == line
    with pytest.raises(ExpressionError, match=rf"^Jenkinsfile:{line}:\d+: not converted: "):
        condition(gate_tree(result), Context(env={"BRANCH_NAME": "main"}))


def test_run_facts_that_are_missing_fail_closed() -> None:
    tree = gate_tree(mapped("triggeredBy 'TimerTrigger'"))
    with pytest.raises(ExpressionError, match=r"^Jenkinsfile:7:9: triggeredBy 'TimerTrigger': why this run"):
        condition(tree, Context(causes=None))
    tree = gate_tree(mapped("expression { BRANCH_NAME == 'main' }"))
    with pytest.raises(ExpressionError, match=r"Jenkinsfile:7:\d+: No such property: BRANCH_NAME"):
        condition(tree, Context())

# ruff: noqa: E501  (embedded Jenkinsfile text reads better unwrapped)
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jenkins2flow.ir.nodes import Closure, Expr, GString, Interp, Job, Stage, Step
from jenkins2flow.ir.to_json import job_to_dict
from jenkins2flow.parse.groovy_ir import iter_steps
from jenkins2flow.parse.groovy_parser import parse_groovy
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
ROOT = HERE.parents[1]


def parse(src: str) -> Job:
    job = parse_jenkinsfile(src, "Jenkinsfile", "folder/job")
    errors = [d for d in job.diagnostics if d.level == "error"]
    assert not errors, errors
    return job


def all_steps(job: Job) -> list[Step]:
    roots: list[Step] = [*job.steps, *job.functions]

    def from_stages(stages: tuple[Stage, ...]) -> None:
        for s in stages:
            roots.extend(s.steps)
            for p in s.post:
                roots.extend(p.steps)
            from_stages(s.stages)
            from_stages(s.parallel)

    from_stages(job.stages)
    for p in job.post:
        roots.extend(p.steps)
    return list(iter_steps(roots))


def named(job: Job, name: str) -> list[Step]:
    return [s for s in all_steps(job) if s.name == name]


def stage_names(stages: tuple[Stage, ...]) -> list[object]:
    return [
        (s.name, stage_names(s.stages)) if s.stages else (s.name, ["||", *stage_names(s.parallel)]) if s.parallel else s.name
        for s in stages
    ]


# ---- commands and arguments -------------------------------------------------------------------------------------


def test_command_expressions_and_named_args_over_lines() -> None:
    job = parse(
        "node {\n"
        "  sh 'make'\n"
        "  def out = sh script: 'git rev-parse HEAD',\n"
        "      returnStdout: true\n"
        '  echo "rev " + out\n'
        "  sh(script: '''\n  ./run.sh\n''', label: 'run')\n"
        "}\n"
    )
    (node,) = job.steps
    assert node.name == "node" and node.body is not None
    sh1, decl, echo, sh3 = node.body
    assert sh1.args == ("make",)
    assert decl.name == "def" and decl.kwarg("name") == "out"
    value = decl.kwarg("value")
    assert isinstance(value, Step) and value.name == "sh"
    assert value.kwargs == (("script", "git rev-parse HEAD"), ("returnStdout", True))
    assert isinstance(echo.args[0], Expr) and echo.args[0].text == '"rev " + out'
    assert sh3.kwarg("script") == "\n  ./run.sh\n" and sh3.kwarg("label") == "run"
    assert sh1.span.line == 2 and sh1.span.col == 3


def test_gstring_arguments_keep_references() -> None:
    job = parse('node { sh "deploy ${params.ENV} $BRANCH" }')
    (sh,) = named(job, "sh")
    assert sh.args == (GString(("deploy ", Interp("params.ENV"), " ", Interp("BRANCH"))),)


def test_wrapper_steps_keep_args_and_bodies() -> None:
    job = parse(
        "node('linux') {\n"
        "  withCredentials([usernamePassword(credentialsId: 'c', usernameVariable: 'U', passwordVariable: 'P')]) {\n"
        "    withEnv(['A=1']) { dir('sub') { retry(3) { timeout(time: 5, unit: 'MINUTES') { sh 'x' } } } }\n"
        "  }\n"
        "  stash name: 'b', includes: '**'\n"
        "  unstash 'b'\n"
        "  load 'lib.groovy'\n"
        "  build job: 'down', parameters: [string(name: 'P', value: 'v')], wait: false\n"
        "}\n"
    )
    (wc,) = named(job, "withCredentials")
    (binding,) = wc.args[0]
    assert isinstance(binding, Step) and binding.name == "usernamePassword"
    assert binding.kwarg("credentialsId") == "c" and binding.raw.startswith("usernamePassword(")
    assert named(job, "withEnv")[0].args == (("A=1",),)
    assert named(job, "dir")[0].args == ("sub",)
    assert named(job, "retry")[0].args == (3,)
    assert named(job, "timeout")[0].kwargs == (("time", 5), ("unit", "MINUTES"))
    assert named(job, "stash")[0].kwarg("includes") == "**"
    assert named(job, "load")[0].args == ("lib.groovy",)
    (build,) = named(job, "build")
    assert build.kwarg("job") == "down" and build.kwarg("wait") is False
    assert build.kwarg("parameters")[0].name == "string"
    assert named(job, "sh")[0].args == ("x",)


def test_control_flow_statements() -> None:
    job = parse(
        "def f(a, b = 1) { return a + b }\n"
        "void g(String s) { echo s }\n"
        "node {\n"
        "  if (x == 1) { sh 'a' } else if (y) { sh 'b' } else sh 'c'\n"
        "  try { sh 'd' } catch (IOException | InterruptedException e) { echo 'e' } catch (err) {} finally { sh 'f' }\n"
        "  for (item in items) { sh \"${item}\" }\n"
        "  for (int i = 0; i < 3; i++) { echo i }\n"
        "  while (n > 0) { n-- }\n"
        "  switch (kind) {\n    case 'a':\n    case 'b': sh 'ab'; break\n    default: sh 'other'\n  }\n"
        "  throw new Exception('x')\n"
        "}\n"
    )
    assert [f.kwarg("name") for f in job.functions] == ["f", "g"]
    assert job.functions[0].kwarg("params") == ("a", "b")
    assert job.functions[0].kwarg("defaults") == {"b": 1}
    body = job.steps[0].body
    assert body is not None
    assert [s.name for s in body] == ["if", "try", "for", "for", "while", "switch", "throw"]
    assert [label for label, _ in body[1].children] == [
        "try", "catch IOException | InterruptedException e", "catch err", "finally",
    ]  # fmt: skip
    assert body[2].kwarg("var") == "item"
    assert [label for label, _ in body[5].children] == ["case 'a' case 'b'", "default"]
    assert {s.args[0] for s in named(job, "sh") if isinstance(s.args[0], str)} == {"a", "b", "c", "d", "f", "ab", "other"}


def test_expressions_are_kept_as_source_text() -> None:
    job = parse(
        "def a = x?.y ?: 'z'\n"
        "def b = cond ? [k: 1, 'q': [1, 2]] : [:]\n"
        "def c = (String) foo.bar[0]\n"
        "def d = new File('x').text =~ /ab+/\n"
        "def e = items*.name.findAll { it -> it != null }\n"
        "def f = 1..<5\n"
        "def g = -3\n"
    )
    vals = {s.kwarg("name"): s.kwarg("value") for s in job.steps}
    assert vals["a"] == Expr("x?.y ?: 'z'", vals["a"].span)
    assert vals["b"].text.startswith("cond ?")
    assert vals["c"].text == "(String) foo.bar[0]"
    assert vals["d"].text == "new File('x').text =~ /ab+/"
    assert vals["e"].calls and vals["e"].calls[0].name == "closure"
    assert vals["f"].text == "1..<5"
    assert vals["g"] == -3


def test_maps_lists_and_closures_as_values() -> None:
    job = parse("def m = [a: 1, 'b c': [true, null], (k): 'v']\ndef cl = { x, y = 2 -> sh 'x' }\n")
    m = job.steps[0].kwarg("value")
    assert m == {"a": 1, "b c": (True, None), "k": "v"}
    cl = job.steps[1].kwarg("value")
    assert isinstance(cl, Closure) and cl.params == ("x", "y") and cl.body[0].name == "sh"


def test_annotations_imports_classes_and_library() -> None:
    job = parse(
        "@Library(['shared@v1', 'other']) _\n"
        "import groovy.json.JsonSlurper\n"
        "@NonCPS\n"
        "def parse(text) { new JsonSlurper().parseText(text) }\n"
        "class Foo extends Bar { def x() { } }\n"
        "library 'third@main'\n"
        "node { sh 'ok' }\n"
    )
    assert job.libraries == ("shared@v1", "other", "third@main")
    assert [s.name for s in job.steps][:3] == ["@Library", "expr", "import"]
    assert any(s.name == "class" and s.kwarg("name") == "Foo" for s in job.steps)
    assert job.functions[0].kwarg("name") == "parse"


# ---- scripted stages ---------------------------------------------------------------------------------------------


def test_scripted_stage_tree_with_nesting_and_parallel() -> None:
    job = parse(
        "def helper() { stage('In function') { sh 'h' } }\n"
        "node {\n"
        "  stage('Build') {\n"
        "    stage('Inner') { sh 'i' }\n"
        "  }\n"
        "  try {\n"
        "    stage('Test') {\n"
        "      parallel unit: { stage('U') { sh 'u' } }, lint: { sh 'l' }, failFast: true\n"
        "    }\n"
        "  } finally { if (x) { stage(\"Deploy ${env}\") { sh 'd' } } }\n"
        "  parallel(['a': { sh 'a' }])\n"
        "}\n"
    )
    assert job.flavor == "scripted"
    assert stage_names(job.stages) == [
        ("Build", ["Inner"]),
        ("Test", ["||", ("U", ["U"]) if False else ("unit", ["U"]), "lint"]),
        "Deploy ${env}",
        ("parallel", ["||", "a"]),
        "In function",
    ]
    test = job.stages[1]
    assert test.fail_fast is True
    assert test.parallel[0].steps[0].name == "stage"


def test_properties_feed_parameters_and_triggers() -> None:
    job = parse(
        "properties([\n"
        "  parameters([string(name: 'ENV', defaultValue: 'dev', description: 'd'), booleanParam(name: 'B')]),\n"
        "  pipelineTriggers([cron('H 2 * * *'), upstream(upstreamProjects: 'a, b', threshold: hudson.model.Result.SUCCESS)])\n"
        "])\n"
        "node { sh 'x' }\n"
    )
    assert [(p.name, p.type, p.default) for p in job.parameters] == [("ENV", "string", "dev"), ("B", "boolean", False)]
    assert [(t.kind, t.spec, t.upstream, t.threshold) for t in job.triggers] == [
        ("cron", "H 2 * * *", (), ""),
        ("upstream", "", ("a", "b"), "SUCCESS"),
    ]


# ---- declarative ------------------------------------------------------------------------------------------------

DECLARATIVE = """\
@Library('lib@1') _
pipeline {
  agent { docker { image 'python:3.11'; args '-v /tmp:/tmp'; reuseNode true; registryUrl 'https://r' } }
  environment {
    TOKEN = credentials('tok')
    MODE = "fast-${BUILD_ID}"
  }
  options { timeout(time: 1, unit: 'HOURS'); disableConcurrentBuilds() }
  parameters {
    string(name: 'RUN_DATE', defaultValue: '', description: 'day')
    choice(name: 'ENV', choices: ['dev', 'prod'], description: 'where')
    text(name: 'T', defaultValue: 'a\\nb')
    password(name: 'PW', defaultValue: 'x')
    gitParameter(name: 'BRANCH', type: 'PT_BRANCH')
  }
  triggers { cron('H 2 * * 1-5'); pollSCM('H/15 * * * *'); upstream(upstreamProjects: 'up', threshold: hudson.model.Result.UNSTABLE) }
  tools { maven 'M3'; jdk 'jdk17' }
  libraries { lib('other@2') }
  stages {
    stage('Build') {
      agent { label 'linux' }
      when { beforeAgent true; allOf { branch 'main'; not { changeRequest() }; expression { return params.ENV == 'prod' } } }
      steps {
        sh 'make'
        script { def v = readFile 'v'; stage('Dynamic') { echo v } }
      }
      post { failure { echo 'failed' } }
    }
    stage('Checks') {
      failFast true
      parallel {
        stage('Unit') { steps { sh 'pytest' } }
        stage('Lint') { agent { dockerfile { filename 'Dockerfile.ci'; dir 'ci'; additionalBuildArgs '--pull' } } steps { sh 'ruff' } }
      }
    }
    stage('Matrix') {
      matrix {
        axes { axis { name 'PY'; values '3.10', '3.11' } axis { name 'OS'; values 'linux', 'mac' } }
        excludes { exclude { axis { name 'PY'; values '3.10' } axis { name 'OS'; notValues 'linux' } } }
        stages { stage('Test ${PY}') { steps { sh 'tox' } } }
      }
    }
    stage('Outer') { stages { stage('A') { steps { sh 'a' } } } }
    stage('Deploy') {
      input { message 'Go?'; ok 'Yes'; submitter 'ops' }
      environment { X = '1' }
      options { retry(2) }
      tools { nodejs 'n' }
      steps { sh 'deploy' }
    }
  }
  post { always { cleanWs() } success { echo 'ok' } }
}
"""


def test_declarative_pipeline() -> None:
    job = parse(DECLARATIVE)
    assert job.flavor == "declarative" and job.full_name == "folder/job"
    assert job.libraries == ("lib@1", "other@2")
    a = job.agent
    assert a is not None and (a.kind, a.image, a.args) == ("docker", "python:3.11", "-v /tmp:/tmp")
    assert dict(a.options) == {"reuseNode": True, "registryUrl": "https://r"}
    assert [(e.name, e.credential) for e in job.environment] == [("TOKEN", "tok"), ("MODE", "")]
    assert isinstance(job.environment[1].value, GString)
    assert [o.name for o in job.options] == ["timeout", "disableConcurrentBuilds"]
    assert [(p.name, p.type) for p in job.parameters] == [
        ("RUN_DATE", "string"), ("ENV", "choice"), ("T", "text"), ("PW", "password"), ("BRANCH", "git"),
    ]  # fmt: skip
    assert job.parameters[1].choices == ("dev", "prod") and job.parameters[2].default == "a\nb"
    assert job.parameters[4].plugin == "gitParameter" and dict(job.parameters[4].extra) == {"type": "PT_BRANCH"}
    assert [(t.kind, t.spec) for t in job.triggers][:2] == [("cron", "H 2 * * 1-5"), ("pollscm", "H/15 * * * *")]
    assert job.triggers[2].upstream == ("up",) and job.triggers[2].threshold == "UNSTABLE"
    assert [(t.type, t.name) for t in job.tools] == [("maven", "M3"), ("jdk", "jdk17")]
    assert all(t.span.line > 1 and t.span.path == job.span.path for t in job.tools)  # each tool keeps its place
    build, checks, matrix, outer, deploy = job.stages
    assert build.agent is not None and (build.agent.kind, build.agent.label) == ("label", "linux")
    assert build.when is not None and build.when.before_agent
    (cond,) = build.when.conditions
    assert cond.kind == "allOf" and [c.kind for c in cond.children] == ["branch", "not", "expression"]
    assert cond.children[1].children[0].kind == "changeRequest"
    assert isinstance(cond.children[2].args[0], Closure)
    assert [s.name for s in build.steps] == ["sh", "script"]
    assert [s.name for s in build.stages] == ["Dynamic"]
    assert build.post[0].condition == "failure"
    assert checks.fail_fast and [s.name for s in checks.parallel] == ["Unit", "Lint"]
    lint_agent = checks.parallel[1].agent
    assert lint_agent is not None and lint_agent.kind == "dockerfile"
    assert dict(lint_agent.options) == {"filename": "Dockerfile.ci", "dir": "ci", "additionalBuildArgs": "--pull"}
    m = matrix.matrix
    assert m is not None and [(x.name, x.values) for x in m.axes] == [("PY", ("3.10", "3.11")), ("OS", ("linux", "mac"))]
    assert [(x.name, x.values, x.negated) for x in m.excludes[0]] == [("PY", ("3.10",), False), ("OS", ("linux",), True)]
    assert m.stages[0].name == "Test ${PY}"
    assert [s.name for s in outer.stages] == ["A"]
    assert deploy.input is not None and deploy.input.kwarg("message") == "Go?"
    assert deploy.environment[0].name == "X" and deploy.options[0].name == "retry" and [(t.type, t.name) for t in deploy.tools] == [("nodejs", "n")]
    assert [p.condition for p in job.post] == ["always", "success"]


@pytest.mark.parametrize(
    ("agent", "kind", "label", "image"),
    [
        ("agent any", "any", "", ""),
        ("agent none", "none", "", ""),
        ("agent { label 'l' }", "label", "l", ""),
        ("agent { node { label 'n'; customWorkspace 'w' } }", "node", "n", ""),
        ("agent { docker 'img:1' }", "docker", "", "img:1"),
        ("agent { dockerfile true }", "dockerfile", "", ""),
        ("agent { kubernetes { yaml '''kind: Pod'''; defaultContainer 'c' } }", "kubernetes", "", ""),
    ],
)
def test_agent_variants(agent: str, kind: str, label: str, image: str) -> None:
    job = parse(f"pipeline {{\n {agent}\n stages {{ stage('s') {{ steps {{ echo 'x' }} }} }}\n}}\n")
    assert job.agent is not None
    assert (job.agent.kind, job.agent.label, job.agent.image) == (kind, label, image)


# ---- error recovery ---------------------------------------------------------------------------------------------


def test_unparseable_statement_is_kept_and_parsing_goes_on() -> None:
    src = "node {\n  sh 'a'\n  foo bar baz ) qux\n  sh 'b'\n}\nstage('After') { sh 'c' }\n"
    job = parse_jenkinsfile(src, "J")
    errors = [d for d in job.diagnostics if d.level == "error"]
    assert len(errors) == 1 and errors[0].span.line == 3 and errors[0].message.endswith(".")
    body = job.steps[0].body
    assert body is not None and [s.name for s in body] == ["sh", "unparsed", "sh"]
    assert body[1].raw == "foo bar baz ) qux"
    assert [s.name for s in job.stages] == ["After"]


def test_huge_and_deep_inputs_give_one_diagnostic() -> None:
    big = parse_jenkinsfile("x" * 5_000_001, "big")
    assert len(big.diagnostics) == 1 and big.diagnostics[0].level == "error"
    deep = parse_jenkinsfile("f(" * 3000 + ")" * 3000, "deep")
    assert any(d.level == "error" for d in deep.diagnostics)
    braces = parse_jenkinsfile("node {" * 2000, "braces")
    assert braces.diagnostics
    for src in ("if (a) " * 800 + "b", "{[" * 500, "-" * 5000 + "x"):
        job = parse_jenkinsfile(src, "deep")
        assert job.diagnostics and not any("stopped early" in d.message for d in job.diagnostics)


def test_full_name_defaults_to_file_stem() -> None:
    assert parse_jenkinsfile("node {}", "/x/deploy.Jenkinsfile").full_name == "deploy"


def test_to_json_is_serializable_and_keeps_required_keys() -> None:
    d = job_to_dict(parse(DECLARATIVE))
    json.dumps(d)
    assert {"full_name", "kind", "parameters", "triggers", "stages", "diagnostics"} <= set(d)
    env = d["environment"][1]["value"]
    assert env == {"gstring": ["fast-", {"ref": "BUILD_ID"}], "text": "fast-${BUILD_ID}"}
    assert d["stages"][0]["steps"][0] == {"name": "sh", "span": {"path": "Jenkinsfile", "line": 24, "col": 9},
                                          "args": ["make"]}  # fmt: skip


# ---- golden files -------------------------------------------------------------------------------------------------

GOLDEN_CASES = sorted(GOLDEN.glob("*.Jenkinsfile"))


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[p.stem for p in GOLDEN_CASES])
def test_golden(case: Path) -> None:
    """`JENKINS2FLOW_UPDATE_GOLDEN=1 pytest tests/parse/test_jenkinsfile.py -k golden` rewrites the expected files."""
    job = parse_jenkinsfile(case.read_text(encoding="utf-8"), case.name, case.stem)
    got = json.dumps(job_to_dict(job), indent=2, sort_keys=False) + "\n"
    expected = case.with_name(case.stem + ".expected.json")
    if os.environ.get("JENKINS2FLOW_UPDATE_GOLDEN") == "1":
        expected.write_text(got, encoding="utf-8")
    assert expected.is_file(), f"{expected.name} is missing; run with JENKINS2FLOW_UPDATE_GOLDEN=1 to create it."
    assert got == expected.read_text(encoding="utf-8")


def test_there_are_golden_cases() -> None:
    assert len(GOLDEN_CASES) >= 8


# ---- fuzzing ----------------------------------------------------------------------------------------------------


def check_never_raises(text: str) -> None:
    job = parse_jenkinsfile(text, "fuzz")
    assert isinstance(job, Job)
    lines = text.count("\n") + 1
    for d in job.diagnostics:
        assert d.span.path == "fuzz"
        assert 1 <= d.span.line <= lines and d.span.col >= 1
    mod = parse_groovy(text)
    for e in mod.errors:
        assert 0 <= e.start <= max(e.end, 0) <= len(text)


GROOVY_ALPHABET = st.sampled_from(list("{}()[]'\"/$\\:;,.?=*-+<>!&|@#\n \tab_1") + ["'''", '"""', "${", "$/", "/$"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(GROOVY_ALPHABET, max_size=120).map("".join)))
def test_fuzz_random_text(text: str) -> None:
    check_never_raises(text)


def _snippets() -> list[str]:
    """Pieces of our own Jenkinsfiles (the golden cases and the samples) to mutate; `make corpus` fuzzes the corpus."""
    rnd = random.Random(7)
    out = []
    for f in sorted([*GOLDEN.glob("*.Jenkinsfile"), *(ROOT / "samples" / "jenkinsfiles").glob("*.Jenkinsfile")]):
        t = f.read_text(encoding="utf-8")
        start = rnd.randrange(max(1, len(t) - 1500))
        out.append(t[start : start + 1500])
    assert len(out) >= 8
    return out


SNIPPETS = _snippets()
# up to 5 edits of a snippet: (position, characters cut, text inserted)
EDITS = st.lists(st.tuples(st.integers(0, 1499), st.integers(0, 20), st.sampled_from(["", "{", "}", "'", '"', "(", "\n", "$"])),
                 max_size=5)  # fmt: skip


def check_edited_never_raises(snippet: str, edits: list[tuple[int, int, str]]) -> None:
    text = snippet
    for pos, length, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + length :]
    check_never_raises(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SNIPPETS), EDITS)
def test_fuzz_mutated_snippets(snippet: str, edits: list[tuple[int, int, str]]) -> None:
    check_edited_never_raises(snippet, edits)

"""Honest conversions (issue 12), one test per class, on the golden cases (golden/README.md): the whole-job
fallback, declarations that are no steps, the three runnable statuses, and the lint."""

from __future__ import annotations

import pytest
from jenkins2flow_runtime.fallback import NotConverted, jenkins_parameters, not_converted

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.context import FALLBACK_SPEC, NOT_CONVERTED_SPEC
from jenkins2flow.convert.conversion import FALLBACK_TASK, NOT_CONVERTED_TASK, Conversion
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

from .test_golden import CASES, case_name, convert_case


def _commands(conv: Conversion, tasks: list) -> list[str]:  # type: ignore[type-arg]
    specs = {d.name: d.spec for d in conv.tasks}
    return [getattr(specs[t.uses.name], "command", "") for t in tasks]


# ---- class 1: one task runs the whole Jenkins job; the draft is kept ------------------------------------------------


def test_two_unconvertible_elements_trigger_the_whole_job_once_with_every_parameter() -> None:
    conv = convert_case("fallback_two_steps")
    assert conv.status == "jenkins_only" and conv.pipeline is not None
    [task] = conv.pipeline.tasks
    assert task.uses.name == FALLBACK_TASK and task.depends_on == []
    assert task.bindings == {"jenkins_job": "fallback_two_steps", "jenkins_parameters": {"DAY": "DAY", "FULL": "FULL"}}
    draft = conv.pipeline.draft_tasks
    assert [t.uses.name == NOT_CONVERTED_TASK for t in draft] == [False, True, False, True, False, False, False]
    # the post failure block: its gate, its mail (a task: Jenkins fails the build when a mail cannot be sent, and
    # this one has no body, which Jenkins refuses), the end
    assert [t.uses.name for t in draft[4:]] == ["airflow.block-gate", "airflow.notify", "airflow.block-end"]
    assert _commands(conv, [draft[0], draft[2]]) == ['python extract.py --day "$DAY"', "python load.py"]
    assert [t.bindings["at"] for t in draft if t.uses.name == NOT_CONVERTED_TASK] == [
        "fallback_two_steps.Jenkinsfile:12:9", "fallback_two_steps.Jenkinsfile:18:9"]
    assert draft[1].bindings["source"].strip() == "uploadToVault(path: 'out/')"  # the excerpt, for the reviewer
    record = conv.pipeline.jenkins_fallback
    assert record is not None and record.job == "fallback_two_steps" and len(record.reasons) == 2
    assert conv.pipeline.notifications == [] and record.notifications == []
    assert draft[5].bindings["notification"]["to"] == ["data@example.com"]


def test_renamed_parameters_are_forwarded_under_their_jenkins_names() -> None:
    conv = convert_case("fallback_params_renamed")
    assert conv.pipeline is not None
    forward = conv.pipeline.tasks[0].bindings["jenkins_parameters"]
    assert forward == {"1x": "p_1x", "DRY_RUN": "DRY_RUN", "TOKEN": "TOKEN"}
    # at run time: the run's values under the Jenkins names, booleans as Jenkins forms send them, no password
    # value invented when the run gives none
    run = {"p_1x": "b", "DRY_RUN": False, "TOKEN": None, "jenkins_job": "x"}
    assert jenkins_parameters(forward, run) == {"1x": "b", "DRY_RUN": "false"}
    template = conv.templates[0].spec
    assert next(p for p in template.parameters if p.name == "TOKEN").default is None  # never copy a secret


def test_the_fallback_and_not_converted_tasks_have_one_spec_whatever_the_job() -> None:
    specs: dict[str, set[str]] = {FALLBACK_TASK: set(), NOT_CONVERTED_TASK: set()}
    for path in CASES:
        for doc in convert_case(case_name(path)).tasks:
            if doc.name in specs:
                specs[doc.name].add(doc.spec_hash)
    assert all(len(hashes) == 1 for hashes in specs.values()), specs
    conv = convert_case("fallback_in_credentials")  # the element sits inside withCredentials
    by_name = {d.name: d.spec.model_dump(exclude_defaults=True) for d in conv.tasks}
    assert by_name[NOT_CONVERTED_TASK] == NOT_CONVERTED_SPEC and by_name[FALLBACK_TASK] == FALLBACK_SPEC
    shell = next(d for d in conv.tasks if d.name.startswith("sh."))
    assert [s.env for s in shell.spec.secrets] == ["TOKEN"]  # the converted step keeps its secret


def test_a_draft_task_that_was_not_converted_fails_loudly_with_its_place_and_source() -> None:
    conv = convert_case("fallback_in_credentials")
    assert conv.pipeline is not None
    hole = next(t for t in conv.pipeline.draft_tasks if t.uses.name == NOT_CONVERTED_TASK)
    with pytest.raises(NotConverted) as err:
        not_converted(**hole.bindings)
    assert "fallback_in_credentials.Jenkinsfile:9:11: step publishToPortal was not converted" in str(err.value)
    assert "publishToPortal()" in str(err.value)


def test_a_job_kind_that_is_not_converted_runs_on_jenkins_as_one_task() -> None:
    conv = convert_case("fallback_multibranch")
    assert conv.status == "jenkins_only" and conv.pipeline is not None
    assert [t.uses.name for t in conv.pipeline.tasks] == [FALLBACK_TASK]
    assert [t.uses.name for t in conv.pipeline.draft_tasks] == [NOT_CONVERTED_TASK]


# ---- class 2: declarations are no steps -------------------------------------------------------------------------


def test_declarations_are_waived_with_reasons_and_make_no_task() -> None:
    conv = convert_case("declarations")
    assert conv.status == "converted", conv.reasons
    waived = {e.key: e.reason for e in conv.ledger if e.outcome == "waived"}
    assert {"import", "class", "@Library", "@Field", "@NonCPS", "_"} <= set(waived)
    assert all(waived.values())
    assert conv.pipeline is not None and len(conv.pipeline.tasks) == 1
    # @Field def -> def: the Groovy values are pasted into the script as Groovy does (not exported to the shell)
    assert _commands(conv, conv.pipeline.tasks) == ["python load.py --target 'warehouse' --region 'eu-west-1'"]
    assert conv.pipeline.tasks[0].bindings == {} and conv.pipeline.tasks[0].env == {}


def test_println_and_print_are_echo() -> None:
    conv = convert_case("println")
    assert conv.status == "converted" and conv.pipeline is not None
    assert _commands(conv, conv.pipeline.tasks) == ["printf '%s\\n' 'hello data team'", "printf '%s\\n' 'plain text'",
                                                    "printf '%s\\n' 'echo too'"]  # printed as written, no escapes
    assert conv.pipeline.tasks[0].env == {}
    assert {e.element for e in conv.ledger if e.outcome == "mapped"} >= {"step println", "step print"}


def test_return_ends_its_body_and_what_follows_it_never_runs() -> None:
    conv = convert_case("return_top_level")
    assert conv.status == "converted" and conv.pipeline is not None
    assert _commands(conv, conv.pipeline.tasks) == ["make", "echo after the node block"]
    [unreachable] = [e for e in conv.ledger if e.outcome == "waived"]
    assert unreachable.element == "unreachable sh" and unreachable.span.line == 6


def test_a_return_on_some_paths_only_is_not_converted() -> None:
    conv = convert_case("return_conditional")
    assert conv.status == "jenkins_only"
    [entry] = conv.placeholders
    assert entry.element == "conditional return" and (entry.span.line, entry.span.col) == (5, 5)


def test_a_returned_step_runs_where_the_function_is_called() -> None:
    conv = convert_case("return_value_step")
    assert conv.status == "converted" and conv.pipeline is not None
    assert _commands(conv, conv.pipeline.tasks) == ["make all"]


# ---- statuses ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "status"), [
    ("converted_declarative", "converted"), ("partial_combination_filter", "partial"),
    ("fallback_two_steps", "jenkins_only"), ("lint_unbound", "partial"),
])
def test_status_follows_the_ledger(case: str, status: str) -> None:
    conv = convert_case(case)
    assert conv.status == status
    if status == "converted":
        assert not conv.placeholders and not conv.approximations and not conv.lint
        assert not [d for d in conv.diagnostics if d.level == "warning"]
    if status == "partial":
        assert not conv.placeholders and (conv.approximations or conv.lint)
        assert all(":" in r and r.split(":")[1].isdigit() for r in conv.reasons)  # each with file:line:col
    if status == "jenkins_only":
        assert conv.placeholders and conv.pipeline is not None and conv.pipeline.draft_tasks


# ---- the lint --------------------------------------------------------------------------------------------------


def test_lint_finds_the_one_unbound_name_and_places_it() -> None:
    conv = convert_case("lint_unbound")
    assert [(f.kind, f.message.split()[0], str(f.span)) for f in conv.lint] == [
        ("unbound", "$NOBODY_SETS_THIS", "lint_unbound.Jenkinsfile:8:9")]
    assert any(d.code == "lint-unbound" and d.level == "warning" for d in conv.diagnostics)


def test_lint_finds_groovy_left_in_a_shell_command() -> None:
    conv = convert_case("lint_groovy")
    assert [(f.kind, f.task) for f in conv.lint] == [("groovy", "report")]
    assert "${currentBuild.result}" in conv.lint[0].message


def test_lint_finds_the_gate_that_cannot_decide_and_only_it() -> None:
    conv = convert_case("lint_gate")
    assert [(f.kind, f.task) for f in conv.lint] == [("gate", "migrate_gate")]
    assert "changeset" in conv.lint[0].message and conv.lint[0].span.line == 5


def test_lint_reads_quotes_heredocs_and_substitutions_without_false_findings() -> None:
    conv = convert_case("lint_shell_quoting")
    assert conv.lint == [] and conv.status == "converted"


def test_a_returned_expression_runs_its_calls_but_not_its_closures() -> None:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    text = "def f() { sh 'make all' }\ndef g() {\n  return f() ?: { sh 'never' }\n}\nnode { g() }\n"
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "ret"))
    assert conv.pipeline is not None and conv.status == "converted", conv.reasons
    assert _commands(conv, conv.pipeline.tasks) == ["make all"]


# ---- class 10: Jenkins' variables that only some tasks or deployments have ---------------------------------------


def test_stage_name_is_the_tasks_stage_and_jenkins_url_is_flagged() -> None:
    conv = convert_case("jenkins_stage_and_url")
    assert conv.pipeline is not None
    stages = {t.id: t.stage for t in conv.pipeline.tasks if t.uses.name.startswith("sh.")}
    assert stages == {"build": "Build", "unit": "Unit", "report": "Report",
                      "post_post_always": "Declarative: Post Actions"}
    [finding] = conv.lint  # $STAGE_NAME is bound in every task from a stage; $JENKINS_URL may be unset
    assert finding.kind == "unbound" and finding.task == "report" and "$JENKINS_URL may be unset" in finding.message
    assert str(finding.span) == "jenkins_stage_and_url.Jenkinsfile:16:15" and conv.status == "partial"
    text = "node { sh 'echo $STAGE_NAME' }\nnode { stage('s') { sh 'echo $STAGE_NAME' } }\n"
    outside = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"))
    assert [(t.stage, [f.task for f in outside.lint]) for t in outside.pipeline.tasks] == [  # type: ignore[union-attr]
        ("", ["main"]), ("s", ["main"])]  # outside any stage Jenkins leaves it unset too: flagged


def test_build_and_job_urls_are_flagged_because_airflow_sets_no_base_url_by_default() -> None:
    from jenkins2flow.convert.job import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    text = ("node { stage('s') {\n  sh 'curl -X POST $BUILD_URL/stop'\n  echo \"see ${env.JOB_URL}\"\n"
            "  sh 'echo $BUILD_NUMBER $JOB_NAME'\n} }\n")
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"))
    found = sorted((f.span.line, f.message.split(":")[0]) for f in conv.lint)
    assert found == [(2, "$BUILD_URL may be unset"), (3, "env.JOB_URL may be unset")], conv.lint
    assert all("[api] base_url" in f.message for f in conv.lint) and conv.status == "partial"


# ---- over-cautious fallbacks and a missing approximation (audit gap 9) ---------------------------------------------


def test_fail_fast_is_flagged_wherever_it_is_written() -> None:
    conv = convert_case("control_fail_fast")
    flagged = [(e.element, e.span.line) for e in conv.approximations]
    assert ("option parallelsAlwaysFailFast", 5) in flagged and ("parallel failFast", 7) in flagged
    assert ("step parallel failFast", 17) in flagged  # a scripted parallel among the steps
    assert all("aborts the other parallel branches" in e.reason for e in conv.approximations)
    assert conv.status == "partial" and {"unit", "lint"} <= {t.id for t in conv.pipeline.tasks}  # type: ignore[union-attr]


def test_an_echo_of_a_caught_error_and_a_closure_in_a_value_keep_the_job_in_airflow() -> None:
    conv = convert_case("control_catch_echo")
    assert conv.status == "partial" and not conv.placeholders
    [echo] = conv.approximations
    assert echo.element == "step echo" and "the log shows it as written" in echo.reason
    commands = _commands(conv, conv.pipeline.tasks)  # type: ignore[union-attr]
    assert "printf '%s\\n' 'build failed: ${e}'" in commands  # single-quoted: printed, never expanded
    assert not conv.lint


def test_the_steps_around_a_scripted_parallel_in_a_declarative_stage_are_converted() -> None:
    """A stage's steps holding a scripted `parallel` (or `stage`) were converted as the branches alone: the steps
    before and after them were dropped and the job said `converted`."""
    from tests.convert.helpers import own_provided

    text = """pipeline { agent any
 stages { stage('S') { steps {
   sh 'prep'
   script { parallel a: { sh 'A' }, b: { sh 'B' } }
   script { stage('inner') { sh 'inner' } }
   sh 'after'
 } } } }
"""
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"), own_provided())
    assert conv.status == "converted", conv.reasons
    tasks = {t.id: t for t in conv.pipeline.tasks}  # type: ignore[union-attr]
    assert _commands(conv, list(tasks.values())) == ["prep", "A", "B", "inner", "after"]
    assert tasks["a"].depends_on == tasks["b"].depends_on == ["s"] and tasks["inner"].depends_on == ["a", "b"]
    assert tasks["s_2"].depends_on == ["inner"]
    assert [t.stage for t in tasks.values()] == ["S", "S", "S", "inner", "S"]  # STAGE_NAME as Jenkins sets it

"""Issue 12's classes 5 (try/catch/finally, catchError, post conditions) and 8 (timeouts and retries) on their golden
cases (golden/control_*): the property each case is about, beside the golden comparison (test_golden.py)."""

from __future__ import annotations

from typing import Any

import pytest
from jenkins2flow_runtime import model

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.lint import lint_pipeline
from jenkins2flow.convert.regions import CONTROL_TASKS, REGION_TASKS

from .test_golden import CASES, case_name, convert_case

CONTROL_CASES = [case_name(p) for p in CASES if case_name(p).startswith("control_")]
# the trigger rules a task that runs a Jenkins step may have: failures always stop it (skips may not)
STEP_RULES = {"all_success", "none_failed", "none_failed_min_one_success"}


def _tasks(conv: Conversion) -> dict[str, model.PipelineTask]:
    assert conv.pipeline is not None
    return {t.id: t for t in conv.pipeline.tasks}


def _command(conv: Conversion, task: model.PipelineTask) -> str:
    spec = next(d.spec for d in conv.tasks if d.name == task.uses.name)
    return str(getattr(spec, "command", "") or task.uses.name)


def _by_command(conv: Conversion) -> dict[str, model.PipelineTask]:
    return {_command(conv, t): t for t in _tasks(conv).values()}


def _leaves(conv: Conversion) -> list[str]:
    tasks = _tasks(conv)
    return [t for t in tasks if not any(t in u.depends_on for u in tasks.values())]


def _ledger(conv: Conversion, element: str) -> list[tuple[str, str]]:
    return [(e.outcome, e.reason) for e in conv.ledger if e.element == element]


def test_there_are_enough_control_cases() -> None:
    assert len(CONTROL_CASES) >= 8


@pytest.mark.parametrize("name", CONTROL_CASES)
def test_no_trigger_rule_leaks_out_of_a_block(name: str) -> None:
    """Only the control tasks (gates, ends) wait for failures; a task that runs a step is stopped by one."""
    conv = convert_case(name)
    assert conv.pipeline is not None
    for t in conv.pipeline.tasks:
        if t.uses.name not in CONTROL_TASKS:
            assert t.trigger_rule in STEP_RULES, (t.id, t.trigger_rule)
        elif t.uses.name in REGION_TASKS:
            assert t.retries == 0 and t.deadlines == [], t.id  # never retried, never limited
    docs = {d.name: d for d in conv.tasks}
    assert lint_pipeline(conv.pipeline, docs) == []  # every task a gate or an end names is in the pipeline
    assert {t.uses.name for t in conv.pipeline.tasks} == set(docs)  # no document of a removed control task


# ---- class 5: try / catch / finally --------------------------------------------------------------------------------


def test_try_catch_the_catch_waits_for_the_body_and_the_next_stage_for_the_end() -> None:
    conv = convert_case("control_try_catch")
    by, tasks = _by_command(conv), _tasks(conv)
    gate, end = tasks["load_catch"], tasks["load_end"]
    check = by["python check.py"]
    assert gate.bindings == {"runs_on": "failure", "entry_task": "", "body_tasks": [check.id],
                             "control_label": "catch (err) at control_try_catch.Jenkinsfile:4:5"}
    assert gate.trigger_rule == "all_done" and gate.depends_on == [check.id]
    rollback = by["python rollback.py"]
    assert rollback.depends_on == [gate.id] and rollback.trigger_rule == "all_success"
    assert end.bindings["handled_by"] == "catch" and end.bindings["catch_tasks"] == [rollback.id]
    assert by["python report.py"].depends_on == [end.id] and by["python report.py"].trigger_rule == "all_success"
    assert conv.status == "converted"


def test_try_finally_after_other_steps_has_an_entry_and_fails_on() -> None:
    conv = convert_case("control_try_finally")
    by, tasks = _by_command(conv), _tasks(conv)
    entry = tasks["main_enter"]
    assert entry.depends_on == [by["make prepare"].id] and by["make test"].depends_on == [entry.id]
    gate = tasks["main_finally"]
    assert gate.bindings["runs_on"] == "always" and gate.bindings["entry_task"] == entry.id
    end = tasks["main_end"]
    assert end.bindings["handled_by"] == "none" and end.bindings["after_tasks"] == [by["make clean"].id]
    assert by["make publish"].depends_on == [end.id]


def test_nested_tries_and_branches_each_end_before_the_enclosing_catch() -> None:
    conv = convert_case("control_try_nested")
    tasks = _tasks(conv)
    ends = {t.id: t for t in tasks.values() if t.uses.name == "airflow.block-end"}
    assert len(ends) == 4  # the empty catch, two branches, the outer try
    empty = next(e for e in ends.values() if e.bindings["body_tasks"] == [_by_command(conv)["optional.sh"].id])
    assert empty.bindings["handled_by"] == "catch" and empty.bindings["catch_tasks"] == []  # swallowed
    outer_gate = next(t for t in tasks.values() if t.uses.name == "airflow.block-gate"
                      and t.bindings["body_tasks"] == ["left_end", "right_end"])
    assert outer_gate.bindings["entry_task"] == ""  # the outer try starts the build: always entered
    assert _by_command(conv)["after.sh"].depends_on == [ends["main_end_2"].id]
    assert ends["left_end"].bindings["entry_task"] == "left_enter"  # a branch's try is entered when its branch runs


def test_catch_records_the_build_result_and_rethrows() -> None:
    conv = convert_case("control_rethrow_result")
    tasks, by = _tasks(conv), _by_command(conv)
    marker = tasks["main_result"]
    assert marker.uses.name == "airflow.enter" and marker.depends_on == ["main_catch"]  # reached when the catch ran
    result = tasks["build_result"]
    assert _leaves(conv) == [result.id] and result.trigger_rule == "all_done"
    at = "currentBuild.result = FAILURE at control_rethrow_result.Jenkinsfile:8:5"
    assert result.bindings["caught_blocks"] == [{"kind": "set", "end": marker.id, "at": at}]
    rethrow = next(t for c, t in by.items() if "rethrows the error caught as err" in c)
    assert tasks["main_end_2"].bindings["catch_tasks"] == [rethrow.id]  # the catch fails: the try fails
    assert [o for o, _ in _ledger(conv, "catch (Exception e)")] == ["mapped"]  # where a failed step goes
    [(outcome, reason)] = _ledger(conv, "catch (org.jenkinsci.plugins.workflow.steps.FlowInterruptedException e)")
    assert outcome == "approximated" and reason.endswith("every failure goes to catch (Exception e)")
    assert conv.status == "partial"


def test_catch_error_goes_on_and_the_post_failure_block_sees_the_caught_failure() -> None:
    conv = convert_case("control_catch_error")
    tasks, by = _tasks(conv), _by_command(conv)
    assert tasks["lint_end"].bindings["handled_by"] == "all"
    failure_gate = tasks["post_post_failure_gate"]
    # only the catchError whose build result is FAILURE counts (buildResult: 'SUCCESS' and warnError do not)
    assert [c["end"] for c in failure_gate.bindings["caught_blocks"]] == ["test_end"]
    assert "test_end" in failure_gate.depends_on
    assert by["make report"].depends_on == ["test_end_2"]
    assert _leaves(conv) == ["build_result"]
    assert [o for o, _ in _ledger(conv, "step warnError")] == ["approximated"]
    assert [o for o, _ in _ledger(conv, "step catchError")] == ["mapped", "mapped"]


def test_stage_post_blocks_ask_whether_the_stage_ran() -> None:
    conv = convert_case("control_post_when")
    tasks = _tasks(conv)
    for cond in ("always", "failure"):
        assert tasks[f"deploy_post_{cond}_gate"].bindings["entry_task"] == "deploy_gate"  # the when gate
    for cond in ("unsuccessful", "cleanup"):
        assert tasks[f"verify_post_{cond}_gate"].bindings["entry_task"] == "verify_enter"
    assert tasks["verify_enter"].trigger_rule == "none_failed"  # after a stage `when` may skip
    assert set(tasks["verify_post_cleanup_gate"].depends_on) == {"verify", "verify_post_unsuccessful"}
    assert tasks["post_post_always_gate"].bindings["entry_task"] == ""  # the pipeline's post always runs
    assert _leaves(conv) == ["post_end"]


# ---- class 8: timeouts and retries ---------------------------------------------------------------------------------


def test_pipeline_and_stage_timeouts() -> None:
    conv = convert_case("control_timeouts")
    assert conv.pipeline is not None and conv.pipeline.dagrun_timeout_seconds == 7200
    tasks, by = _tasks(conv), _by_command(conv)
    extract = model.Deadline(clock="extract_timeout", seconds=1800, what="stage", label="stage 'Extract'")
    assert by["extract.sh"].deadlines == by["stage.sh"].deadlines == [extract]
    assert tasks["extract_timeout"].uses.name == "airflow.enter" and tasks["extract_timeout"].depends_on == []
    # the input waits inside the stage's limit, as in Jenkins
    assert [d.seconds for d in tasks["approve_input"].deadlines] == [86400]
    quick = by["quick.sh"]
    assert quick.timeout_seconds == 90 and quick.deadlines == [] and "quick_timeout" not in tasks
    assert all(t.timeout_seconds in (None, 90) for t in tasks.values())  # not the pipeline's limit on each task
    assert conv.status == "converted"


def test_timeout_blocks_one_task_many_tasks_and_retries() -> None:
    conv = convert_case("control_timeout_steps")
    by = _by_command(conv)
    assert by["one.sh"].timeout_seconds == 300 and by["one.sh"].deadlines == []
    assert [d.seconds for d in by["a.sh"].deadlines] == [d.seconds for d in by["b.sh"].deadlines] == [2]  # 1500 ms
    flaky = by["flaky.sh"]  # retried inside the limit: the attempts share it
    assert flaky.retries == 2 and [d.seconds for d in flaky.deadlines] == [600]
    each = by["each-try.sh"]  # the limit inside the retry: each attempt has all of it
    assert each.retries == 1 and each.timeout_seconds == 180 and each.deadlines == []
    quiet = by["quiet.sh"]
    assert quiet.timeout_seconds is None and quiet.deadlines == []
    assert [o for o, r in _ledger(conv, "step timeout") if "activity" in r] == ["approximated"]


def test_retries_are_faithful_for_one_task_only() -> None:
    conv = convert_case("control_retries")
    by = _by_command(conv)
    assert by["download.sh"].retries == 2 and by["login.sh"].retries == by["push.sh"].retries == 2
    assert by["remote.sh"].retries == 1 and by["idempotent.sh"].retries == 3
    outcomes = {(e.element, e.span.line): e.outcome for e in conv.ledger if e.key == "retry"}
    assert outcomes == {("step retry", 6): "mapped", ("step retry", 7): "approximated",
                        ("step retry", 8): "approximated", ("option retry", 10): "mapped",
                        ("option retry", 4): "approximated"}


@pytest.mark.parametrize(("name", "limit", "status"), [
    ("control_build_timeout", 2700, "converted"), ("control_build_timeout_noactivity", None, "partial")])
def test_build_timeout_wrapper_is_the_runs_limit(name: str, limit: Any, status: str) -> None:
    conv = convert_case(name)
    assert conv.pipeline is not None and conv.pipeline.dagrun_timeout_seconds == limit
    assert all(t.timeout_seconds is None for t in conv.pipeline.tasks)
    assert conv.status == status


def test_naginator_reschedules_of_a_one_task_build_are_its_retries() -> None:
    conv = convert_case("control_build_timeout")
    [task] = _tasks(conv).values()
    assert task.retries == 2
    [(outcome, reason)] = _ledger(conv, "publisher com.chikli.hudson.plugin.naginator.NaginatorPublisher")
    assert outcome == "mapped" and reason == "3 attempts -> 2 retries of its one task"

"""Jenkins post `changed` / `fixed` / `regression` as run-time gates: the pure condition, the gate against a task
instance that answers like Airflow's task SDK, and one real dag.test() run of a converted-style pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from catalog_samples import publish_all, ref
from jenkins2flow_runtime import model
from jenkins2flow_runtime.fallback import post_condition_holds, post_gate

T0 = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(("current", "previous", "changed", "fixed", "regression"), [
    ("success", None, True, False, False),  # Jenkins: no previous completed build
    ("failed", None, True, False, False),
    ("success", "success", False, False, False),
    ("failed", "failed", False, False, False),
    ("success", "failed", True, True, False),
    ("failed", "success", True, False, True),
])
def test_conditions_follow_jenkins(current: str, previous: str | None, changed: bool, fixed: bool,
                                   regression: bool) -> None:
    assert post_condition_holds("changed", current, previous) is changed
    assert post_condition_holds("fixed", current, previous) is fixed
    assert post_condition_holds("regression", current, previous) is regression


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown post condition 'unstable'"):
        post_condition_holds("unstable", "success", None)


class FakeTI:
    """Answers get_task_states / get_previous_dagrun the way RuntimeTaskInstance does (same shapes)."""

    dag_id = "etl"

    def __init__(self, runs: dict[str, tuple[str, dict[str, str]]], current: str) -> None:
        self.runs = runs  # run_id -> (dag run state, task states); logical dates follow insertion order
        self.current = current
        self.dates = {rid: T0 + timedelta(days=i) for i, rid in enumerate(runs)}

    def get_task_states(self, dag_id: str, task_ids: list[str] | None = None,
                        run_ids: list[str] | None = None) -> dict[str, Any]:
        assert dag_id == "etl"
        return {rid: {t: s for t, s in self.runs[rid][1].items() if not task_ids or t in task_ids}
                for rid in run_ids or []}

    def get_previous_dagrun(self, state: str | None = None) -> Any:
        from airflow.utils.state import DagRunState

        before = [rid for rid in self.runs if self.dates[rid] < self.dates[self.current]
                  and (state is None or self.runs[rid][0] == state)]
        if not before:
            return None
        rid = max(before, key=self.dates.__getitem__)
        return SimpleNamespace(run_id=rid, logical_date=self.dates[rid], state=DagRunState(self.runs[rid][0]))


def _context(ti: FakeTI) -> dict[str, Any]:
    return {"ti": ti, "dag_run": SimpleNamespace(run_id=ti.current), "task": SimpleNamespace(upstream_task_ids={"b"})}


def _holds(condition: str, ti: FakeTI) -> bool:
    from airflow.sdk.exceptions import AirflowSkipException

    try:
        post_gate(condition, ["a", "b"], context=_context(ti))
    except AirflowSkipException:
        return False
    return True


def test_gate_compares_body_outcomes_with_the_previous_completed_run() -> None:
    ok, bad = {"a": "success", "b": "success"}, {"a": "failed", "b": "upstream_failed"}
    runs = {"r1": ("failed", bad), "r2": ("success", ok)}
    ti = FakeTI(runs, "r2")
    assert (_holds("fixed", ti), _holds("changed", ti), _holds("regression", ti)) == (True, True, False)
    runs["r3"] = ("running", bad)
    ti = FakeTI(runs, "r3")
    assert (_holds("fixed", ti), _holds("changed", ti), _holds("regression", ti)) == (False, True, True)


def test_a_running_previous_run_is_not_the_previous_completed_one() -> None:
    ok = {"a": "success", "b": "success"}
    ti = FakeTI({"r1": ("success", ok), "r2": ("running", {"a": "running"}), "r3": ("running", ok)}, "r3")
    assert not _holds("changed", ti)  # r1 (completed, success) is the reference, not the running r2


def test_previous_run_without_the_body_tasks_is_judged_by_its_state() -> None:
    ti = FakeTI({"old": ("failed", {"renamed": "failed"}), "now": ("running", {"a": "success", "b": "success"})},
                "now")
    assert _holds("fixed", ti)


def test_first_run_is_changed_but_neither_fixed_nor_regression() -> None:
    ti = FakeTI({"only": ("running", {"a": "failed"})}, "only")
    assert (_holds("changed", ti), _holds("fixed", ti), _holds("regression", ti)) == (True, False, False)


@pytest.mark.airflow
@pytest.mark.slow
def test_gates_in_a_real_run(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """One dag.test(): the gates ask the real task SDK for states and the previous run (none: first run)."""
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    gate = {"type": "python", "callable": "jenkins2flow_runtime.fallback:post_gate"}
    tasks: list[dict[str, Any]] = [{"id": "build", "uses": ref("concrete_task", "echo")}]
    for cond in ("changed", "fixed", "regression"):
        tasks += [{"id": f"{cond}_gate", "uses": ref("concrete_task", "post-gate"), "depends_on": ["build"],
                   "trigger_rule": "all_done", "bindings": {"post_condition": cond, "body_tasks": ["build"]}},
                  {"id": f"{cond}_step", "uses": ref("concrete_task", "echo"), "depends_on": [f"{cond}_gate"]}]
    publish_all(store, [model.make("concrete_task", "echo", {"type": "shell", "command": "echo ok"}),
                        model.make("concrete_task", "post-gate", gate),
                        model.make("pipeline", "gated", {"tasks": tasks})])
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    run = bag.dags["gated"].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states == {"build": "success", "changed_gate": "success", "changed_step": "success",
                      "fixed_gate": "skipped", "fixed_step": "skipped",
                      "regression_gate": "skipped", "regression_step": "skipped"}

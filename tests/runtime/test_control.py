"""The control tasks around Jenkins blocks (jenkins2flow_runtime.control) against a task instance that answers like
Airflow's task SDK, and the budget of a task in a timeout group (ConcreteTaskOperator.within_limits)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from jenkins2flow_runtime import control
from jenkins2flow_runtime.control import RegionFailed, block_gate, build_result, region_end


class FakeTI:
    """get_task_states as RuntimeTaskInstance answers it: {run_id: {task_id or task_id_<map index>: state}}."""

    dag_id = "etl"

    def __init__(self, states: dict[str, Any]) -> None:
        self.states = states  # task id -> state, or a list of states (one per map index) for a mapped task
        self.asked: list[dict[str, Any]] = []

    def get_task_states(self, dag_id: str, task_ids: list[str] | None = None, map_index: int | None = None,
                        run_ids: list[str] | None = None) -> dict[str, Any]:
        self.asked.append({"task_ids": task_ids, "map_index": map_index})
        out: dict[str, Any] = {}
        for tid in task_ids or []:
            found = self.states.get(tid)
            if isinstance(found, list) and map_index is None:
                out.update({f"{tid}_{i}": s for i, s in enumerate(found)})
            elif found is not None and not isinstance(found, list):
                out[tid] = found
        return {"run": out}


def _ctx(states: dict[str, Any]) -> dict[str, Any]:
    mapped = {t for t, s in states.items() if isinstance(s, list)}
    dag = SimpleNamespace(task_dict={t: SimpleNamespace(is_mapped=t in mapped) for t in states})
    return {"ti": FakeTI(states), "dag_run": SimpleNamespace(run_id="run"), "dag": dag}


def _runs(fn: Any, **kwargs: Any) -> str:
    from airflow.sdk.exceptions import AirflowSkipException

    try:
        fn(**kwargs)
    except AirflowSkipException:
        return "skipped"
    except RegionFailed:
        return "failed"
    return "success"


def test_mapped_and_plain_tasks_are_asked_apart() -> None:
    ctx = _ctx({"cells": ["success", "failed"], "cells_1": "success", "plain": "skipped"})
    states = control.task_states(ctx, ["cells", "cells_1", "plain"])
    # "cells_1" is a task of its own and map index 1 of "cells": asking them apart keeps both right
    assert states == {"cells": ["success", "failed"], "cells_1": ["success"], "plain": ["skipped"]}
    assert [a["map_index"] for a in ctx["ti"].asked] == [-1, None]


@pytest.mark.parametrize(("entry", "expected"), [
    ("success", "yes"), ("skipped", "skipped"), ("upstream_failed", "failed"), ("failed", "failed"),
])
def test_entry_state_says_whether_jenkins_entered_the_block(entry: str, expected: str) -> None:
    assert control.entered({"in": [entry]}, "in") == expected
    assert control.entered({}, "") == "yes"  # nothing ran before the block


@pytest.mark.parametrize(("runs_on", "body", "expected"), [
    ("failure", "failed", "success"), ("failure", "upstream_failed", "success"), ("failure", "success", "skipped"),
    ("failure", "skipped", "skipped"),  # a body skipped by its own when/if gate did not fail
    ("success", "success", "success"), ("success", "failed", "skipped"),
    ("always", "failed", "success"), ("always", "success", "success"),
])
def test_gate_runs_its_block_on_the_body_outcome(runs_on: str, body: str, expected: str) -> None:
    ctx = _ctx({"in": "success", "a": "success", "b": body})
    assert _runs(block_gate, runs_on=runs_on, entry_task="in", body_tasks=["a", "b"], context=ctx) == expected


@pytest.mark.parametrize("entry", ["skipped", "upstream_failed"])
def test_gate_never_runs_a_block_jenkins_never_reached(entry: str) -> None:
    ctx = _ctx({"in": entry, "b": "upstream_failed" if entry != "skipped" else "skipped"})
    for runs_on in ("failure", "always"):
        assert _runs(block_gate, runs_on=runs_on, entry_task="in", body_tasks=["b"], context=ctx) == "skipped"


def test_post_gate_counts_a_caught_failure_as_the_build_failing() -> None:
    caught = [{"kind": "caught", "end": "ce", "body": ["c"], "at": "catchError at Jenkinsfile:3:5"}]
    ctx = _ctx({"ce": "success", "c": "failed", "b": "success"})
    assert _runs(block_gate, runs_on="failure", body_tasks=["b"], caught_blocks=caught, context=ctx) == "success"
    assert _runs(block_gate, runs_on="success", body_tasks=["b"], caught_blocks=caught, context=ctx) == "skipped"
    set_ = [{"kind": "set", "end": "mark"}]
    assert _runs(block_gate, runs_on="failure", body_tasks=["b"], caught_blocks=set_,
                 context=_ctx({"mark": "skipped", "b": "success"})) == "skipped"  # the assignment was not reached
    assert _runs(block_gate, runs_on="failure", body_tasks=["b"], caught_blocks=set_,
                 context=_ctx({"mark": "success", "b": "success"})) == "success"


@pytest.mark.parametrize(("states", "handled_by", "expected"), [
    ({"b": "failed", "c": "success"}, "catch", "success"),  # handled by the catch
    ({"b": "failed", "c": "failed"}, "catch", "failed"),  # the catch failed (or rethrew)
    ({"b": "success", "c": "skipped"}, "catch", "success"),  # nothing to catch
    ({"b": "failed", "c": "skipped"}, "none", "failed"),  # try/finally: the failure goes on after finally
    ({"b": "failed"}, "all", "success"),  # catchError swallows it
    ({"b": "skipped"}, "none", "success"),  # skipped by an if/when inside: not a failure
])
def test_region_end_fails_where_jenkins_would(states: dict[str, str], handled_by: str, expected: str) -> None:
    ctx = _ctx({"in": "success", "f": "success", **states})
    catch = ["c"] if "c" in states else []
    assert _runs(region_end, entry_task="in", body_tasks=["b"], handled_by=handled_by, catch_tasks=catch,
                 after_tasks=["f"], context=ctx) == expected


def test_region_end_fails_when_finally_failed_and_passes_on_skips_and_earlier_failures() -> None:
    ok_body = {"in": "success", "b": "success"}
    assert _runs(region_end, entry_task="in", body_tasks=["b"], after_tasks=["f"],
                 context=_ctx({**ok_body, "f": "failed"})) == "failed"
    skipped = {"in": "skipped", "b": "skipped", "f": "skipped"}
    assert _runs(region_end, entry_task="in", body_tasks=["b"], handled_by="catch", after_tasks=["f"],
                 context=_ctx(skipped)) == "skipped"
    before_failed = {"in": "upstream_failed", "b": "upstream_failed", "c": "skipped"}
    with pytest.raises(RegionFailed, match="not entered: a step before it failed"):
        region_end(entry_task="in", body_tasks=["b"], handled_by="catch", catch_tasks=["c"],
                   context=_ctx(before_failed))
    with pytest.raises(ValueError, match="handled_by='maybe'"):
        region_end(handled_by="maybe", context=_ctx({}))


def test_build_result_fails_after_a_caught_failure_or_a_failed_end() -> None:
    caught = [{"kind": "caught", "end": "ce", "body": ["c"], "at": "step catchError at Jenkinsfile:4:9"}]
    with pytest.raises(RegionFailed, match="catchError caught a failure .*Jenkinsfile:4:9"):
        build_result(caught_blocks=caught, last_tasks=["z"], context=_ctx({"ce": "success", "c": "failed",
                                                                           "z": "success"}))
    assert _runs(build_result, caught_blocks=caught, last_tasks=["z"],
                 context=_ctx({"ce": "success", "c": "success", "z": "success"})) == "success"
    assert _runs(build_result, caught_blocks=caught, last_tasks=["z"],
                 context=_ctx({"ce": "success", "c": "success", "z": "upstream_failed"})) == "failed"


def _operator(**limits: Any) -> Any:
    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator

    return ConcreteTaskOperator.create(task_id="t", pipeline="p", spec={"type": "shell", "command": "true"},
                                       declared=[], **limits)


class _Clock:
    def __init__(self, started: float | None) -> None:
        self.started = started

    def xcom_pull(self, task_ids: str, map_indexes: int) -> Any:
        assert map_indexes == -1
        return None if self.started is None else {"started": self.started}


def test_a_task_gets_what_is_left_of_its_group_limit() -> None:
    from jenkins2flow_runtime.airflow.operators import DeadlineExceeded

    group = [{"clock": "c", "seconds": 10, "what": "stage", "label": "stage 'Load'"}]
    now = time.time()
    op = _operator(deadlines=group, limit_seconds=30)
    seconds, why, shared = op.budget({"ti": _Clock(now - 4)}, now=now)
    assert seconds == pytest.approx(6) and shared and why == "stage timeout of 10 s exceeded (stage 'Load')"
    seconds, why, shared = _operator(deadlines=group, limit_seconds=3).budget({"ti": _Clock(now - 4)}, now=now)
    assert seconds == 3 and not shared and why == "task timeout of 3 s exceeded"  # its own limit ends first
    with pytest.raises(DeadlineExceeded, match=r"stage timeout of 10 s exceeded \(stage 'Load'\) before task 't'"):
        with op.within_limits({"ti": _Clock(time.time() - 11)}):
            pass
    with op.within_limits({"ti": _Clock(None)}) as allowed:  # no clock in this run: its own limit only
        assert allowed == 30


def test_the_group_limit_stops_a_running_task() -> None:
    from jenkins2flow_runtime.airflow.operators import DeadlineExceeded

    op = _operator(deadlines=[{"clock": "c", "seconds": 1, "what": "block", "label": "timeout at Jenkinsfile:2:3"}])
    started = time.time()
    with pytest.raises(DeadlineExceeded, match=r"block timeout of 1 s exceeded \(timeout at Jenkinsfile:2:3\)"):
        with op.within_limits({"ti": _Clock(started - 0.5)}):
            time.sleep(3)
    assert time.time() - started < 2

"""The runtime side of Groovy values, piece by piece (the whole is run in test_groovy_values_dagtest.py): the pipeline
task's env trees and their layering (Jenkins' variables < parameters < environment{} < secrets), recorded outputs
(stdout kept apart from stderr, status pushed, a failing status not failing the task), outputs read back per matrix
cell, the `when` gate (true / false / fails closed with the place), build parameters and notification fields
computed in the run, python tasks in the Jenkins environment, and the model's checks of the new fields."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jenkins2flow_runtime import model
from jenkins2flow_runtime.executors.process import stream_process
from jenkins2flow_runtime.fallback import GateError, run_values, when_gate
from jenkins2flow_runtime.jenkins_env import recorded_outputs
from jenkins2flow_runtime.model.errors import ModelError
from jenkins2flow_runtime.notify import computed

LABEL = {"op": "str", "args": [{"lit": "env-"}, {"bare": "TARGET"}], "at": "Jenkinsfile:9:5"}


class TI:
    """The XCom and state answers of a task instance (the shapes of Airflow's RuntimeTaskInstance)."""

    def __init__(self, xcoms: dict[tuple[str, str], Any] | None = None, map_index: int = -1) -> None:
        self.xcoms = xcoms or {}
        self.map_index = map_index
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, key: str, map_indexes: int | None = None) -> Any:
        value = self.xcoms.get((task_ids, key))
        return value[map_indexes] if isinstance(value, list) and map_indexes is not None else value

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def get_task_states(self, dag_id: str, run_ids: list[str]) -> dict[str, Any]:
        return {run_ids[0]: {}}


def _context(ti: TI, conf: dict[str, Any] | None = None) -> dict[str, Any]:
    run = SimpleNamespace(dag_id="etl", run_id="r1", conf=conf or {}, run_type="manual", triggering_user_name="ann")
    return {"dag_run": run, "ti": ti}


def _operator(**extra: Any) -> Any:
    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator

    spec = {"type": "shell", "command": "true", "env": {"STAGE": "doc"}}
    return ConcreteTaskOperator.create(task_id="t", pipeline="etl", spec=spec, declared=[], **extra)


# ---- the task's environment ----------------------------------------------------------------------------------------


@pytest.mark.airflow
def test_environment_beats_parameters_and_secrets_beat_it(tmp_path: Path) -> None:
    op = _operator(task_env={"LABEL": LABEL, "MODE": "env-wins", "TOKEN": "plain", "STAGE": "task"})
    env = op._job_env({"TARGET": "prod", "MODE": "param", "LABEL": "param"}, {"TOKEN": "s3cret"}, "r1",
                      jenkins={"BUILD_NUMBER": "7", "MODE": "jenkins"})
    assert env["LABEL"] == "env-prod"  # a tree over the parameters (as strings), then over the parameter LABEL
    assert env["MODE"] == "env-wins" and env["STAGE"] == "task"  # environment {} beats the parameter (Jenkins)
    assert env["TOKEN"] == "s3cret" and env["BUILD_NUMBER"] == "7"
    assert env["WORKSPACE"].endswith("r1")


@pytest.mark.airflow
def test_a_value_the_run_cannot_compute_fails_the_task_with_its_place() -> None:
    from jenkins2flow_runtime.airflow.operators import TaskFailed

    op = _operator(task_env={"V": {"op": "call", "name": "trim", "args": [{"output": "get", "key": "stdout"}],
                                   "at": "Jenkinsfile:4:11"}})
    with pytest.raises(TaskFailed, match=r"Jenkinsfile:4:11: task 'get' has recorded no 'stdout'"):
        op._job_env({}, {}, "r1", context=_context(TI()))
    env = op._job_env({}, {}, "r1", context=_context(TI({("get", "stdout"): "  v1.2\n"})))
    assert env["V"] == "v1.2"


@pytest.mark.airflow
def test_python_tasks_run_in_the_jenkins_environment(tmp_path: Path) -> None:
    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator

    op = ConcreteTaskOperator.create(task_id="p", pipeline="etl", spec={"type": "python", "callable": "os:getenv"},
                                     declared=[])
    job_env = {"BUILD_NUMBER": "12", "JOB_NAME": "data/etl", "WORKSPACE": str(tmp_path)}
    assert op._python({"key": "JOB_NAME"}, job_env, tmp_path) == "data/etl"
    assert op._python({"key": "BUILD_NUMBER"}, job_env, tmp_path) == "12"
    assert "JOB_NAME" not in os.environ or os.environ["JOB_NAME"] != "data/etl"  # restored after the call


# ---- outputs -------------------------------------------------------------------------------------------------------


def test_captured_stdout_is_whole_and_apart_from_stderr(tmp_path: Path) -> None:
    lines: list[str] = []
    ran = stream_process(["/bin/sh", "-c", "printf '  a\\nb  '; echo oops >&2; exit 3"], cwd=tmp_path, env={},
                         log=lines.append, capture=True)
    assert (ran.code, ran.stdout) == (3, "  a\nb  ") and lines == ["oops"]
    plain = stream_process(["/bin/sh", "-c", "echo out; echo err >&2"], cwd=tmp_path, env={}, log=lines.append)
    assert plain.stdout is None and lines[-2:] == ["out", "err"]


@pytest.mark.airflow
def test_recorded_outputs_are_pushed_and_a_recorded_status_does_not_fail() -> None:
    from jenkins2flow_runtime.airflow.operators import TaskFailed
    from jenkins2flow_runtime.executors.process import Ran

    ti = TI()
    stdout = _operator(record=("stdout",))
    assert stdout._recorded({"ti": ti}, Ran(0, "x\n"), TaskFailed("no"), {"ok": 1}) == {"ok": 1}
    assert ti.pushed == {"stdout": "x\n"}
    with pytest.raises(TaskFailed):
        stdout._recorded({"ti": ti}, Ran(2, ""), TaskFailed("exit 2"), {})
    status = _operator(record=("status",))
    assert status._recorded({"ti": ti}, Ran(3, None), TaskFailed("no"), {"ok": 3}) == {"ok": 3}
    assert ti.pushed["status"] == 3


def test_outputs_read_back_per_matrix_cell() -> None:
    xcoms = {("get", "stdout"): "one", ("cells", "stdout"): ["linux\n", "mac\n"]}
    assert recorded_outputs(_context(TI(xcoms)), {("get", "stdout"), ("missing", "status")}) == \
        {"get": {"stdout": "one"}}
    assert recorded_outputs(_context(TI(xcoms, map_index=1)), {("cells", "stdout")}) == {"cells": {"stdout": "mac\n"}}
    assert recorded_outputs(_context(TI(xcoms)), {("cells", "stdout")}) == {}  # a matrix's value outside it


# ---- gates and python callables ------------------------------------------------------------------------------------


def test_the_when_gate_runs_skips_or_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    monkeypatch.setenv("BRANCH_NAME", "main")
    branch = {"op": "branch", "pattern": "main", "comparator": "GLOB", "at": "Jenkinsfile:5:7"}
    assert when_gate(branch, "Deploy", context=_context(TI()))["run"] is True
    mode = {"op": "==", "args": [{"param": "MODE"}, {"lit": "full"}], "at": "Jenkinsfile:6:7"}
    with pytest.raises(AirflowSkipException, match="'Deploy': the condition is false"):
        when_gate(mode, "Deploy", context=_context(TI()), MODE="quick")
    fail = {"op": "fail", "message": "not converted: when changeset", "at": "Jenkinsfile:9:5"}
    with pytest.raises(GateError, match="stage 'Deploy': the condition cannot be decided in this run: "
                                        "Jenkinsfile:9:5: not converted: when changeset"):
        when_gate(fail, "Deploy", context=_context(TI()))
    with pytest.raises(GateError, match="converted by an earlier jenkins2flow"):  # never true by default either
        when_gate(None, "Old", context=_context(TI()), conditions=[{"kind": "branch", "args": ["main"]}])
    status = {"op": "==", "args": [{"output": "probe", "key": "status"}, {"lit": 0}], "at": "Jenkinsfile:3:5"}
    assert when_gate(status, "if", context=_context(TI({("probe", "status"): 0})))["run"] is True
    with pytest.raises(GateError, match="Jenkinsfile:3:5: task 'probe' has recorded no 'status'"):
        when_gate(status, "if", context=_context(TI()))


def test_build_parameters_computed_in_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILD_NUMBER", "41")
    trees = {"VERSION": {"op": "str", "args": [{"param": "MAJOR"}, {"lit": "."}, {"bare": "BUILD_NUMBER"}]},
             "RATE": {"op": "*", "args": [{"dec": "1.5"}, {"lit": 2}]}, "FULL": {"op": "bool", "args": [{"lit": "x"}]}}
    assert run_values(trees, {"MAJOR": 3}, _context(TI()), "build job 'load'") == \
        {"VERSION": "3.41", "RATE": "3.0", "FULL": True}
    with pytest.raises(GateError, match="build job 'load': V cannot be computed in this run: No such property: NOPE"):
        run_values({"V": {"bare": "NOPE"}}, {}, _context(TI()), "build job 'load'")
    assert Decimal("3.0") == Decimal(run_values({"R": trees["RATE"]}, {}, _context(TI()), "x")["R"])


def test_notification_fields_computed_when_sent() -> None:
    from jenkins2flow_runtime.expressions import Context

    n = model.Notification(on="failure", to=["${env.TEAM}"], subject="${env.JOB_NAME} failed", body="static",
                           values={"to": {"op": "str", "args": [{"env": "TEAM"}]},
                                   "subject": {"op": "str", "args": [{"bare": "JOB_NAME"}, {"lit": " #"},
                                                                    {"build": "number"}, {"lit": " "},
                                                                    {"build": "currentResult"}]}})
    sent = computed(n, Context(env={"TEAM": "a@x.org, b@x.org", "JOB_NAME": "data/etl"},
                               build={"number": 7, "currentResult": "FAILURE"}))
    assert sent.to == ["a@x.org", "b@x.org"] and sent.subject == "data/etl #7 FAILURE" and sent.body == "static"
    kept = computed(n, Context(env={}))
    assert kept.to == ["null"]  # env.TEAM unset is null, as Groovy interpolates it
    assert kept.subject == "${env.JOB_NAME} failed"  # a bare unset name fails: the Jenkins text is sent


# ---- the model -----------------------------------------------------------------------------------------------------


def _pipeline(**task: Any) -> dict[str, Any]:
    return {"tasks": [{"id": "t", "uses": {"kind": "concrete_task", "name": "x"}, **task}]}


def test_the_model_checks_env_outputs_and_conditions() -> None:
    ok = model.make("pipeline", "p", _pipeline(env={"A": "text", "B": LABEL}, outputs=["stdout"],
                                               condition={"op": "not", "args": [{"lit": False}]}))
    assert ok.spec.tasks[0].env["B"] == LABEL  # type: ignore[union-attr]
    bad = [(_pipeline(env={"A": {"op": "exec"}}), "tasks[0].env.A: not a valid expression tree: unknown operator"),
           (_pipeline(env={"1A": "x"}), "tasks[0].env.1A: environment variable name '1A' is not valid"),
           (_pipeline(outputs=["stdout", "stdout"]), "tasks[0].outputs: outputs ['stdout', 'stdout'] name a key"),
           ({"tasks": [{"id": "v", "uses": {"kind": "view_task", "name": "x"}, "outputs": ["status"]}]},
            "tasks[0].outputs: a view_task cannot have outputs"),
           (_pipeline(condition={"op": "fail"}), "tasks[0].condition: not a valid expression tree: a fail node")]
    for spec, message in bad:
        with pytest.raises(ModelError, match=re.escape(f"spec.{message}")):
            model.make("pipeline", "p", spec)
    assert model.make("pipeline", "p", _pipeline()).spec_hash == model.make("pipeline", "p", _pipeline(
        env={}, outputs=[], condition=None)).spec_hash  # the new fields leave existing specs' hashes alone

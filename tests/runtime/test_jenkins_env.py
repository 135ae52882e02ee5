"""Jenkins' own variables at run time: the pure rules (names, BUILD_TAG, URLs, SCM facts from the run conf, causes,
the build-number counter), then two real dag.test() runs whose shell task prints what it sees."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from catalog_samples import publish_all, ref
from jenkins2flow_runtime import model
from jenkins2flow_runtime.jenkins_env import (
    KEEP_RUNS,
    BuildNumbers,
    causes,
    checkout_variables,
    conf_build_number,
    jenkins_url,
    jenkins_variables,
    run_context,
    scm_variables,
)
from jenkins2flow_runtime.workspace import run_workspace


def test_jenkins_variables() -> None:
    env = jenkins_variables(job="data/etl orders", build_number=12, workspace="/ws/x", dag_id="etl_orders",
                            run_id="manual__2024-05-01T10:00:00+00:00", node="worker-3")
    assert env == {
        "BUILD_NUMBER": "12", "BUILD_ID": "12", "BUILD_DISPLAY_NAME": "#12", "BUILD_TAG": "jenkins-data-etl orders-12",
        "JOB_NAME": "data/etl orders", "JOB_BASE_NAME": "etl orders", "JOB_DISPLAY_NAME": "etl orders",
        "WORKSPACE": "/ws/x", "WORKSPACE_TMP": "/ws/x@tmp", "NODE_NAME": "worker-3", "NODE_LABELS": "worker-3",
        "EXECUTOR_NUMBER": "0",
    }
    with_urls = jenkins_variables(job="etl", build_number=1, workspace="/w", dag_id="etl",
                                  run_id="manual__2024-05-01T10:00:00+00:00", base_url="https://airflow.example.com/")
    assert with_urls["JOB_URL"] == "https://airflow.example.com/dags/etl"
    assert with_urls["BUILD_URL"] == "https://airflow.example.com/dags/etl/runs/manual__2024-05-01T10%3A00%3A00%2B00%3A00"
    assert jenkins_variables(job="etl", build_number=1, workspace="/w", dag_id="etl", run_id="r")["NODE_NAME"]
    assert "STAGE_NAME" not in env and "JENKINS_URL" not in env  # outside a stage, no Jenkins known: unset
    staged = jenkins_variables(job="etl", build_number=1, workspace="/w", dag_id="etl", run_id="r", stage="Load",
                               jenkins_url="https://ci.example.com/jenkins")
    assert staged["STAGE_NAME"] == "Load" and staged["JENKINS_URL"] == "https://ci.example.com/jenkins/"


def test_jenkins_url_is_the_one_the_runtime_knows_or_none() -> None:
    assert jenkins_url({}) == "" and jenkins_url({"HOME": "/root"}) == ""
    assert jenkins_url({"JENKINS_URL": "https://ci/", "JENKINS2FLOW_JENKINS_CONN": "nope"}) == "https://ci/"
    assert jenkins_url({"JENKINS2FLOW_JENKINS_CONN": "j2f_no_such_connection"}) == ""  # unreadable: unset


def test_scm_facts_come_from_the_run_conf_then_the_environment() -> None:
    conf = {"BRANCH_NAME": "release/1", "CHANGE_ID": 42, "BRANCH_IS_PRIMARY": True, "GIT_COMMIT": ["not", "a", "str"],
            "PATH": "/evil", "job": "x"}
    environ = {"GIT_COMMIT": "abc123", "BRANCH_NAME": "ignored", "TAG_NAME": "", "HOME": "/root"}
    assert scm_variables(conf, environ) == {"BRANCH_NAME": "release/1", "CHANGE_ID": "42", "BRANCH_IS_PRIMARY": "true",
                                            "GIT_COMMIT": "abc123"}
    assert scm_variables(None, {}) == {}


def test_git_facts_come_from_the_checkout_in_the_workspace(tmp_path: Path) -> None:
    import subprocess

    ws = tmp_path / "ws"
    ws.mkdir()
    assert checkout_variables(str(ws)) == {}  # no checkout: nothing is made up
    git = ["git", "-C", str(ws), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["config", "remote.origin.url", "https://git.example.com/etl.git"],
                 ["commit", "-q", "--allow-empty", "-m", "one"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    assert checkout_variables(str(ws)) == {"GIT_COMMIT": head, "GIT_BRANCH": "origin/main",
                                           "GIT_URL": "https://git.example.com/etl.git"}
    subprocess.run([*git, "checkout", "-q", "--detach"], check=True, capture_output=True)  # as `checkout -f FETCH_HEAD`
    assert checkout_variables(str(ws)) == {"GIT_COMMIT": head, "GIT_URL": "https://git.example.com/etl.git"}


@pytest.mark.parametrize(("run_type", "user", "conf", "expected"), [
    ("scheduled", None, None, [{"name": "TimerTriggerCause"}]),
    ("manual", "alice", None, [{"name": "UserIdCause", "user": "alice"}]),
    ("manual", None, None, []),
    ("asset_triggered", None, None, [{"name": "UpstreamCause"}]),
    ("backfill", None, None, []),
    ("manual", "alice", {"JENKINS2FLOW_CAUSES": ["GitHubPushCause"]}, [{"name": "GitHubPushCause"}]),
])
def test_causes(run_type: str, user: str | None, conf: dict[str, Any] | None, expected: list[dict[str, Any]]) -> None:
    assert causes(run_type, user, conf) == expected


class Store:
    """The Variable behind BuildNumbers; `race` runs once, just after the first save (another writer)."""

    def __init__(self, text: str | None = None) -> None:
        self.text = text
        self.saves = 0
        self.race: Any = None

    def load(self) -> str | None:
        return self.text

    def save(self, text: str) -> None:
        self.text = text
        self.saves += 1
        if self.race is not None:
            race, self.race = self.race, None
            race()


def test_build_numbers_increase_and_stay_per_run() -> None:
    store = Store()
    numbers = BuildNumbers(store.load, store.save)
    assert [numbers.number(r) for r in ("r1", "r2", "r1", "r3", "r2")] == [1, 2, 1, 3, 2]
    assert store.saves == 3, "a run asks again: no write"
    assert json.loads(store.text or "")["last"] == 3


def test_build_numbers_continue_from_a_seed_and_survive_garbage() -> None:
    store = Store('{"last": 1234}')
    assert BuildNumbers(store.load, store.save).number("first_on_airflow") == 1235
    broken = Store("not json")
    assert BuildNumbers(broken.load, broken.save).number("r") == 1


def test_a_lost_update_is_noticed_and_retried() -> None:
    store = Store()
    numbers = BuildNumbers(store.load, store.save)
    other = BuildNumbers(store.load, lambda text: setattr(store, "text", text))
    # Another run read the same state and writes just after us: our entry is lost, we must not keep number 1.
    store.race = lambda: setattr(store, "text", json.dumps({"last": 1, "runs": {"other": 1}}))
    assert numbers.number("mine") == 2
    assert other.number("other") == 1
    assert json.loads(store.text or "")["runs"] == {"other": 1, "mine": 2}


def test_the_counter_keeps_the_latest_runs() -> None:
    store = Store()
    numbers = BuildNumbers(store.load, store.save)
    for i in range(KEEP_RUNS + 5):
        numbers.number(f"r{i}")
    doc = json.loads(store.text or "")
    assert len(doc["runs"]) == KEEP_RUNS and "r0" not in doc["runs"] and doc["last"] == KEEP_RUNS + 5
    assert numbers.number("r0") == KEEP_RUNS + 6, "a forgotten run is a new run"


@pytest.mark.parametrize(("conf", "number"), [
    ({"BUILD_NUMBER": 17}, 17), ({"BUILD_NUMBER": " 9 "}, 9), ({"BUILD_NUMBER": 0}, None),
    ({"BUILD_NUMBER": True}, None), ({"BUILD_NUMBER": "x"}, None), ({}, None), (None, None),
])
def test_a_build_number_from_the_run_conf(conf: dict[str, Any] | None, number: int | None) -> None:
    assert conf_build_number(conf) == number


def test_run_context_reads_the_run() -> None:
    class TI:
        def get_task_states(self, dag_id: str, run_ids: list[str]) -> dict[str, Any]:
            assert dag_id == "etl" and run_ids == ["r1"]
            return {"r1": {"extract": "success", "load": "failed", "gate": None}}

    run = SimpleNamespace(dag_id="etl", run_id="r1", conf={"BRANCH_NAME": "x"}, run_type="scheduled",
                          triggering_user_name=None)
    ctx = run_context({"dag_run": run, "ti": TI()}, params={"p": 1}, env={"BUILD_NUMBER": "5"})
    assert ctx.build == {"result": "FAILURE", "currentResult": "FAILURE", "number": 5}
    assert ctx.causes == [{"name": "TimerTriggerCause"}] and ctx.params == {"p": 1}


# ---- a real Airflow run --------------------------------------------------------------------------------------------

SHOW = """env | grep -E -e '^(BUILD_|JOB_|WORKSPACE=|NODE_|EXECUTOR_NUMBER=|BRANCH_NAME=|GIT_COMMIT=|TAG_NAME=)' \
    -e '^(STAGE_NAME|JENKINS_URL)=' \
| sort > "$WORKSPACE/jenkins.env"
"""


def _docs() -> list[model.Document]:
    return [
        model.make("concrete_task", "show_env", {"type": "shell", "command": SHOW, "env": {"NODE_LABELS": "etl big"}}),
        model.make("pipeline", "jenkins_env_vars", {
            "tasks": [{"id": "show", "uses": ref("concrete_task", "show_env"), "stage": "Build"}],
            "provenance": {"job": "data/etl_orders"},
        }),
    ]


def _seen(dag_run: Any) -> dict[str, str]:
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert states == {"show": "success"}
    text = (run_workspace("jenkins_env_vars", dag_run.run_id) / "jenkins.env").read_text()
    return dict(line.split("=", 1) for line in text.splitlines())


@pytest.mark.airflow
@pytest.mark.slow
def test_shell_tasks_see_jenkins_variables(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    monkeypatch.delenv("BRANCH_NAME", raising=False)
    monkeypatch.delenv("JENKINS_URL", raising=False)
    monkeypatch.delenv("JENKINS2FLOW_JENKINS_CONN", raising=False)
    publish_all(store, _docs())
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["jenkins_env_vars"]

    first = _seen(dag.test())
    # the second run's runtime knows a Jenkins: the connection fallback tasks use gives JENKINS_URL
    monkeypatch.setenv("AIRFLOW_CONN_J2F_JENKINS", json.dumps({"conn_type": "http", "host": "https://ci.example.com"}))
    monkeypatch.setenv("JENKINS2FLOW_JENKINS_CONN", "j2f_jenkins")
    second_run = dag.test(run_conf={"BRANCH_NAME": "release/2", "GIT_COMMIT": "0123abc", "PATH": "/nowhere"})
    second = _seen(second_run)

    assert first["BUILD_NUMBER"] == "1" and second["BUILD_NUMBER"] == "2", "one number per run, increasing"
    for seen, number in ((first, "1"), (second, "2")):
        assert seen["BUILD_ID"] == number and seen["BUILD_DISPLAY_NAME"] == f"#{number}"
        assert seen["BUILD_TAG"] == f"jenkins-data-etl_orders-{number}"
        assert seen["JOB_NAME"] == "data/etl_orders", "the Jenkins full name from the provenance"
        assert seen["JOB_BASE_NAME"] == "etl_orders"
        assert seen["EXECUTOR_NUMBER"] == "0" and seen["NODE_NAME"]
        assert seen["NODE_LABELS"] == "etl big", "the task's own env overrides a Jenkins variable"
    assert first["WORKSPACE"] != second["WORKSPACE"]
    assert second["WORKSPACE"] == str(run_workspace("jenkins_env_vars", second_run.run_id))
    assert "BRANCH_NAME" not in first and "GIT_COMMIT" not in first
    assert second["BRANCH_NAME"] == "release/2" and second["GIT_COMMIT"] == "0123abc"
    assert first["STAGE_NAME"] == second["STAGE_NAME"] == "Build", "the stage the task comes from"
    assert "JENKINS_URL" not in first, "no Jenkins known: unset, never a made-up URL"
    assert second["JENKINS_URL"] == "https://ci.example.com/"

"""The Airflow REST path: a real api-server + scheduler + dag-processor on 127.0.0.1, the shadow run triggering
daily_sales through /api/v2 with a token from /auth/token, against recorded Jenkins build 1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from jenkins2flow_runtime.store import open_store

from jenkins2flow.airflow_env import airflow_env, write_dag_file
from jenkins2flow.cli.main import cli
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.sources.files import read_file as load_path
from tests.conftest import SAMPLES
from tests.shadow.conftest import JENKINS_HOME, OUTPUTS

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

START_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def airflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    state = tmp_path_factory.mktemp("airflow-rest")
    store = str(state / "store.db")
    with open_store(store, create=True) as st:
        save_conversion(st, convert_job(load_path(SAMPLES / "jenkinsfiles" / "daily_sales.Jenkinsfile")))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = airflow_env(state, store)
    passwords = state / "passwords.json"
    passwords.write_text(json.dumps({"shadow": "s3cret-pw"}))
    env.update({
        "AIRFLOW_HOME": str(state / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(state / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{state / 'airflow' / 'airflow.db'}",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "shadow:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        # The Airflow workers' workspace root is the shadow root the harness reads the candidate's files from.
        "JENKINS2FLOW_WORKSPACE": str(state / "workspaces" / "shadow"),
    })
    write_dag_file(state / "dags")
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, capture_output=True, check=True, timeout=180)
    procs = []
    logs = []
    try:
        for name in ("api-server", "scheduler", "dag-processor"):
            log = open(state / f"{name}.log", "w")  # noqa: SIM115 - closed in finally
            logs.append(log)
            procs.append(subprocess.Popen([*airflow, name], env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if requests.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            dead = [p.args[-1] for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                tail = (state / "api-server.log").read_text()[-3000:]
                pytest.fail(f"Airflow did not come up (dead: {dead}):\n{tail}")
            time.sleep(1)
        yield {"url": base, "store": store, "state": str(state), "workspace": env["JENKINS2FLOW_WORKSPACE"]}
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for log in logs:
            log.close()


def test_shadow_run_through_the_rest_api(airflow_server: dict[str, str], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, [
        "shadow", "run", "daily_sales", "--store", airflow_server["store"], "--jenkins-home", str(JENKINS_HOME),
        "--build", "1", "--outputs", str(OUTPUTS), "--airflow-url", airflow_server["url"],
        "--airflow-user", "shadow", "--airflow-password", "s3cret-pw",
        "--candidate-workspace", airflow_server["workspace"], "--timeout", "240", "--report-dir", str(tmp_path),
    ], catch_exceptions=False)
    data = json.loads((tmp_path / "result.json").read_text())
    state = Path(airflow_server["state"])
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in state.glob("*.log"))
    assert res.exit_code == 0, res.output + json.dumps(data, indent=1)[:3000] + logs
    candidate = data["candidate"]
    assert candidate["source"] == "airflow-rest" and candidate["status"] == "success"
    assert [s["name"] for s in candidate["stages"]] == ["extract", "transform", "load"]
    assert Path(candidate["files_root"]).is_relative_to(airflow_server["workspace"])
    markers = next(o for o in data["outputs"] if o["kind"] == "log")
    assert markers["status"] == "equal" and markers["compared"] >= 2, markers


def test_wrong_password_is_a_clear_error(airflow_server: dict[str, str], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, [
        "shadow", "run", "daily_sales", "--store", airflow_server["store"], "--jenkins-home", str(JENKINS_HOME),
        "--airflow-url", airflow_server["url"], "--airflow-user", "shadow", "--airflow-password", "nope",
        "--json", str(tmp_path / "r.json")], catch_exceptions=False)
    assert res.exit_code == 2
    assert "check the username/password" in json.loads((tmp_path / "r.json").read_text())["reason"]

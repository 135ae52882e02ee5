"""`jenkins2flow airflow`: a local Airflow over the catalog; the migrated pipelines are its DAGs, Ctrl-C stops it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from jenkins2flow.airflow_local import free_port
from jenkins2flow.cli.main import cli
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def test_a_missing_catalog_is_one_line_and_nothing_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["airflow", "--store", str(tmp_path / "none.db"), "--state-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no catalog at" in result.stderr
    assert not (tmp_path / "airflow").exists()


def test_the_migrated_pipelines_are_dags_of_a_local_airflow_until_ctrl_c(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    converted = CliRunner().invoke(cli, ["convert", str(SAMPLES / "jenkinsfiles"), "--store", str(store)])
    assert converted.exit_code == 0, converted.output
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "JENKINS2FLOW"))}
    proc = subprocess.Popen([sys.executable, "-m", "jenkins2flow.cli", "airflow", "--store", str(store),
                             "--state-dir", str(tmp_path / "state"), "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 240
        while not any("Airflow is up" in line for line in lines):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(lines)
            lines.append(line)
            assert time.monotonic() < deadline, "".join(lines)
        up = re.search(r"(http://127\.0\.0\.1:\d+)/ +user '(\w+)', password '([^']+)'", lines[-1])
        assert up is not None, lines[-1]
        url, user, password = up.groups()
        token = requests.post(f"{url}/auth/token", json={"username": user, "password": password},
                              timeout=10).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        dags: set[str] = set()
        while "daily_sales" not in dags and time.monotonic() < deadline:  # until the dag-processor parsed the file
            time.sleep(2)
            found = requests.get(f"{url}/api/v2/dags", headers=headers, timeout=10).json()
            dags = {d["dag_id"] for d in found.get("dags", [])}
        assert "daily_sales" in dags
        assert requests.post(f"{url}/auth/token", json={"username": user, "password": "wrong"},
                             timeout=10).status_code in (401, 403)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Stopping Airflow" in out
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api/v2/monitor/health", timeout=5)


def test_airflows_parsing_context_is_not_passed_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a running task Airflow sets its parsing context; a loader started from there with it would build
    only that task's DAG."""
    from jenkins2flow.airflow_env import airflow_env

    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "one")
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_TASK_ID", "t")
    env = airflow_env(tmp_path, str(tmp_path / "store.db"))
    assert not [k for k in env if k.startswith("_AIRFLOW_PARSING_CONTEXT_")]
    assert env["JENKINS2FLOW_STORE"] == str(tmp_path / "store.db") and env["PATH"] == os.environ["PATH"]

"""The Airflow REST path: a real api-server + scheduler + dag-processor on 127.0.0.1, the shadow run triggering
daily_sales through /api/v2 with a token from /auth/token, against recorded Jenkins build 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.store import open_store

from jenkins2flow.airflow_local import local_airflow
from jenkins2flow.cli.main import cli
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.sources.files import read_file as load_path
from tests.conftest import SAMPLES
from tests.shadow.conftest import JENKINS_HOME, OUTPUTS

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

@pytest.fixture(scope="module")
def airflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    state = tmp_path_factory.mktemp("airflow-rest")
    store = str(state / "store.db")
    with open_store(store, create=True) as st:
        save_conversion(st, convert_job(load_path(SAMPLES / "jenkinsfiles" / "daily_sales.Jenkinsfile")))
    # The Airflow workers' workspace root is the shadow root the harness reads the candidate's files from.
    extra = {"JENKINS2FLOW_WORKSPACE": str(state / "workspaces" / "shadow"),
             "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1"}
    with local_airflow(state, store, extra_env=extra) as running:
        yield {"url": running.url, "store": store, "state": str(state), "workspace": extra["JENKINS2FLOW_WORKSPACE"],
               "user": running.user, "password": running.password}


def test_shadow_run_through_the_rest_api(airflow_server: dict[str, str], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, [
        "shadow", "run", "daily_sales", "--store", airflow_server["store"], "--jenkins-home", str(JENKINS_HOME),
        "--build", "1", "--outputs", str(OUTPUTS), "--airflow-url", airflow_server["url"],
        "--airflow-user", airflow_server["user"], "--airflow-password", airflow_server["password"],
        "--candidate-workspace", airflow_server["workspace"], "--timeout", "240", "--report-dir", str(tmp_path),
    ], catch_exceptions=False)
    data = json.loads((tmp_path / "result.json").read_text())
    state = Path(airflow_server["state"])
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in state.glob("airflow/logs/*.log"))
    assert res.exit_code == 0, res.output + json.dumps(data, indent=1)[:3000] + logs
    candidate = data["candidate"]
    assert candidate["source"] == "airflow-rest" and candidate["status"] == "success"
    assert [s["name"] for s in candidate["stages"]] == ["extract", "transform", "load", "post_post_failure_gate",
                                                        "post_post_failure_notify", "post_post_success_gate",
                                                        "post_post_success", "post_end"]  # the failure block skipped
    assert Path(candidate["files_root"]).is_relative_to(airflow_server["workspace"])
    markers = next(o for o in data["outputs"] if o["kind"] == "log")
    assert markers["status"] == "equal" and markers["compared"] >= 2, markers


def test_wrong_password_is_a_clear_error(airflow_server: dict[str, str], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, [
        "shadow", "run", "daily_sales", "--store", airflow_server["store"], "--jenkins-home", str(JENKINS_HOME),
        "--airflow-url", airflow_server["url"], "--airflow-user", airflow_server["user"], "--airflow-password", "nope",
        "--json", str(tmp_path / "r.json")], catch_exceptions=False)
    assert res.exit_code == 2
    assert "check the username/password" in json.loads((tmp_path / "r.json").read_text())["reason"]

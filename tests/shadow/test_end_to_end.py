"""`jenkins2flow shadow run` end to end: recorded Jenkins builds and a fake live Jenkins against daily_sales run
for real in Airflow (dag.test in a child process), results stored, reports written, exit codes for CI."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jenkins2flow.cli.main import cli
from tests.helpers.fake_jenkins import FakeBuild, FakeJenkins, FakeJob
from tests.shadow.conftest import JENKINS_HOME, OUTPUTS, ShadowEnv

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def shadow(env: ShadowEnv, *args: str) -> Result:
    return CliRunner().invoke(cli, ["shadow", *args, "--store", env.store], catch_exceptions=False)


def run(env: ShadowEnv, report: Path, *args: str) -> tuple[Result, dict]:
    res = shadow(env, "run", "daily_sales", "--state-dir", str(env.state), "--outputs", str(OUTPUTS),
                 "--report-dir", str(report), "--timeout", "300", *args)
    data = json.loads((report / "result.json").read_text()) if (report / "result.json").exists() else {}
    return res, data


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_recorded_build_1_is_equivalent(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    res, data = run(shadow_env, tmp_path, "--jenkins-home", str(JENKINS_HOME), "--build", "1")
    assert res.exit_code == 0, res.output + json.dumps(data, indent=1)[:3000]
    assert data["verdict"] == "equivalent"
    assert [(o["name"], o["status"]) for o in data["outputs"]] == [
        ("status", "equal"), ("region totals", "equal"), ("warehouse load", "equal"), ("orders", "equal"),
        ("log markers", "equal")]
    assert data["baseline"]["id"] == "daily_sales#1" and data["baseline"]["params"] == {"RUN_DATE": "2026-01-15"}
    candidate = data["candidate"]
    assert candidate["source"] == "airflow-local" and candidate["params"] == {"RUN_DATE": "2026-01-15"}
    # Shadow mode: the candidate wrote under <workspace root>/shadow, never the production workspace root.
    assert Path(candidate["files_root"]).is_relative_to(shadow_env.workspaces / "shadow")
    assert (Path(candidate["files_root"]) / "out" / "warehouse" / "sales_2026-01-15.csv").is_file()
    assert not (shadow_env.workspaces / "daily_sales").exists()
    log_markers = data["outputs"][-1]
    assert log_markers["compared"] >= 2, log_markers
    history = shadow(shadow_env, "history", "daily_sales", "--json")
    assert data["run_id"] in history.output


def test_recorded_build_2_shows_the_seeded_difference(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    res, data = run(shadow_env, tmp_path, "--jenkins-home", str(JENKINS_HOME), "--build", "2")
    assert res.exit_code == 1, res.output
    totals = next(o for o in data["outputs"] if o["name"] == "region totals")
    assert [(d["location"], d["baseline"], d["candidate"]) for d in totals["differences"]] == [
        ("region=north column=total", "162.57", "162.75")]
    assert {o["name"] for o in data["outputs"] if o["status"] == "different"} == {"region totals", "warehouse load"}
    html = (tmp_path / "report.html").read_text()
    assert "162.57" in html and "162.75" in html and "DIFFERENT" in html.upper()
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    # The stored result reports again, with the run's exit code.
    md = tmp_path / "again.md"
    again = shadow(shadow_env, "report", data["run_id"], "--md", str(md))
    assert again.exit_code == 1 and "162.57" in md.read_text()


def test_live_jenkins_build_triggered_through_python_jenkins(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    build1 = JENKINS_HOME / "jobs" / "daily_sales" / "builds" / "1"
    archive = build1 / "archive"

    def on_build(job: str, params: dict) -> FakeBuild:
        return FakeBuild(
            0, parameters=params, console=(build1 / "log").read_text(),
            artifacts={p.relative_to(archive).as_posix(): p.read_bytes() for p in archive.rglob("*") if p.is_file()},
            stages=[{"id": str(i), "name": n, "status": "SUCCESS"} for i, n in enumerate(("Extract", "Transform",
                                                                                        "Load"))])

    job = FakeJob(config_xml=(JENKINS_HOME / "jobs" / "daily_sales" / "config.xml").read_text(),
                  job_class="org.jenkinsci.plugins.workflow.job.WorkflowJob")
    with FakeJenkins(jobs={"daily_sales": job}, user="ci", token="t0ken", on_build=on_build) as fake:
        res, data = run(shadow_env, tmp_path, "--jenkins-url", fake.url, "--jenkins-user", "ci",
                        "--jenkins-token", "t0ken", "--param", "RUN_DATE=2026-01-15")
        posted = [p for m, p in fake.requests if m == "POST"]
    assert res.exit_code == 0, res.output + json.dumps(data, indent=1)[:3000]
    assert any("buildWithParameters" in p and "RUN_DATE=2026-01-15" in p for p in posted), posted
    assert data["baseline"]["source"] == "jenkins-live" and data["baseline"]["id"] == "daily_sales#1"
    assert [s["name"] for s in data["baseline"]["stages"]] == ["Extract", "Transform", "Load"]


def test_jenkins_down_is_a_clear_error(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    res, data = run(shadow_env, tmp_path, "--jenkins-url", f"http://127.0.0.1:{closed_port()}/")
    assert res.exit_code == 2
    assert data["verdict"] == "error" and "Jenkins" in data["reason"] and "Traceback" not in res.output


def test_build_that_never_finishes_times_out(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    job = FakeJob(job_class="org.jenkinsci.plugins.workflow.job.WorkflowJob")
    with FakeJenkins(jobs={"daily_sales": job}, on_build=lambda j, p: FakeBuild(0, result=None)) as fake:
        res = shadow(shadow_env, "run", "daily_sales", "--state-dir", str(shadow_env.state), "--jenkins-url",
                     fake.url, "--timeout", "1", "--json", str(tmp_path / "r.json"))
    assert res.exit_code == 2
    assert "still running after 1 s" in json.loads((tmp_path / "r.json").read_text())["reason"]


def test_airflow_down_is_a_clear_error(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    res, data = run(shadow_env, tmp_path, "--jenkins-home", str(JENKINS_HOME), "--airflow-url",
                    f"http://127.0.0.1:{closed_port()}")
    assert res.exit_code == 2
    assert "is not reachable" in data["reason"] and data["baseline"]["id"] == "daily_sales#3"


def test_unknown_pipeline_and_unknown_build(shadow_env: ShadowEnv, tmp_path: Path) -> None:
    res = shadow(shadow_env, "run", "no_such", "--jenkins-home", str(JENKINS_HOME), "--json", str(tmp_path / "a"))
    assert res.exit_code == 2 and "No published pipeline 'no_such'" in res.output
    res = shadow(shadow_env, "run", "daily_sales", "--jenkins-home", str(JENKINS_HOME), "--build", "lastFailedBuild",
                 "--json", str(tmp_path / "b"))
    assert res.exit_code == 2 and "has no lastFailedBuild" in res.output

"""The migration view: the estate report `convert` / `audit` keep next to the catalog, the shadow runs with their
verdicts and HTML reports (served from the state folder only), and promoting a pipeline after its review."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.records import Records
from ui_help import Users, csrf_of, login, make_client

from jenkins2flow.cli.main import cli
from jenkins2flow.shadow.outcome import Difference, OutputResult, ShadowResult, SideRun
from jenkins2flow.shadow.results import ResultsStore

JENKINSFILE = """pipeline {
  agent any
  stages {
    stage('Load') {
      steps {
        withCredentials([usernamePassword(credentialsId: 'warehouse-db', usernameVariable: 'U',
                                          passwordVariable: 'P')]) {
          sh 'psql -c "select 1"'
        }
        shh 'typo'
      }
    }
  }
}
"""


def shadow_result(run_id: str, pipeline: str, verdict: str) -> ShadowResult:
    out = OutputResult(name="totals", kind="csv", status="different" if verdict == "different" else "equal",
                       summary="1 row differs", compared=3, total_differences=1,
                       differences=[Difference("key=north column=total", "changed", "10", "11")])
    return ShadowResult(run_id=run_id, pipeline=pipeline, verdict=verdict, reason="outputs differ",  # type: ignore[arg-type]
                        started_at="2026-01-02T03:04:05+00:00", finished_at="2026-01-02T03:05:00+00:00",
                        baseline=SideRun(side="baseline", source="jenkins-recorded", id="7", status="success"),
                        candidate=SideRun(side="candidate", source="airflow-local", id="manual__1", status="success"),
                        outputs=[out])


def test_convert_and_audit_keep_their_report_next_to_the_catalog(store_uri: str, tmp_path: Path) -> None:
    job = tmp_path / "loader.Jenkinsfile"
    job.write_text(JENKINSFILE, encoding="utf-8")
    assert Records(store_uri).latest_estate_report() is None
    result = CliRunner().invoke(cli, ["convert", str(job), "--store", store_uri])
    assert result.exit_code == 0, result.output
    with Records(store_uri) as records:
        record = records.latest_estate_report()
        assert record is not None and record.command == "convert" and record.sources == [str(job)]
        assert record.report["jobs"] == 1 and record.report["credentials"][0]["credentials_id"] == "warehouse-db"
        assert "jobs_detail" not in record.report and "ledgers" not in record.report  # one row per job instead
        jobs = records.estate_jobs(record)
    assert (jobs.matched, jobs.total) == (1, 1)
    (ledger,) = jobs.rows
    assert ledger["pipeline"] == "loader" and ledger["status"] == "jenkins_only" and ledger["mapped"] >= 1
    assert ledger["reasons"] and ledger["job"] == "loader"  # the report's jobs_detail row is there too
    placeholder = next(e for e in ledger["entries"] if e["outcome"] == "placeholder")
    assert placeholder["at"].startswith(f"{job}:10:")  # file:line:col of `shh`
    audited = CliRunner().invoke(cli, ["audit", str(job), "--json", "--store", store_uri])
    assert audited.exit_code == 0
    with Records(store_uri) as records:
        assert records.latest_estate_report().command == "audit"  # type: ignore[union-attr]
        assert records.latest_estate_report("convert").command == "convert"  # type: ignore[union-attr]


def test_audit_without_a_store_writes_nothing(tmp_path: Path, monkeypatch: object) -> None:
    job = tmp_path / "loader.Jenkinsfile"
    job.write_text(JENKINSFILE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(job), "--json"], env={"JENKINS2FLOW_STORE": str(tmp_path / "s.db")})
    assert result.exit_code == 0 and not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("given", ["data", "json", "columns"])
def test_estate_jobs_are_rows_read_a_page_at_a_time(store_uri: str, given: str) -> None:
    """The rows are given as data, as JSON, or as (job, status, JSON): the report's spool (EstateReport.columns)."""
    jobs = [{"job": f"team{i % 3}/job{i}", "status": "converted" if i % 2 else "partial", "n": i} for i in range(10)]
    rows = {"data": jobs, "json": [json.dumps(j) for j in jobs],
            "columns": [(j["job"], j["status"], json.dumps(j)) for j in jobs]}[given]
    with Records(store_uri, write=True) as records:
        records.save_estate_report({"jobs": 10}, command="convert", sources=["home"], jobs=iter(rows))
        record = records.latest_estate_report()
        assert record is not None and record.report == {"jobs": 10}
        page = records.estate_jobs(record, limit=3)
        assert (page.rows, page.matched, page.total) == (jobs[:3], 10, 10)
        partial = records.estate_jobs(record, status="partial", q="TEAM1 job", limit=300)
        assert [j["n"] for j in partial.rows] == [4] and partial.matched == 1
        old = replace(record, report={"jobs": 2, "ledgers": jobs[:2]})  # a report stored before the rows
        assert records.estate_jobs(old, status="converted").rows == [jobs[1]]


def test_records_read_nothing_from_a_missing_store(tmp_path: Path) -> None:
    with Records(str(tmp_path / "absent.db")) as records:
        assert records.latest_estate_report() is None and records.shadow_runs() == []
        assert records.shadow_run("x") is None
    assert not (tmp_path / "absent.db").exists()


def test_the_migration_view(store_uri: str, users: Users, tmp_path: Path) -> None:
    job = tmp_path / "loader.Jenkinsfile"
    job.write_text(JENKINSFILE, encoding="utf-8")
    assert CliRunner().invoke(cli, ["convert", str(job), "--store", store_uri, "--no-publish"]).exit_code == 0
    with ResultsStore(store_uri, create=True) as results:
        results.save(shadow_result("run-1", "loader", "different"))
        results.save(shadow_result("run-2", "loader", "equivalent"))
    state = tmp_path / "state"
    (state / "shadow" / "run-1").mkdir(parents=True)
    (state / "shadow" / "run-1" / "report.html").write_text("<html><body>the report</body></html>")
    (tmp_path / "secret.html").write_text("outside")
    with make_client(store_uri, users, state) as client:
        login(client, "vic")
        page = client.get("/migration").text
        assert "Last <strong>convert</strong>" in page and "<code>loader.Jenkinsfile</code>" not in page
        assert "warehouse-db" in page and f"{job}:10:" in page and "placeholder" in page
        assert page.count('class="verdict v-different"') == 1 and page.count('class="verdict v-equivalent"') == 1
        assert 'href="/files/shadow/run-1/report.html"' in page
        report = client.get("/files/shadow/run-1/report.html")
        assert report.status_code == 200 and "the report" in report.text
        assert report.headers["content-security-policy"].startswith("sandbox")
        for bad in ("/files/../secret.html", "/files/shadow/run-1/../../../secret.html", "/files/%2e%2e/secret.html",
                    "/files/shadow/run-1/nope.html"):
            assert client.get(bad).status_code == 404, bad
        filtered = client.get("/migration", params={"status": "converted"}).text
        assert "0 of 1 jobs" in filtered
        detail = client.get("/migration/shadow/run-1").text
        assert "key=north column=total" in detail and "jenkins-recorded" in detail
        assert "Publish v1" not in detail  # a viewer sees no promote button
        assert client.get("/migration/shadow/nope").status_code == 404

        client.cookies.clear()
        login(client, "pat")
        detail = client.get("/migration/shadow/run-1").text
        assert "Publish v1" in detail and "promoted after shadow run run-1 (different)" in detail
        form = {"csrf_token": csrf_of(detail), "version": "1", "comment": "promoted after shadow run run-1"}
        refused = client.post("/pipelines/loader/publish", data=form)  # its tasks are drafts (--no-publish)
        assert refused.status_code == 409 and "Cannot publish pipeline &#39;loader&#39; version 1" in refused.text
        assert 'name="comment" value="promoted after shadow run run-1"' in refused.text  # kept as typed
        headers = {"Authorization": f"Bearer {users.tokens['pat']}"}
        for group in ("tasks", "templates"):
            for doc in client.get(f"/api/v1/{group}", headers=headers).json():
                assert client.post(f"/api/v1/{group}/{doc['name']}/publish", headers=headers).status_code == 200
        assert client.post("/pipelines/loader/publish", data=form).status_code == 303
        assert "Already published" in client.get("/migration/shadow/run-1").text
        trail = client.get("/api/v1/pipelines/loader/audit").json()  # the session cookie works for reads
        assert (trail[-1]["action"], trail[-1]["by"], trail[-1]["comment"]) == (
            "publish", "pat", "promoted after shadow run run-1")


def test_the_migration_view_lists_the_pools_to_create(store_uri: str, users: Users, tmp_path: Path) -> None:
    job = tmp_path / "deploy.Jenkinsfile"
    job.write_text("pipeline { agent any\n stages { stage('A') { steps { lock('db') { sh 'x' } } } } }\n",
                   encoding="utf-8")
    assert CliRunner().invoke(cli, ["convert", str(job), "--store", store_uri, "--no-publish"]).exit_code == 0
    with make_client(store_uri, users, tmp_path / "state") as client:
        login(client, "vic")
        page = client.get("/migration").text
    assert "Pools to create in Airflow" in page and "<code>lock_db</code>" in page
    assert "airflow pools set lock_db 1 &#39;Jenkins lock: one task at a time (jenkins2flow)&#39;" in page

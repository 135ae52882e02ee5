"""Live Jenkins (against the fake server), loose files, and the one `iter_jobs` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.fake_jenkins import FakeBuild, FakeJenkins, FakeJob

from jenkins2flow.sources import iter_jobs, source_kind
from jenkins2flow.sources.files import job_name_for
from jenkins2flow.sources.jenkins_home import name_in_jenkins_home
from jenkins2flow.sources.live import LiveError, LiveJenkins

SHELL_JOB = """<?xml version='1.1' encoding='UTF-8'?>
<project><builders><hudson.tasks.Shell><command>echo hi</command></hudson.tasks.Shell></builders></project>"""


def _fake() -> FakeJenkins:
    pipe = FakeJob(config_xml="<flow-definition><definition class='org.jenkinsci.plugins.workflow.cps."
                   "CpsFlowDefinition'><script>node { sh 'x' }</script></definition></flow-definition>",
                   job_class="org.jenkinsci.plugins.workflow.job.WorkflowJob")
    pipe.builds[4] = FakeBuild(4, "FAILURE", parameters={"RUN_DATE": "2024-01-02"}, console="line1\nline2\n",
                               artifacts={"out/a.csv": b"a,b\n1,2\n"}, stages=[
                                   {"id": "6", "name": "Build", "status": "SUCCESS", "startTimeMillis": 1,
                                    "durationMillis": 5},
                                   {"id": "9", "name": "Test", "status": "FAILED", "startTimeMillis": 6,
                                    "durationMillis": 7, "error": {"message": "exit 1", "type": "AbortException"}},
                               ])
    return FakeJenkins({"top": FakeJob(SHELL_JOB), "team/etl/pipe": pipe, "team/other": FakeJob("<project>")},
                       user="alice", token="tok")


def _client(fj: FakeJenkins, **kw: object) -> LiveJenkins:
    sleeps: list[float] = []
    client = LiveJenkins(fj.url, "alice", "tok", timeout=5, sleep=sleeps.append, **kw)  # type: ignore[arg-type]
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def test_live_lists_jobs_through_folders_and_parses_configs() -> None:
    with _fake() as fj:
        jobs = {j.full_name: j for j in _client(fj).iter_jobs()}
        url = fj.url
    assert set(jobs) == {"top", "team", "team/etl", "team/etl/pipe", "team/other"}
    assert jobs["top"].builders[0].field("command") == "echo hi"
    assert jobs["team/etl/pipe"].kind == "pipeline" and jobs["team"].kind == "folder"
    assert jobs["team"].children == ("team/etl", "team/other")
    assert jobs["team/other"].diagnostics[0].code == "malformed-xml"  # a bad job does not stop the walk
    assert jobs["top"].source == url + "job/top/config.xml"


def test_live_build_console_artifacts_and_stages() -> None:
    with _fake() as fj:
        client = _client(fj)
        b = client.build("team/etl/pipe", 4)
        data = client.artifact("team/etl/pipe", 4, "out/a.csv")
        last = client.build_info("team/etl/pipe", "lastBuild")
    assert (b.number, b.result, b.duration_ms) == (4, "FAILURE", 1000)
    assert b.parameters == (("RUN_DATE", "2024-01-02"),) and b.causes[0].user_id == "admin"
    assert b.log == "line1\nline2\n" and b.artifacts[0].relative_path == "out/a.csv"
    assert [(s.name, s.status, s.error) for s in b.stages] == [("Build", "SUCCESS", ""), ("Test", "FAILURE", "exit 1")]
    assert data == b"a,b\n1,2\n" and last["number"] == 4


def test_live_retries_5xx_with_backoff_then_succeeds() -> None:
    with _fake() as fj:
        client = _client(fj, attempts=4, backoff=0.25)
        fj.fail("/job/top/config.xml", 503, times=2)
        fj.fail("/job/top/config.xml", 500, times=1)
        assert b"echo hi" in client.job_config("top")
        assert client.sleeps == [0.25, 0.5, 1.0]  # type: ignore[attr-defined]
        fj.fail("/job/top/config.xml", 502, times=10)
        with pytest.raises(LiveError, match="after 4 attempts"):
            client.job_config("top")
        hits = [p for m, p in fj.requests if p == "/job/top/config.xml"]
        assert len(hits) == 4 + 4


def test_live_does_not_retry_client_errors_and_needs_credentials() -> None:
    with _fake() as fj:
        client = _client(fj)
        with pytest.raises(LiveError, match="reading config.xml of 'missing'"):
            client.job_config("missing")
        assert client.sleeps == []  # type: ignore[attr-defined]
        anonymous = LiveJenkins(fj.url, timeout=5, attempts=2, sleep=lambda s: None)
        with pytest.raises(LiveError):
            anonymous.job_config("top")


def test_live_timeout_is_retried() -> None:
    with _fake() as fj:
        fj.delay("/job/top/1/api/json", 0.6)
        fj.jobs["top"].builds[1] = FakeBuild(1)
        client = LiveJenkins(fj.url, "alice", "tok", timeout=0.2, attempts=2, sleep=lambda s: None)
        with pytest.raises(LiveError, match="after 2 attempts"):
            client.build_info("top", 1)


def test_live_trigger_uses_crumb_and_queue() -> None:
    with _fake() as fj:
        client = _client(fj)
        qid = client.trigger("team/etl/pipe", {"RUN_DATE": "2024-02-03"})
        number = client.wait_for_build(qid)
        assert number == 5 and fj.jobs["team/etl/pipe"].builds[5].parameters == {"RUN_DATE": "2024-02-03"}
        qid2 = client.trigger("top")
        assert client.wait_for_build(qid2) == 1
        posts = [p for m, p in fj.requests if m == "POST"]
        assert posts[0].startswith("/job/team/job/etl/job/pipe/buildWithParameters") and posts[1] == "/job/top/build"
        assert ("GET", "/crumbIssuer/api/json") in fj.requests


def test_live_source_through_iter_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    with _fake() as fj:
        monkeypatch.setenv("JENKINS_USER", "alice")
        monkeypatch.setenv("JENKINS_TOKEN", "tok")
        assert source_kind(fj.url) == "live"
        names = sorted(j.full_name for j in iter_jobs(fj.url))
        assert names == ["team", "team/etl", "team/etl/pipe", "team/other", "top"]
        monkeypatch.setenv("JENKINS_TOKEN", "wrong")
        (failed,) = list(iter_jobs(fj.url, attempts=1))
        assert failed.kind == "unsupported" and failed.diagnostics[0].code == "live-unreachable"


# ---- loose files -------------------------------------------------------------------------------------------------


def test_files_by_content_names_and_globs(tmp_path: Path) -> None:
    (tmp_path / "etl").mkdir()
    (tmp_path / "etl" / "config.xml").write_text(SHELL_JOB)
    (tmp_path / "nightly.xml").write_text("<flow-definition/>")
    (tmp_path / "deploy.Jenkinsfile").write_text("pipeline { agent any\n stages { stage('a') { steps { sh 'x' } } } }")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Jenkinsfile").write_text("node { sh 'make' }")
    (tmp_path / "odd.txt").write_text("<project><description>by content</description></project>")
    jobs = {j.full_name: j for j in iter_jobs([str(tmp_path / "etl"), str(tmp_path / "*.xml"),
                                               str(tmp_path / "deploy.Jenkinsfile"), str(tmp_path / "svc"),
                                               str(tmp_path / "odd.txt"), str(tmp_path / "missing.xml")])}
    assert jobs["etl"].kind == "freestyle" and jobs["nightly"].kind == "pipeline"
    assert jobs["deploy"].kind == "pipeline" and jobs["deploy"].root_tag == "Jenkinsfile"
    assert jobs["svc"].kind == "pipeline" and "sh 'make'" in jobs["svc"].script
    assert jobs["odd"].description == "by content"
    assert jobs["missing"].diagnostics[0].code == "not-found"
    assert source_kind(str(tmp_path / "svc")) == "files"


def test_job_names_from_paths() -> None:
    assert job_name_for(Path("/x/jobs/etl/config.xml")) == "etl"
    assert job_name_for(Path("/x/ci/Jenkinsfile")) == "ci"
    assert job_name_for(Path("/x/ci/Jenkinsfile.groovy")) == "ci"
    assert job_name_for(Path("/x/deploy.Jenkinsfile")) == "deploy"
    assert job_name_for(Path("/x/nightly.xml")) == "nightly"


def test_loose_config_files_in_a_jenkins_home_layout_get_their_full_names(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "jobs" / "team"
    (folder / "jobs" / "etl").mkdir(parents=True)
    (folder / "config.xml").write_text("<com.cloudbees.hudson.plugins.folder.Folder/>")
    assert name_in_jenkins_home(folder / "jobs" / "etl" / "config.xml") == "team/etl"
    assert name_in_jenkins_home(tmp_path / "test" / "config.xml") is None  # no layout: the name is a guess
    assert job_name_for(tmp_path / "test" / "config.xml") == "test"
    assert name_in_jenkins_home(folder / "jobs" / "etl" / "Jenkinsfile") is None  # only a config.xml is a job
    branch = folder / "jobs" / "mb" / "branches" / "feature-x.3f2a"
    branch.mkdir(parents=True)
    (folder / "jobs" / "mb" / "config.xml").write_text("<org.jenkinsci.plugins.workflow.multibranch."
                                                       "WorkflowMultiBranchProject/>")
    (branch / "name-utf8.txt").write_text("feature/x")
    assert name_in_jenkins_home(branch / "config.xml") == "team/mb/feature%2Fx"

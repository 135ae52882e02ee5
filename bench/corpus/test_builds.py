"""Recorded builds of real Jenkins homes: a pipeline build and a freestyle build read whole."""

from __future__ import annotations

from conftest import CORPUS

from jenkins2flow.sources.builds import read_build

BUILDS = CORPUS / "builds"


def test_real_build_dirs() -> None:
    flow = read_build(BUILDS / "laith-leo__git_server__Build-Nginx_builds_1", "Build-Nginx")
    assert (flow.result, flow.duration_ms, flow.timestamp_ms) == ("FAILURE", 829, 1592694140706)
    assert flow.causes[0].kind == "user" and flow.causes[0].user_id == "leo"
    assert flow.log is not None and flow.log.startswith("Started by user LAITH LEO ALOBAIDY\n")
    assert "ha:////" not in flow.log and "\x1b[8m" not in flow.log
    free = read_build(BUILDS / "rgguruprakash__jenkins-backup__build-job_builds_2", "build-job")
    assert (free.result, free.duration_ms, free.built_on) == ("SUCCESS", 12850, "node2")
    assert free.causes[0].cls == "com.cloudbees.jenkins.GitHubPushCause" and free.causes[0].kind == "scm"
    assert not free.diagnostics and not flow.diagnostics

"""Bounded work against a live Jenkins: an answer above the byte cap is cut off while it streams in, an answer
drip-fed a byte at a time or never started hits the request deadline, each with a clear error for that job, and the
walk goes on to the next job."""

from __future__ import annotations

import time

import pytest
from helpers.fake_jenkins import FakeJenkins, FakeJob

from jenkins2flow.sources import iter_jobs
from jenkins2flow.sources.bounded_http import MAX_RESPONSE_BYTES
from jenkins2flow.sources.live import LiveError, LiveJenkins

GOOD = "<project><builders><hudson.tasks.Shell><command>echo hi</command></hudson.tasks.Shell></builders></project>"


def _fake() -> FakeJenkins:
    jobs = {name: FakeJob(GOOD) for name in ("a-huge", "b-drip", "c-silent", "d-good")}
    return FakeJenkins(jobs, user="u", token="t")


def test_an_endless_answer_is_cut_at_the_cap_while_it_streams() -> None:
    with _fake() as fj:
        fj.stream("/job/a-huge/config.xml", size=None)  # never ends: only a cap applied while reading can stop
        client = LiveJenkins(fj.url, "u", "t", timeout=5, attempts=1)
        with pytest.raises(LiveError, match=f"larger than {MAX_RESPONSE_BYTES:,} bytes") as info:
            client.job_config("a-huge")
        time.sleep(0.2)
        sent = fj.streamed["/job/a-huge/config.xml"]
    assert "a-huge" in str(info.value)
    assert MAX_RESPONSE_BYTES < sent < 4 * MAX_RESPONSE_BYTES  # the server was stopped, not read to its end


def test_a_slow_server_hits_the_deadline_and_the_walk_goes_on() -> None:
    with _fake() as fj:
        fj.stream("/job/a-huge/config.xml", size=20 * MAX_RESPONSE_BYTES)
        fj.stream("/job/b-drip/config.xml", size=100_000, piece=1, pause=0.01)  # ~17 minutes, a byte at a time
        fj.delay("/job/c-silent/config.xml", 20.0)  # no status line for 20 s
        started = time.monotonic()
        jobs = {j.full_name: j for j in iter_jobs(fj.url, user="u", token="t", attempts=1, deadline=1.0)}
        elapsed = time.monotonic() - started
    assert set(jobs) == {"a-huge", "b-drip", "c-silent", "d-good"}
    errors = {name: [d.message for d in job.diagnostics if d.level == "error"] for name, job in jobs.items()}
    assert "larger than" in errors["a-huge"][0]
    assert "did not end within 1 s" in errors["b-drip"][0]
    assert "No answer from" in errors["c-silent"][0] and "within 1 s" in errors["c-silent"][0]
    assert errors["d-good"] == [] and jobs["d-good"].builders[0].field("command") == "echo hi"
    assert elapsed < 15  # generous: two deadlines of one second, not 20 s of silence nor minutes of drip


def test_the_deadline_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENKINS2FLOW_LIVE_DEADLINE", "soon")
    with pytest.raises(LiveError, match="JENKINS2FLOW_LIVE_DEADLINE must be a number of seconds, not 'soon'"):
        LiveJenkins.from_env("http://127.0.0.1:9/")
    monkeypatch.setenv("JENKINS2FLOW_LIVE_DEADLINE", "0.5")
    with _fake() as fj:
        fj.delay("/job/c-silent/config.xml", 5.0)
        with pytest.raises(LiveError, match="within 0.5 s"):
            LiveJenkins.from_env(fj.url, "u", "t", attempts=1).job_config("c-silent")

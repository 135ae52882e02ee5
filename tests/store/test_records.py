"""Job states next to the catalog (what a re-run of `convert` compares with), on SQLite and MongoDB alike."""

from __future__ import annotations

import json
from dataclasses import replace

from jenkins2flow_runtime.records import JobState, Records


def test_job_states_are_replaced_read_in_bulk_and_forgotten(store_uri: str) -> None:
    with Records(store_uri) as records:
        assert records.job_state("team/a") is None and records.job_summary("a") is None  # nothing yet, nothing created
    a = JobState("team/a", "/home/jobs/team/jobs/a/config.xml", "sha-a", "ctx", "[[], [], []]", "team.a", 1, True,
                 "/dags/team.a.py 10 99")
    b = JobState("b", "b.Jenkinsfile", "sha-b", "ctx", "[[], [], []]")
    with Records(store_uri, write=True) as records:
        records.save_job_states([(a, {"job": "team/a", "status": "converted"}), (b, json.dumps({"job": "b"}))])
        records.save_job_states([(replace(a, version=2), {"job": "team/a", "status": "partial"})])
        assert records.job_state("team/a") == JobState(a.job, a.source, a.input, a.context, a.links, a.pipeline, 2,
                                                       True, a.dag)
        assert records.job_state("b") == b
        assert records.job_summary("team/a") == {"job": "team/a", "status": "partial"}
        assert records.job_summary("b") == {"job": "b"}
        records.forget_job_states(["team/a", "nope"])
        assert records.job_state("team/a") is None and records.job_state("b") == b


def test_an_estate_report_is_written_with_its_batches_and_seen_once_finished(store_uri: str) -> None:
    a = JobState("a", "a.Jenkinsfile", "sha-a", "ctx", "[[], [], []]")
    b = JobState("b", "b.Jenkinsfile", "sha-b", "ctx", "[[], [], []]")
    row = {"job": "a", "status": "converted"}
    with Records(store_uri, write=True) as records:
        old = records.save_estate_report({"jobs": 1}, command="convert", sources=["old"], jobs=[row])
        begun = records.begin_estate_report(command="convert", sources=["home"], by="me")
        records.save_job_states([(a, row)], report=(begun, 0, [("a", "converted", json.dumps(row))]))
        records.save_job_states([(b, {"job": "b"})], report=(begun, 1, [
            ("b", "failed", json.dumps({"job": "b", "status": "failed"})),
            ("c", "unsupported", json.dumps({"job": "c", "status": "unsupported"}))]))
        latest = records.latest_estate_report("convert")
        assert latest is not None and latest.id == old  # a report begun and not finished is not seen
        records.finish_estate_report(begun, {"jobs": 3, "by_status": {"converted": 1}})
        latest = records.latest_estate_report()
        assert latest is not None and (latest.id, latest.sources, latest.by) == (begun, ["home"], "me")
        assert latest.report == {"jobs": 3, "by_status": {"converted": 1}}
        jobs = records.estate_jobs(latest)
        assert [(j["job"], j.get("status")) for j in jobs.rows] == [("a", "converted"), ("b", "failed"),
                                                                    ("c", "unsupported")]
        assert records.estate_jobs(latest, status="failed").matched == 1 and jobs.total == 3
        assert records.job_state("b") == b  # the states of the batch, saved with its rows

        dropped = records.begin_estate_report(command="convert", sources=["home"])
        records.save_job_states([], report=(dropped, 0, [("a", "converted", json.dumps(row))]))
        records.drop_estate_report(dropped)  # a run that failed
        latest = records.latest_estate_report()
        assert latest is not None and latest.id == begun
        assert records.estate_jobs(replace(latest, id=dropped, report={})).total == 0  # its rows are gone too

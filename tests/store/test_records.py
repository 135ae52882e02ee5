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

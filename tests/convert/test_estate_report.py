"""The estate report says how many runnable pipelines only trigger the Jenkins job (one element that cannot be
converted is enough: Jenkins cannot run part of a job)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from jenkins2flow.convert.estate import convert_estate, iter_jobs
from jenkins2flow.convert.summary import EstateReport
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.render.audit import html_page, markdown
from jenkins2flow.render.explain import summary
from tests.convert.helpers import own_provided


def _job(name: str, steps: str):  # type: ignore[no-untyped-def]
    text = f"pipeline {{ agent any\n stages {{ stage('A') {{ steps {{ {steps} }} }} }} }}\n"
    return parse_jenkinsfile(text, f"{name}.Jenkinsfile", name)


def test_jenkins_only_pipelines_are_counted_and_flagged() -> None:
    estate = convert_estate([
        _job("moved", "sh 'make data'"),
        _job("mixed", "sh 'make data'\n myLibraryStep()"),
        _job("stays", "myLibraryStep()\n otherLibraryStep(x: 1)"),
    ], rules=own_provided())
    report = estate.report()
    flags = {j["job"]: j["jenkins_only"] for j in report["jobs_detail"]}
    assert flags == {"moved": False, "mixed": True, "stays": True}
    assert report["runnable"] == 3 and report["jenkins_only"] == 2
    assert report["by_status"] == {"jenkins_only": 2, "converted": 1}
    assert "2 of them only trigger the Jenkins job" in markdown(report)
    mixed = next(c for c in estate.conversions if c.job == "mixed")
    assert mixed.pipeline is not None and [t.uses.name for t in mixed.pipeline.tasks] == ["jenkins.run-original-job"]
    assert [t.uses.name.split(".")[0] for t in mixed.pipeline.draft_tasks] == ["sh", "jenkins"]  # the draft kept


def test_the_streamed_report_is_the_report_of_every_conversion_kept_in_memory() -> None:
    """The report built a job at a time (EstateReport: counters and a spool file) says what the conversions kept in
    memory say, computed directly from them; its JSON is json.dumps(report, indent=1), written as it streams."""
    from collections import Counter

    from tests.convert.test_estate_invariants import PROJECT_JOBS

    estate = convert_estate(iter_jobs([str(p) for p in PROJECT_JOBS]))
    convs = estate.conversions
    with EstateReport() as streamed:
        for conv in convs:
            streamed.add(conv)
        report = {**streamed.totals(), "jobs_detail": list(streamed.details())}
        out = io.StringIO()
        streamed.write_json(out)
        assert json.loads(out.getvalue()) == json.loads(json.dumps(report, default=str))
        assert out.getvalue() == json.dumps(report, indent=1, default=str)
        assert [s.job for s in streamed.summaries()] == [c.job for c in convs]
    assert report == estate.report()
    assert report["jobs"] == len(convs) and report["by_status"] == dict(Counter(c.status for c in convs).most_common())
    assert report["runnable"] == sum(1 for c in convs if c.pipeline is not None)
    placeholders = Counter(e.key or e.element for c in convs for e in c.placeholders)
    assert [(u["element"], u["count"]) for u in report["unsupported"]] == placeholders.most_common(20)
    uses = {t.uses.name for c in convs if c.pipeline is not None for t in c.pipeline.tasks}
    assert report["reuse"]["distinct_tasks"] == len(uses) and report["reuse"]["pipeline_tasks"] == sum(
        len(c.pipeline.tasks) for c in convs if c.pipeline is not None)
    assert sum(len(e["uses"]) for e in report["credentials"]) == sum(len(c.credentials) for c in convs)
    assert [d["job"] for d in report["jobs_detail"]] == [c.job for c in convs]
    assert [len(d["ledger"]) for d in report["jobs_detail"]] == [
        len(c.placeholders) + len(c.approximations) + len(c.lint) + len(c.warnings) for c in convs]


def test_an_empty_report_is_valid_json_and_its_spool_goes_away() -> None:
    report = EstateReport()
    out = io.StringIO()
    report.write_json(out)
    assert json.loads(out.getvalue())["jobs_detail"] == [] and out.getvalue().endswith('"jobs_detail": []\n}')
    path = Path(report.path)
    assert path.is_file()
    report.close()
    assert not path.exists()


def test_every_reason_a_job_is_partial_is_in_the_dry_run_the_report_and_the_html() -> None:
    """A reason that is only a warning (no ledger entry: a service container docker.withRun does not start) makes the
    job partial: it is listed with its place in dry-run's head, the report's ledger, its Markdown and its HTML."""
    estate = convert_estate([parse_jenkinsfile("node { stage('t') { docker.image('postgres:16').withRun() { c ->\n"
                                               "  sh 'make test' } } }\n", "svc.Jenkinsfile", "svc")])
    [conv] = estate.conversions
    assert conv.status == "partial" and not conv.approximations and not conv.lint
    [warning] = conv.warnings
    assert str(warning.span) == "svc.Jenkinsfile:1:21" and "withRun" in warning.message
    assert f"#   warning: {warning}" in summary(conv)  # dry-run's head
    report = estate.report()
    [row] = list(report["jobs_detail"])
    assert row["ledger"] == [{"outcome": "warning", "element": "warning", "at": "svc.Jenkinsfile:1:21",
                              "reason": warning.message}]
    assert "- warning: `svc.Jenkinsfile:1:21` warning: docker.image" in markdown(report)
    page = html_page(report)
    assert "<details><summary>ledger: 1 entries</summary>" in page and "svc.Jenkinsfile:1:21" in page
    every = {r for j in report["jobs_detail"] for r in j["reasons"]}
    assert every == {f"{e['at']}: {e['reason']}" for e in row["ledger"]}  # every reason is in the ledger


def test_the_pools_plan_lists_the_pools_runnable_tasks_take_with_their_slots_and_jobs() -> None:
    """A lock's pool has one slot, an agent rule's pool a size the conversion does not know (said so); a pool only
    a draft's tasks take (the job runs on Jenkins) is not in the plan; summaries stored without pools read back."""
    from jenkins2flow.convert.rules import Rules, deep_merge
    from jenkins2flow.convert.summary import JobSummary

    base = own_provided()
    rules = Rules(tables={**base.tables, "agents": deep_merge(base.tables["agents"], {"labels": {"gpu": {
        "pool": "gpu_boxes"}}})}, origins=base.origins)
    gpu = parse_jenkinsfile("pipeline { agent { label 'gpu' }\n stages { stage('T') { steps { sh 'train' } } } }\n",
                            "gpu.Jenkinsfile", "gpu")
    estate = convert_estate([
        _job("deploy", "lock('staging db') { sh 'deploy' }\n lock('staging db') { sh 'smoke' }"),
        _job("migrate", "lock('staging db') { sh 'migrate' }"),
        _job("drafted", "lock('other') { sh 'x' }\n myLibraryStep()"),
        gpu,
    ], rules=rules)
    report = estate.report()
    assert report["pools"] == [
        {"pool": "gpu_boxes", "slots": None, "jobs": ["gpu"], "tasks": 1,
         "command": "airflow pools set gpu_boxes SLOTS 'Jenkins agent label (jenkins2flow)'",
         "note": report["pools"][0]["note"]},
        {"pool": "lock_staging_db", "slots": 1, "jobs": ["deploy", "migrate"], "tasks": 3,
         "command": "airflow pools set lock_staging_db 1 'Jenkins lock: one task at a time (jenkins2flow)'",
         "note": ""},
    ]
    assert "size" in report["pools"][0]["note"]
    drafted = next(c for c in estate.conversions if c.job == "drafted")
    assert drafted.pools == {"lock_other": 1} and drafted.status == "jenkins_only"
    md, page = markdown(report), html_page(report)
    assert "## Pools plan" in md and "`airflow pools set lock_staging_db 1" in md
    assert "<h2>Pools plan</h2>" in page and "lock_staging_db" in page and "gpu_boxes" in page
    stored = next(s for s in map(JobSummary.of, estate.conversions) if s.job == "deploy").to_dict()
    del stored["pools"]  # a summary saved by an earlier release
    assert JobSummary.from_dict(stored).pools == []


def test_a_summary_kept_for_the_totals_counts_and_fails_as_the_whole_one() -> None:
    """What a run's store side keeps of a job once its row is made (`for_totals`: no ledger, no entries, only the
    diagnostics its failure line reads) gives the same report, totals and failure line as the whole summary."""
    from jenkins2flow.convert.summary import JobSummary
    from tests.convert.test_estate_invariants import PROJECT_JOBS

    convs = convert_estate(iter_jobs([str(p) for p in PROJECT_JOBS])).conversions
    whole, kept = EstateReport(), EstateReport()
    with whole, kept:
        for conv in convs:
            summary = JobSummary.of(conv)
            slim = summary.for_totals()
            assert slim.failure() == summary.failure() and slim.warnings == summary.warnings
            assert len(json.dumps(slim.to_dict())) <= len(summary.row())
            whole.add_summary(summary)
            kept.add_summary(slim, summary.row())
        assert kept.totals() == whole.totals() and list(kept.rows()) == list(whole.rows())
    assert any(c.status == "failed" for c in convs) and any(JobSummary.of(c).entries for c in convs)

"""Every job of an estate is accounted for: a status with reasons, no internal error, a reason for every waived
element and placeholder, tasks for every runnable pipeline. Checked here on the project's own jobs; `make corpus`
holds the corpus to the same rules and to a runnable rate (bench/corpus)."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.convert.conversion import FALLBACK_TASK, NOT_CONVERTED_TASK
from jenkins2flow.convert.estate import Estate, convert_estate, iter_jobs
from tests.conftest import ROOT, SAMPLES

RUNNABLE = ("converted", "partial", "jenkins_only")
PROJECT_JOBS = [SAMPLES / "jenkinsfiles", SAMPLES / "jenkins_home", ROOT / "tests" / "parse" / "golden",
                ROOT / "tests" / "sources" / "data" / "jenkins_home"]


def runnable_rate(estate: Estate) -> float:
    """The share of runnable jobs (converted, partial, jenkins_only), after checking that every job is accounted for:
    a jenkins_only pipeline runs one task (the whole Jenkins job) and keeps its draft; no pipeline triggers the
    Jenkins job more than once or runs a not-converted task."""
    assert estate.conversions
    for conv in estate.conversions:
        assert conv.status in (*RUNNABLE, "unsupported", "failed")
        assert conv.reasons, conv.job
        assert not any("internal error" in d.message for d in conv.diagnostics), conv.job
        for entry in conv.ledger:
            assert entry.outcome != "waived" or entry.reason, entry
            assert entry.outcome != "placeholder" or entry.reason, entry
        if conv.status in RUNNABLE:
            assert conv.pipeline is not None and conv.pipeline.tasks
            uses = [t.uses.name for t in conv.pipeline.tasks]
            assert uses.count(FALLBACK_TASK) == (1 if conv.status == "jenkins_only" else 0), conv.job
            assert NOT_CONVERTED_TASK not in uses, conv.job
            assert not any(f.kind == "fallback" for f in conv.lint), conv.job
        if conv.status == "jenkins_only":
            assert conv.pipeline is not None and len(conv.pipeline.tasks) == 1 and conv.pipeline.draft_tasks
            assert conv.placeholders and conv.pipeline.jenkins_fallback is not None
        elif conv.status in RUNNABLE:
            assert not conv.placeholders, conv.job
    return sum(1 for c in estate.conversions if c.status in RUNNABLE) / len(estate.conversions)


def test_every_project_job_is_accounted_for() -> None:
    # each folder is its own batch: samples/jenkinsfiles and samples/jenkins_home both hold job 'daily_sales', which
    # one batch refuses to save twice (tests/adversarial/test_identity.py)
    estate = Estate([c for p in PROJECT_JOBS for c in convert_estate(iter_jobs([str(p)])).conversions])
    assert len(estate.conversions) >= 15 and runnable_rate(estate) > 0.75, estate.by("status")
    # only the two broken inputs fail (a Jenkinsfile with a syntax error, a config.xml that is not XML)
    assert sorted(c.job for c in estate.conversions if c.status == "failed") == ["broken", "recovery"]


def test_a_job_that_fails_does_not_stop_the_batch(tmp_path: Path) -> None:
    (tmp_path / "bad.Jenkinsfile").write_text("pipeline {\n  stages {\n", encoding="utf-8")
    (tmp_path / "good.Jenkinsfile").write_text("node { stage('a') { sh 'ok' } }\n",
                                               encoding="utf-8")
    estate = convert_estate(iter_jobs([str(tmp_path)]))
    by_job = {c.job: c.status for c in estate.conversions}
    assert by_job["good"] == "converted" and by_job["bad"] == "failed"
    assert runnable_rate(estate) == 0.5

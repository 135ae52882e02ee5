"""Acceptance on ../shared/corpus: every job gets a status with reasons, nothing raises, >= 85% runnable; a
jenkins_only pipeline runs one task (the whole Jenkins job) and keeps its draft; no pipeline triggers the Jenkins
job more than once."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.convert.conversion import FALLBACK_TASK, NOT_CONVERTED_TASK
from jenkins2flow.convert.estate import convert_estate, iter_jobs

RUNNABLE = ("converted", "partial", "jenkins_only")


def _rate(folder: Path) -> tuple[float, dict[str, int]]:
    estate = convert_estate(iter_jobs([str(folder)]))
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
    ok = sum(1 for c in estate.conversions if c.status in RUNNABLE)
    return ok / len(estate.conversions), estate.by("status")


def test_jenkinsfiles_reach_85_percent(corpus: Path) -> None:
    rate, statuses = _rate(corpus / "jenkinsfiles")
    assert rate >= 0.85, statuses


def test_config_xml_reach_85_percent(corpus: Path) -> None:
    rate, statuses = _rate(corpus / "configxml")
    assert rate >= 0.85, statuses

"""Acceptance on ../shared/corpus: every job gets a status with reasons, nothing raises, >= 85% runnable."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.convert.estate import convert_estate, iter_jobs


def _rate(folder: Path) -> tuple[float, dict[str, int]]:
    estate = convert_estate(iter_jobs([str(folder)]))
    for conv in estate.conversions:
        assert conv.status in ("converted", "partial", "unsupported", "failed")
        assert conv.reasons, conv.job
        assert not any("internal error" in d.message for d in conv.diagnostics), conv.job
        for entry in conv.ledger:
            assert entry.outcome != "waived" or entry.reason, entry
            assert entry.outcome != "placeholder" or entry.reason, entry
        if conv.status in ("converted", "partial"):
            assert conv.pipeline is not None and conv.pipeline.tasks
    ok = sum(1 for c in estate.conversions if c.status in ("converted", "partial"))
    return ok / len(estate.conversions), estate.by("status")


def test_jenkinsfiles_reach_85_percent(corpus: Path) -> None:
    rate, statuses = _rate(corpus / "jenkinsfiles")
    assert rate >= 0.85, statuses


def test_config_xml_reach_85_percent(corpus: Path) -> None:
    rate, statuses = _rate(corpus / "configxml")
    assert rate >= 0.85, statuses

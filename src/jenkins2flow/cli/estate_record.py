"""The estate report of `convert` / `audit`, kept next to the catalog for the catalog UI's migration view."""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime.records import save_estate_report

from jenkins2flow.convert.estate import Estate


def estate_record(estate: Estate, report: dict[str, Any]) -> dict[str, Any]:
    """The report plus, per job, its pipeline and what of its ledger was not simply mapped (with file:line:col)."""
    ledgers = [
        {"job": c.job, "pipeline": c.pipeline_name if c.pipeline is not None else "", "status": c.status,
         "mapped": sum(1 for e in c.ledger if e.outcome == "mapped"),
         "entries": [e.to_dict() for e in c.ledger if e.outcome != "mapped"],
         "diagnostics": [{"level": d.level, "message": d.message, "at": str(d.span)} for d in c.diagnostics]}
        for c in estate.conversions
    ]
    return {**report, "ledgers": ledgers}


def record_estate(uri: str, estate: Estate, report: dict[str, Any], *, command: str, sources: list[str],
                  by: str) -> str:
    return save_estate_report(uri, estate_record(estate, report), command=command, sources=sources, by=by)

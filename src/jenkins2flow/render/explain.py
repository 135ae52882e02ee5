"""A job's conversion explained as text: its status, why, and its coverage ledger (each element, what became of
it, where and why), then the lint's findings. Printed by `dry-run --explain` and `audit --explain JOB`; the summary
lines head the default `dry-run` output (docs/conversion-status.md)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jenkins2flow.convert.conversion import NOT_CONVERTED_TASK, Conversion, Outcome

# the ledger's outcomes, the ones that keep a job from `converted` first
ORDER: tuple[Outcome, ...] = ("placeholder", "approximated", "waived", "mapped")
MEANING = {
    "converted": "every element is faithful; it runs in Airflow",
    "partial": "runnable in Airflow; each approximation below is listed with its place and why",
    "jenkins_only": "one task triggers the whole Jenkins job with the run's parameters; the converted draft is kept "
                    "for review (draft_tasks)",
    "unsupported": "nothing to run",
    "failed": "the job could not be read or converted",
}


def summary(conv: Conversion) -> list[str]:
    """The status line and, for a job that is not `converted`, what keeps it from it (each with its place)."""
    lines = [f"# {conv.job}: {conv.status} ({conv.classification or 'unclassified'}): {MEANING[conv.status]}"]
    if conv.status == "jenkins_only":
        lines += [f"#   not converted: {e.span}: {e.element}: {e.reason}" for e in conv.placeholders]
    elif conv.status == "partial":
        lines += [f"#   approximated: {e.span}: {e.element}: {e.reason}" for e in conv.approximations]
        lines += [f"#   lint {f.kind}: {f}" for f in conv.lint]
        lines += [f"#   warning: {d}" for d in conv.warnings]
    elif conv.status in ("unsupported", "failed"):
        lines += [f"#   {r}" for r in conv.reasons]
    return lines


def explain(conv: Conversion) -> str:
    """The whole story of one job's conversion."""
    lines = summary(conv)
    counts = Counter(e.outcome for e in conv.ledger)
    shown = ", ".join(f"{counts[o]} {o}" for o in ORDER if counts[o])
    lines.append(f"ledger: {len(conv.ledger)} elements" + (f" ({shown})" if shown else ""))
    for outcome in ORDER:
        for e in (e for e in conv.ledger if e.outcome == outcome):
            lines.append(f"  {outcome:<12} {e.element}  {e.span}" + (f"  {e.reason}" if e.reason else ""))
    if conv.lint:
        lines.append(f"lint: {len(conv.lint)} findings")
        lines += [f"  {f.kind:<12} {f}" for f in conv.lint]
    else:
        lines.append("lint: no finding")
    if conv.pipeline is not None and conv.pipeline.jenkins_fallback is not None:
        draft = conv.pipeline.draft_tasks
        holes = sum(t.uses.name == NOT_CONVERTED_TASK for t in draft)
        lines.append(f"draft: {len(draft)} tasks kept for review ({holes} stand for elements that were not converted "
                     f"and fail until replaced); promote it with `jenkins2flow pipelines promote "
                     f"{conv.pipeline_name}`")
    return "\n".join(lines)


def pipeline_data(conv: Conversion) -> dict[str, Any]:
    """The pipeline and the documents it uses, as `dry-run` prints them (YAML)."""
    assert conv.pipeline is not None
    return {"pipeline": {"name": conv.pipeline_name, "spec": conv.pipeline.model_dump(mode="json")},
            "documents": [{"kind": d.kind, "name": d.name, "spec": d.spec.model_dump(mode="json")}
                          for d in (*conv.templates, *conv.tasks)]}


def ledger_data(conv: Conversion) -> dict[str, Any]:
    """The status, its reasons, the ledger (counts by outcome; every entry that is not `mapped`, with its place)
    and the lint's findings: what a review reads (golden files, reports)."""
    counts = Counter(e.outcome for e in conv.ledger)
    return {
        "status": conv.status,
        "reasons": conv.reasons,
        "ledger": {o: counts[o] for o in ORDER if counts[o]},
        "entries": [f"{e.span}: {e.outcome}: {e.element}" + (f": {e.reason}" if e.reason else "")
                    for o in ORDER[:3] for e in conv.ledger if e.outcome == o],
        "lint": [f"{f.kind}: {f}" for f in conv.lint],
    }

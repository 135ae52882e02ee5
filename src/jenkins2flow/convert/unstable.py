"""Jenkins' UNSTABLE build result, which Airflow has not, and the elements whose faithfulness depends on it.

Some elements are faithful only when nothing in the job can make the build UNSTABLE: `skipStagesAfterUnstable`
(Jenkins skips the stages after an UNSTABLE one), a post `unstable` block (runs only then), `success` (not then),
`unsuccessful` (then too), `changed`/`fixed`/`regression` (UNSTABLE is a result of its own), a downstream trigger's
threshold. Their rules keep a waiver (or mapping) that is true only in such a job: `Ctx.unless_unstable` records it,
and `settle` at the end of the job, once every step is converted, makes it an approximation naming the source when
the job has one.

The sources are an explicit list, each registered where it is converted with `Ctx.unstable_source` (SOURCES names
them); with how the Airflow run goes on where Jenkins' build became UNSTABLE:
- `on`: the run goes on and ends success (the junit check logs the failed tests, a catchError with buildResult
  UNSTABLE caught the failure, `currentBuild.result = 'UNSTABLE'` is not recorded, an `unstable 'msg'` step logs
  its warning, a TriggerBuilder's unstableThreshold: the trigger task succeeds, a recordIssues quality gate is not
  evaluated, `build job:` with propagate: the downstream's converted run has no UNSTABLE either);
- `fails`: the task fails and the run stops there (a Shell/BatchFile builder's `unstableReturn`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from jenkins2flow.convert.conversion import LedgerEntry
from jenkins2flow.ir import Span

Run = Literal["on", "fails"]  # what the Airflow run does where Jenkins' build became UNSTABLE
RUNS: tuple[Run, ...] = ("on", "fails")
# what registers a source, and where (Ctx.unstable_source): the list `settle` decides from
SOURCES = {
    "step junit / JUnitResultArchiver": ("on", "convert.handlers.outputs: failed tests, unless skipMarking*Unstable"),
    "step catchError / warnError buildResult UNSTABLE": ("on", "convert.regions.caught_region"),
    "step unstable": ("on", "convert.handlers.commands: the task logs the warning"),
    "currentBuild.result = 'UNSTABLE'": ("on", "convert.regions.result_assignment"),
    "builder TriggerBuilder unstableThreshold": ("on", "convert.handlers.downstream: a downstream failure"),
    "step recordIssues qualityGates": ("on", "convert.handlers.outputs: a gate reached (criticality UNSTABLE, the "
                                             "default, or unstable: true); the run does not evaluate it"),
    "step build propagate": ("on", "convert.handlers.downstream: an UNSTABLE downstream build; the trigger task "
                                   "follows the downstream run, which ends success (or fails where its own source "
                                   "fails), and this run goes on"),
    "builder Shell / BatchFile unstableReturn": ("fails", "convert.handlers.commands"),
}


@dataclass(frozen=True, slots=True)
class Source:
    """Something in the job that can make Jenkins' build UNSTABLE: what, where, and what the run does there."""

    what: str
    span: Span
    run: Run

    def __str__(self) -> str:
        return f"{self.what} at {self.span}"


@dataclass(frozen=True, slots=True)
class Pending:
    """A ledger entry (at `index`; None: none yet) faithful only while no source of the kinds `runs` is in the job;
    `consequence` says what differs then."""

    index: int | None
    element: str
    span: Span
    key: str
    consequence: str
    runs: tuple[Run, ...]


def settle(ledger: list[LedgerEntry], sources: Iterable[Source], pending: Iterable[Pending]) -> None:
    """Each pending entry whose kinds of source the job has becomes an approximation naming the first of them (and
    how many more); the others stay as they are (their waiver is then true)."""
    found = list(sources)
    for p in pending:
        hits = [s for s in found if s.run in p.runs]
        if not hits:
            continue
        more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
        reason = f"{hits[0]}{more} can make the build UNSTABLE, {p.consequence}"
        if p.index is not None and p.index < len(ledger) and ledger[p.index].element == p.element:
            ledger[p.index] = replace(ledger[p.index], outcome="approximated", reason=reason)
        else:
            ledger.append(LedgerEntry(p.element, "approximated", p.span, reason, p.key))

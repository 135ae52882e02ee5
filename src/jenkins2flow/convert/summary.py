"""The estate report, built as jobs stream by: a small summary per job (what the report, the catalog UI's migration
view and the audit's Markdown/HTML show of it) written to a spool file, and the estate's totals kept as counters,
so that memory does not grow with the estate's conversions.

A job's summary is plain data (`JobSummary.to_dict`), stored with the job's state so that a job left alone on a
re-run still counts, from its last conversion. `EstateReport.report()` is the report `audit --json` prints and
`convert --report` writes: its totals, then `jobs_detail` (one row per job, in order), the same as when every
conversion was kept in memory.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import IO, Any

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.triggers import schedule_line

# effort in engineer-hours: per job by status, plus per placeholder to finish by hand
EFFORT_HOURS = {"converted": 0.25, "partial": 1.0, "jenkins_only": 1.0, "unsupported": 4.0, "failed": 2.0}
EFFORT_PER_PLACEHOLDER = 0.5
DETAIL_FIELDS = ("job", "kind", "status", "classification", "schedule", "reasons", "classification_reasons",
                 "placeholders", "jenkins_only", "source", "ledger")  # a row of the report's jobs_detail
LEDGER_FIELDS = ("job", "pipeline", "status", "mapped", "entries", "diagnostics")  # a row of the migration view


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One job's conversion as the reports show it."""

    job: str
    kind: str
    status: str
    classification: str
    schedule: str  # the schedule in one line, "" when the job has no cron
    reasons: list[str]  # why the status is what it is (the first 5)
    classification_reasons: list[str]  # the first 5
    placeholders: int
    jenkins_only: bool
    source: str
    ledger: list[dict[str, str]]  # what keeps the job from `converted` (placeholders, approximations, lint)
    pipeline: str  # "" when the job has no pipeline
    mapped: int  # ledger entries mapped
    entries: list[dict[str, Any]]  # every ledger entry that is not simply mapped
    diagnostics: list[dict[str, str]]
    # for the estate's totals
    placeholder_keys: list[str]  # per placeholder, its key (plugin class, step) or element
    credentials: list[dict[str, Any]]  # per use: credentials_id, source, id (Airflow), at, binding, env
    tasks: list[str]  # per pipeline task, the task it uses
    templates: list[str]  # the parameter templates
    lint: list[str]  # per lint finding, its kind
    timezone: str  # the schedule's time zone ("" without a cron)
    warnings: int  # warning diagnostics (lint findings included)
    pools: list[dict[str, Any]]  # per Airflow pool the pipeline's tasks take: pool, slots (None: not known), tasks

    @classmethod
    def of(cls, conv: Conversion, timezone_given: bool = False) -> JobSummary:
        pipeline = conv.pipeline
        schedule = pipeline.schedule if pipeline is not None else None
        cron = schedule is not None and bool(schedule.cron)
        return cls(
            job=conv.job, kind=conv.kind, status=conv.status, classification=conv.classification,
            schedule="paused: the Jenkins job is disabled" if pipeline is not None and pipeline.paused else
            schedule_line(schedule, timezone_given) if schedule is not None and cron else "",
            reasons=conv.reasons[:5], classification_reasons=conv.class_reasons[:5],
            placeholders=len(conv.placeholders), jenkins_only=conv.jenkins_only, source=conv.source,
            ledger=ledger(conv), pipeline=conv.pipeline_name if pipeline is not None else "",
            mapped=sum(1 for e in conv.ledger if e.outcome == "mapped"),
            entries=[e.to_dict() for e in conv.ledger if e.outcome != "mapped"],
            diagnostics=[{"level": d.level, "message": d.message, "at": str(d.span)} for d in conv.diagnostics],
            placeholder_keys=[e.key or e.element for e in conv.placeholders],
            credentials=[{"credentials_id": u.credentials_id, "source": u.source, "id": u.airflow_id, "job": u.job,
                          "at": str(u.span), "binding": u.binding, "env": list(u.env), "kind": u.kind}
                         for u in conv.credentials],
            tasks=[t.uses.name for t in pipeline.tasks] if pipeline is not None else [],
            templates=[d.name for d in conv.templates], lint=[f.kind for f in conv.lint],
            timezone=schedule.timezone if schedule is not None and cron else "",
            warnings=sum(1 for d in conv.diagnostics if d.level == "warning"),
            pools=pools_used(conv),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the lists are this summary's own, not copies)."""
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSummary:
        """A summary as `to_dict` made it; one saved by an earlier release (without pools) reads as using none."""
        return cls(**{name: ADDED[name]() if name in ADDED and name not in data else data[name]
                      for name in SUMMARY_FIELDS})

    def row(self) -> str:
        """The summary as a report row: JSON on one line (control characters are escaped)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    def for_totals(self) -> JobSummary:
        """This summary without what only its row shows (the ledger, its entries, the diagnostics `failure` does not
        read): what the store side of a run keeps of a job once its row is made (convert.workers.finished)."""
        errors = [d for d in self.diagnostics if d["level"] == "error"]
        return replace(self, ledger=[], entries=[], diagnostics=errors or self.diagnostics[:1])

    def failure(self) -> str:
        """One `path:line:col: message` line for a failed job: its first error, and how many more."""
        errors = [d for d in self.diagnostics if d["level"] == "error"]
        first = errors or self.diagnostics
        if not first:
            return f"{self.source}:1:1: {self.reasons[0] if self.reasons else self.status}"
        more = len(errors) - 1
        return f"{first[0]['at']}: {first[0]['message']}" + (f" (and {more} more errors)" if more > 0 else "")

    def detail(self) -> dict[str, Any]:
        """The job's row of the report's jobs_detail."""
        return {k: getattr(self, k) for k in DETAIL_FIELDS}


SUMMARY_FIELDS = tuple(f.name for f in fields(JobSummary))
ADDED: dict[str, Any] = {"pools": list}  # fields stored summaries of earlier releases lack -> their empty value


def pools_used(conv: Conversion) -> list[dict[str, Any]]:
    """The Airflow pools the runnable pipeline's tasks take (not its draft's), in order, with the slots the
    conversion knows (a lock's pool: 1; an agent rule's: None) and how many tasks take each."""
    counts: Counter[str] = Counter(t.pool for t in conv.pipeline.tasks if t.pool) if conv.pipeline else Counter()
    return [{"pool": name, "slots": conv.pools.get(name), "tasks": n} for name, n in counts.items()]


def pool_description(slots: int | None) -> str:
    """The description of a pool the plan asks for (a lock's pool has one slot, an agent rule's an unknown size)."""
    return f"{'Jenkins lock: one task at a time' if slots == 1 else 'Jenkins agent label'} (jenkins2flow)"


def pool_command(name: str, slots: int | None) -> str:
    """The Airflow CLI command creating a pool; SLOTS stands for a size the conversion does not know."""
    return f"airflow pools set {shlex.quote(name)} {slots if slots is not None else 'SLOTS'} " \
           f"{shlex.quote(pool_description(slots))}"


def ledger(conv: Conversion) -> list[dict[str, str]]:
    """What keeps a job from `converted`, each with its place and why: placeholders (not convertible), then
    approximations (runnable, not exactly Jenkins), the lint's findings (silent errors in the tasks), then the
    other warnings (a parameter type kept as a string, docker arguments...): every reason the status gives."""
    out = [{"outcome": e.outcome, "element": e.element, "at": str(e.span), "reason": e.reason}
           for e in (*conv.placeholders, *conv.approximations)]
    out += [{"outcome": f"lint {f.kind}", "element": f"task {f.task}", "at": str(f.span), "reason": f.message}
            for f in conv.lint]
    out += [{"outcome": "warning", "element": d.code or "warning", "at": str(d.span), "reason": d.message}
            for d in conv.warnings]
    return out


class EstateReport:
    """The estate's report, fed one job at a time (`add`, or `add_summary` for a job converted by an earlier run).
    Per-job rows go to a temporary spool file, read back in order by `details` and `summaries`; `close` removes it."""

    def __init__(self, timezone: str | None = None) -> None:
        self.timezone = timezone  # Jenkins' default time zone given with --timezone (None: UTC assumed)
        self.jobs = 0
        self.runnable = 0
        self.jenkins_only = 0
        self.statuses: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.classes: Counter[str] = Counter()
        self.placeholders: Counter[str] = Counter()
        self.placeholder_jobs: Counter[str] = Counter()
        self.plan: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, dict[str, Any]] = {}  # pool -> its entry of the pools plan
        self.steps = 0
        self.uses: Counter[str] = Counter()  # task -> pipelines using it
        self.templates: set[str] = set()
        self.with_params = 0
        self.hours = 0.0
        self.zones: Counter[str] = Counter()
        self.lint_kinds: Counter[str] = Counter()
        self.lint_jobs = 0
        self.warnings = 0
        self.warning_jobs = 0
        fd, self.path = tempfile.mkstemp(prefix="jenkins2flow-report-", suffix=".jsonl")
        self._spool: IO[bytes] = os.fdopen(fd, "wb")
        self._cleanup = weakref.finalize(self, _remove, self._spool, self.path)

    def add(self, conv: Conversion) -> JobSummary:
        summary = JobSummary.of(conv, self.timezone is not None)
        self.add_summary(summary)
        return summary

    def add_summary(self, s: JobSummary, row: str | None = None) -> str:
        """Count the job in; returns its row as spooled (JSON; `row` when given, made by `JobSummary.row`)."""
        self.jobs += 1
        self.runnable += bool(s.pipeline)
        self.jenkins_only += s.jenkins_only
        self.statuses[s.status] += 1
        self.kinds[s.kind] += 1
        self.classes[s.classification] += 1
        self.placeholders.update(s.placeholder_keys)
        self.placeholder_jobs.update(set(s.placeholder_keys))
        for u in s.credentials:
            entry = self.plan.setdefault(u["credentials_id"], {"credentials_id": u["credentials_id"], "airflow": [],
                                                               "uses": []})
            target = {"source": u["source"], "id": u["id"]}
            if target not in entry["airflow"]:
                entry["airflow"].append(target)
            entry["uses"].append({"job": u["job"], "at": u["at"], "binding": u["binding"], "env": list(u["env"])})
            if u.get("kind") and (u["kind"] != "unknown" or not entry.get("kind")):
                entry["kind"] = u["kind"]  # environment credentials(): the kind it was bound by ("unknown": a guess)
        for p in s.pools:
            pool = self.pools.setdefault(p["pool"], {"pool": p["pool"], "slots": None, "jobs": [], "tasks": 0})
            if pool["slots"] is None:
                pool["slots"] = p["slots"]
            pool["jobs"].append(s.job)
            pool["tasks"] += p["tasks"]
        self.steps += len(s.tasks)
        self.uses.update(dict.fromkeys(s.tasks, 1))
        self.templates.update(s.templates)
        self.with_params += bool(s.templates)
        self.hours += EFFORT_HOURS[s.status] + EFFORT_PER_PLACEHOLDER * s.placeholders
        if s.timezone:
            self.zones[s.timezone] += 1
        self.lint_kinds.update(s.lint)
        self.lint_jobs += bool(s.lint)
        self.warnings += s.warnings
        self.warning_jobs += bool(s.warnings)
        row = s.row() if row is None else row
        # a spool line: [job, status] as JSON, a tab, the row (JSON escapes every tab and newline in its strings)
        self._spool.write(f"{json.dumps([s.job, s.status], ensure_ascii=False)}\t{row}\n".encode())
        return row

    # ---- reading ----------------------------------------------------------------------------------------------

    def rows(self) -> Iterator[str]:
        """Every job's summary as JSON (`JobSummary.to_dict`), in the order added."""
        return (row for _, _, row in self.columns())

    def columns(self) -> Iterator[tuple[str, str, str]]:
        """Every job's name, status and row (`rows`), in the order added: what a stored report's job rows hold,
        without decoding each row again (runtime records.save_estate_report)."""
        self._spool.flush()
        with open(self.path, "rb") as fh:
            for line in fh:
                head, _, row = line[:-1].decode("utf-8").partition("\t")
                job, status = json.loads(head)
                yield job, status, row

    def summaries(self) -> Iterator[JobSummary]:
        """Every job's summary, in the order added."""
        return (JobSummary.from_dict(json.loads(row)) for row in self.rows())

    def details(self) -> Iterator[dict[str, Any]]:
        """The report's jobs_detail rows, in order."""
        return (s.detail() for s in self.summaries())

    def totals(self) -> dict[str, Any]:
        """The report without its jobs_detail."""
        shared = sorted(((n, k) for n, k in self.uses.items() if k > 1), key=lambda x: -x[1])
        return {
            "jobs": self.jobs,
            "runnable": self.runnable,
            "jenkins_only": self.jenkins_only,
            "by_status": dict(self.statuses.most_common()),
            "by_kind": dict(self.kinds.most_common()),
            "by_classification": dict(self.classes.most_common()),
            "unsupported": [{"element": k, "count": n, "jobs": self.placeholder_jobs[k]}
                            for k, n in self.placeholders.most_common(20)],
            "credentials": sorted(self.plan.values(), key=lambda e: (-len(e["uses"]), e["credentials_id"])),
            "pools": [{**p, "jobs": list(p["jobs"]), "command": pool_command(p["pool"], p["slots"]),
                       "note": "" if p["slots"] is not None else "the agent rule names the pool, not its size: "
                       "give it the slots (how many of its tasks run at once) its Jenkins agents had"}
                      for _, p in sorted(self.pools.items())],
            "reuse": {"pipeline_tasks": self.steps, "distinct_tasks": len(self.uses),
                      "collapse_ratio": round(self.steps / len(self.uses), 2) if self.uses else 0.0,
                      "shared_tasks": [{"task": n, "pipelines": k} for n, k in shared[:25]],
                      "jobs_with_parameters": self.with_params, "distinct_parameter_templates": len(self.templates)},
            "effort": {"hours": round(self.hours, 1), "days": round(self.hours / 6, 1),
                       "model": {"per_job": EFFORT_HOURS, "per_placeholder": EFFORT_PER_PLACEHOLDER}},
            "schedules": {"default_timezone": self.timezone or "UTC", "default_given": self.timezone is not None,
                          "by_timezone": dict(self.zones.most_common())},
            "lint": {"findings": sum(self.lint_kinds.values()), "by_kind": dict(self.lint_kinds.most_common()),
                     "jobs": self.lint_jobs},
        }

    def report(self) -> dict[str, Any]:
        """The whole report, its jobs_detail a re-readable view of the spool (iterate it, or `len` it)."""
        return {**self.totals(), "jobs_detail": Rows(self)}

    def write_json(self, out: IO[str]) -> None:
        """The report as `json.dumps(report, indent=1)` writes it, the jobs read from the spool as they go out."""
        out.write("{")
        for i, (name, value) in enumerate(self.totals().items()):
            out.write(("," if i else "") + f"\n {json.dumps(name)}: " + _nested(value, 1))
        out.write(',\n "jobs_detail": [')
        for i, row in enumerate(self.details()):
            out.write(("," if i else "") + "\n  " + _nested(row, 2))
        out.write("\n ]\n}" if self.jobs else "]\n}")

    def close(self) -> None:
        self._cleanup()

    def __enter__(self) -> EstateReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Rows:
    """The jobs_detail of an EstateReport: iterated again each time (Markdown reads it twice), and sized."""

    def __init__(self, report: EstateReport) -> None:
        self.report = report

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.report.details()

    def __len__(self) -> int:
        return self.report.jobs


def _nested(value: Any, level: int) -> str:
    """`value` as json.dumps(indent=1) writes it `level` deep in a document."""
    return json.dumps(value, indent=1, default=str).replace("\n", "\n" + " " * level)


def _remove(spool: IO[bytes], path: str) -> None:
    spool.close()
    try:
        os.unlink(path)
    except OSError:
        pass


__all__ = ["EFFORT_HOURS", "EFFORT_PER_PLACEHOLDER", "EstateReport", "JobSummary", "Rows", "ledger", "pool_command",
           "pool_description", "pools_used"]

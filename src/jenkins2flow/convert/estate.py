"""Converting a whole estate: one job at a time (a failure never stops the batch), then the estate reports:
reuse (how many tasks the estate collapses to), the credentials plan, unsupported elements, effort."""

from __future__ import annotations

import fnmatch
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.identity import claim, source_of
from jenkins2flow.convert.job import convert_job, default_rules
from jenkins2flow.convert.links import estate_links
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rules
from jenkins2flow.convert.triggers import schedule_line
from jenkins2flow.errors import UsageError
from jenkins2flow.ir import Diagnostic, Job

# effort in engineer-hours: per job by status, plus per placeholder to finish by hand
EFFORT_HOURS = {"converted": 0.25, "partial": 1.0, "jenkins_only": 1.0, "unsupported": 4.0, "failed": 2.0}
EFFORT_PER_PLACEHOLDER = 0.5


def iter_jobs(sources: Iterable[str]) -> Iterator[Job]:
    """Jobs from SOURCE arguments (JENKINS_HOME, folders, files, globs, URLs), through jenkins2flow.sources."""
    from jenkins2flow.sources import iter_jobs as source_jobs

    for src in sources:
        yield from source_jobs(src)


def named(jobs: Iterable[Job], job_name: str = "") -> Iterator[Job]:
    """`jobs`, or, with `job_name` (--job-name), its one job under that Jenkins full name (a loose Jenkinsfile's
    name is otherwise guessed from its file name); more than one job is a usage error."""
    if not job_name:
        yield from jobs
        return
    found = list(jobs)
    if len(found) != 1:
        raise UsageError(f"--job-name {job_name!r} names one job, but the sources hold {len(found)} jobs; give one "
                         "file at a time.")
    yield replace(found[0], full_name=job_name.strip("/"), name_guessed=False)


@dataclass
class Estate:
    conversions: list[Conversion] = field(default_factory=list)
    timezone: str | None = None  # Jenkins' default time zone given with --timezone (None: UTC assumed)

    def add(self, conv: Conversion) -> None:
        self.conversions.append(conv)

    # ---- reports ---------------------------------------------------------------------------------------------

    def by(self, attr: str) -> dict[str, int]:
        return dict(Counter(getattr(c, attr) for c in self.conversions).most_common())

    def reuse(self) -> dict[str, Any]:
        uses: dict[str, set[str]] = defaultdict(set)
        steps = 0
        for c in self.conversions:
            if c.pipeline is None:
                continue
            for t in c.pipeline.tasks:
                steps += 1
                uses[t.uses.name].add(c.pipeline_name)
        templates = {d.name for c in self.conversions for d in c.templates}
        jobs_with_params = sum(1 for c in self.conversions if c.templates)
        shared = sorted(((n, len(p)) for n, p in uses.items() if len(p) > 1), key=lambda x: -x[1])
        return {"pipeline_tasks": steps, "distinct_tasks": len(uses),
                "collapse_ratio": round(steps / len(uses), 2) if uses else 0.0,
                "shared_tasks": [{"task": n, "pipelines": k} for n, k in shared[:25]],
                "jobs_with_parameters": jobs_with_params, "distinct_parameter_templates": len(templates)}

    def credentials_plan(self) -> list[dict[str, Any]]:
        plan: dict[str, dict[str, Any]] = {}
        for c in self.conversions:
            for u in c.credentials:
                entry = plan.setdefault(u.credentials_id, {"credentials_id": u.credentials_id, "airflow": [],
                                                           "uses": []})
                target = {"source": u.source, "id": u.airflow_id}
                if target not in entry["airflow"]:
                    entry["airflow"].append(target)
                entry["uses"].append({"job": u.job, "at": str(u.span), "binding": u.binding, "env": list(u.env)})
        return sorted(plan.values(), key=lambda e: (-len(e["uses"]), e["credentials_id"]))

    def unsupported(self, top: int = 20) -> list[dict[str, Any]]:
        counts: Counter[str] = Counter()
        jobs: dict[str, set[str]] = defaultdict(set)
        for c in self.conversions:
            for e in c.placeholders:
                counts[e.key or e.element] += 1
                jobs[e.key or e.element].add(c.job)
        return [{"element": k, "count": n, "jobs": len(jobs[k])} for k, n in counts.most_common(top)]

    def effort(self) -> dict[str, Any]:
        hours = sum(EFFORT_HOURS[c.status] + EFFORT_PER_PLACEHOLDER * len(c.placeholders) for c in self.conversions)
        return {"hours": round(hours, 1), "days": round(hours / 6, 1),
                "model": {"per_job": EFFORT_HOURS, "per_placeholder": EFFORT_PER_PLACEHOLDER}}

    def schedules(self) -> dict[str, Any]:
        """How many jobs run on a schedule, by time zone, and the default zone used for specs without TZ=."""
        zones = Counter(c.pipeline.schedule.timezone for c in self.conversions
                        if c.pipeline is not None and c.pipeline.schedule is not None and c.pipeline.schedule.cron)
        return {"default_timezone": self.timezone or "UTC", "default_given": self.timezone is not None,
                "by_timezone": dict(zones.most_common())}

    def report(self) -> dict[str, Any]:
        total = len(self.conversions)
        runnable = sum(1 for c in self.conversions if c.pipeline is not None)
        return {
            "jobs": total,
            "runnable": runnable,
            "jenkins_only": sum(1 for c in self.conversions if c.jenkins_only),
            "by_status": self.by("status"),
            "by_kind": self.by("kind"),
            "by_classification": self.by("classification"),
            "unsupported": self.unsupported(),
            "credentials": self.credentials_plan(),
            "reuse": self.reuse(),
            "effort": self.effort(),
            "schedules": self.schedules(),
            "lint": self.lint(),
            "jobs_detail": [{"job": c.job, "kind": c.kind, "status": c.status, "classification": c.classification,
                             "schedule": _schedule(c, self.timezone is not None),
                             "reasons": c.reasons[:5], "classification_reasons": c.class_reasons[:5],
                             "placeholders": len(c.placeholders), "jenkins_only": c.jenkins_only,
                             "source": c.source, "ledger": ledger(c)} for c in self.conversions],
        }

    def lint(self) -> dict[str, Any]:
        """The lint's findings over the estate: by kind, and how many jobs have any."""
        kinds = Counter(f.kind for c in self.conversions for f in c.lint)
        return {"findings": sum(kinds.values()), "by_kind": dict(kinds.most_common()),
                "jobs": sum(1 for c in self.conversions if c.lint)}


def ledger(conv: Conversion) -> list[dict[str, str]]:
    """What keeps a job from `converted`, each with its place and why: placeholders (not convertible), then
    approximations (runnable, not exactly Jenkins), then the lint's findings (silent errors in the tasks)."""
    out = [{"outcome": e.outcome, "element": e.element, "at": str(e.span), "reason": e.reason}
           for e in (*conv.placeholders, *conv.approximations)]
    out += [{"outcome": f"lint {f.kind}", "element": f"task {f.task}", "at": str(f.span), "reason": f.message}
            for f in conv.lint]
    return out


def _schedule(conv: Conversion, given: bool) -> str:
    schedule = conv.pipeline.schedule if conv.pipeline is not None else None
    return schedule_line(schedule, given) if schedule is not None and schedule.cron else ""


def convert_estate(jobs: Iterable[Job], *, rules: Rules | None = None, workspace: Path | None = None,
                   overrides: dict[str, str] | None = None, only: str = "",
                   on_job: Callable[[Conversion], None] | None = None, timezone: str | None = None) -> Estate:
    rules = rules or default_rules()
    estate = Estate(timezone=timezone)
    # each pipeline name belongs to one job of the batch: a later job claiming it is refused (convert.identity)
    claimed = list(claim(job for job in jobs if not only or fnmatch.fnmatchcase(job.full_name, only)))
    # upstream/downstream links need the whole estate before any job converts
    links = estate_links(job for job, refused in claimed if refused is None)
    for job, refused in claimed:
        if refused is not None:
            conv = Conversion(job=job.full_name, pipeline_name=safe_name(job.full_name), status="failed",
                              kind=job.kind, source=source_of(job), diagnostics=[refused], reasons=[str(refused)])
        else:
            try:
                conv = convert_job(job, rules, workspace, overrides, links, timezone)
            except Exception as exc:  # pragma: no cover - convert_job already isolates; belt and braces
                conv = Conversion(job=job.full_name, pipeline_name=job.full_name, status="failed", kind=job.kind)
                conv.diagnostics.append(Diagnostic("error", f"internal error: {exc}", job.span))
        estate.add(conv)
        if on_job is not None:
            on_job(conv)
    return estate

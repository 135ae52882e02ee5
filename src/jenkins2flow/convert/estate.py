"""Converting a whole estate, one job at a time: `convert_stream` takes jobs as they are read and gives each one's
conversion (a failure never stops the batch; a job whose pipeline name another job of the batch holds is refused:
convert.identity). `convert_estate` keeps every conversion in memory (one job, a test, a small folder); the estate
service (jenkins2flow.estate_service) streams a large estate into the catalog."""

from __future__ import annotations

import fnmatch
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.identity import claim, source_of
from jenkins2flow.convert.job import convert_job, default_rules
from jenkins2flow.convert.links import Links, estate_links
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rules
from jenkins2flow.convert.summary import EFFORT_HOURS, EFFORT_PER_PLACEHOLDER, EstateReport, ledger
from jenkins2flow.errors import UsageError
from jenkins2flow.ir import Diagnostic, Job

if TYPE_CHECKING:
    from jenkins2flow.convert.workers import Later, Workers


@dataclass(frozen=True)
class ConvertOptions:
    """How an estate's jobs are converted (the options of audit, convert and dry-run)."""

    rules: Rules | None = None  # None: the default mappings
    workspace: Path | None = None  # the jobs' checkout (SQL files, Jenkinsfiles from SCM)
    overrides: Mapping[str, str] = field(default_factory=dict)  # per-job classification (--classify)
    only: str = ""  # a glob on full names
    timezone: str | None = None  # Jenkins' default time zone (None: UTC, noted)
    job_name: str = ""  # the full name of the one loose job given (--job-name)


@dataclass(slots=True)
class Converted:
    """One job of the stream: its conversion, or None when the job was not read (a stub: `sources.is_unread`), and
    the links its conversion read (`Links.view`)."""

    job: Job
    conv: Conversion | None
    links: Links | None = None
    later: Later | None = None  # a job deferred to a worker process (convert.workers): its conversion to come


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


def picked(jobs: Iterable[Job], options: ConvertOptions) -> Iterator[Job]:
    """The jobs the options select (--job-name renames the one loose job, --only filters), in order."""
    return (job for job in named(jobs, options.job_name)
            if not options.only or fnmatch.fnmatchcase(job.full_name, options.only))


def convert_stream(jobs: Iterable[Job], options: ConvertOptions, links: Links | None = None,
                   workers: Workers | None = None) -> Iterator[Converted]:
    """Each selected job converted as it comes, with the estate's `links` (computed by the caller from a first
    look at the estate; when None, from `jobs` themselves, which are then held in memory first). With `workers`
    (whose peek read `jobs`), a job it deferred comes with its conversion to come (`Converted.later`)."""
    from jenkins2flow.sources import is_unread

    claimed: Iterable[tuple[Job, Diagnostic | None]] = claim(picked(jobs, options),
                                                             links.contested if links is not None else None)
    if links is None:
        claimed = list(claimed)
        links = estate_links(job for job, refused in claimed if refused is None)
    convert = converter(options)
    for job, refused in claimed:
        if workers is not None and workers.deferred(job):
            if refused is None:
                yield Converted(job, None, later=workers.submit(job))
                continue
            job = workers.read(job)
            refused = replace(refused, span=job.span)  # the place of the job as read, not of its stub
        if refused is not None:
            yield Converted(job, Conversion(job=job.full_name, pipeline_name=safe_name(job.full_name), status="failed",
                                            kind=job.kind, source=source_of(job), diagnostics=[refused],
                                            reasons=[str(refused)]))
        elif is_unread(job):
            yield Converted(job, None)
        else:
            view = links.view()
            yield Converted(job, convert(job, view), view)


def converter(options: ConvertOptions) -> Callable[[Job, Links], Conversion]:
    """How each job of a run converts, given its view of the links (in this process or a worker's)."""
    return functools.partial(_convert_one, options.rules or default_rules(), options)


def _convert_one(rules: Rules, options: ConvertOptions, job: Job, links: Links) -> Conversion:
    try:
        return convert_job(job, rules, options.workspace, dict(options.overrides), links, options.timezone)
    except Exception as exc:  # pragma: no cover - convert_job already isolates; belt and braces
        conv = Conversion(job=job.full_name, pipeline_name=job.full_name, status="failed", kind=job.kind)
        conv.diagnostics.append(Diagnostic("error", f"internal error: {exc}", job.span))
        return conv


@dataclass
class Estate:
    """Every conversion of a (small) estate, kept in memory, and its report."""

    conversions: list[Conversion] = field(default_factory=list)
    timezone: str | None = None  # Jenkins' default time zone given with --timezone (None: UTC assumed)

    def add(self, conv: Conversion) -> None:
        self.conversions.append(conv)

    def by(self, attr: str) -> dict[str, int]:
        return dict(Counter(getattr(c, attr) for c in self.conversions).most_common())

    def report(self) -> dict[str, Any]:
        """The estate report (convert.summary), its jobs_detail a list."""
        with EstateReport(self.timezone) as report:
            for conv in self.conversions:
                report.add(conv)
            return {**report.totals(), "jobs_detail": list(report.details())}

    def reuse(self) -> dict[str, Any]:
        return self.report()["reuse"]  # type: ignore[no-any-return]


def convert_estate(jobs: Iterable[Job], *, rules: Rules | None = None, workspace: Path | None = None,
                   overrides: Mapping[str, str] | None = None, only: str = "", timezone: str | None = None,
                   job_name: str = "") -> Estate:
    """Convert every job, keeping each conversion (refused and unread jobs included as they come)."""
    options = ConvertOptions(rules, workspace, overrides or {}, only, timezone, job_name)
    return Estate([c.conv for c in convert_stream(jobs, options) if c.conv is not None], timezone)


__all__ = ["EFFORT_HOURS", "EFFORT_PER_PLACEHOLDER", "ConvertOptions", "Converted", "Estate", "convert_estate",
           "convert_stream", "converter", "iter_jobs", "ledger", "named", "picked"]

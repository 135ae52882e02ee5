"""Job identity: a pipeline belongs to one Jenkins job, named by its full name (`folder/sub/job`) and read from one
source. Two jobs never share a pipeline: not within a batch (`claim`), not across batches (`stored_owner`).

| case | result |
|---|---|
| two jobs of one batch with one pipeline name (a hash collision, a truncated name) | the second is an error |
| one full name from two sources (two JENKINS_HOMEs, two loose `test/config.xml`) | the second is an error |
| one job from one source named twice (`convert home home`) | converted once |
| a name the first look read once, read twice when converting (the estate changed in between) | the second is an error |
| a stored pipeline whose provenance is another job or another source | an error, never a new version |
| the same job from the same source again | saved as usual (no new version when unchanged) |

Sources are the same when their text is equal or they are the same file (paths resolved from the working
directory). A stored pipeline with no provenance (made by hand) is another owner too. A stored
pipeline whose latest version is retired may be taken over (`jenkins2flow pipelines retire NAME`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from jenkins2flow.convert.naming import safe_name
from jenkins2flow.ir import Diagnostic, Job


class IdentityConflict(ValueError):
    """A pipeline would hold two Jenkins jobs; the message names both and says what to do."""


def source_of(job: Job) -> str:
    return job.source or job.span.path


def same_source(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b or "://" in a or "://" in b:
        return False
    return os.path.realpath(a) == os.path.realpath(b)


def claim(jobs: Iterable[Job], contested: AbstractSet[str] | None = None,
          repeated: set[str] | None = None) -> Iterator[tuple[Job, Diagnostic | None]]:
    """Each job with None when its pipeline name is its own in the batch, else the error that refuses it (the first
    job keeps the name). A job read twice from the same source is yielded once.

    `repeated` collects the names read more than once. `contested`: those of a first look at the same jobs (the
    estate service's): only their first jobs are kept whole, any other name as a name alone, so that a large
    estate's claims stay small. A name read twice that the look read once (the estate changed in between) refuses
    the second job without naming the first."""
    owners: dict[str, tuple[str, str]] = {}  # pipeline -> its job's full name and source (no Job kept)
    names: set[str] = set()  # the other pipelines, with `contested`
    for job in jobs:
        name = safe_name(job.full_name)
        if contested is not None and name not in contested:
            if name not in names:
                names.add(name)
                yield job, None
                continue
            if repeated is not None:
                repeated.add(name)
            yield job, Diagnostic("error", f"job {job.full_name!r} maps to pipeline {name!r}, which a job read "
                                  "earlier in this batch holds (the estate changed since the first look at it); one "
                                  f"pipeline never holds two Jenkins jobs, so nothing is saved for {job.full_name!r} "
                                  f"from {source_of(job) or '(no source)'}: convert again.", job.span, code="identity")
            continue
        me = (job.full_name, source_of(job))
        first = owners.setdefault(name, me)
        if first is me:
            yield job, None
            continue
        if repeated is not None:
            repeated.add(name)
        if first[0] == job.full_name and same_source(first[1], me[1]):
            continue
        # the first job is named by its source: it may not be parsed yet (convert.workers)
        yield job, Diagnostic("error", conflict(name, job.full_name, me[1], first[0], first[1], "in this batch"),
                              job.span, code="identity")


def conflict(pipeline: str, job: str, source: str, owner: str, owner_at: str, where: str) -> str:
    """One sentence naming both jobs and both sources (`owner_at`: the owner's source or `path:line:col`)."""
    owner_at = owner_at or "(no source)"
    if job == owner:
        what = f"job {job!r} is also read from {owner_at} {where}"
        fix = "convert each Jenkins into its own store (--store) or select one with --only"
    else:
        what = f"job {job!r} and job {owner!r} ({owner_at}) {where} both map to pipeline {pipeline!r}"
        fix = "rename one of the jobs in Jenkins, or convert them into different stores (--store)"
    return (f"{what}; one pipeline never holds two Jenkins jobs, so nothing is saved for {job!r} from "
            f"{source or '(no source)'}: {fix}.")


def stored_owner(pipeline: str, job: str, source: str, stored_job: str, stored_source: str,
                 retired: bool) -> str | None:
    """The error when the stored pipeline belongs to another job or source (None when it is this job's, or when the
    stored pipeline is retired and so free to take over)."""
    if retired or (stored_job == job and same_source(stored_source, source)):
        return None
    retire = f"jenkins2flow pipelines retire {pipeline}"
    if not stored_job:
        return (f"pipeline {pipeline!r} in the store was not converted from a Jenkins job (its provenance names "
                f"none), so job {job!r} from {source or '(no source)'} is not saved over it: retire it first "
                f"({retire}) to give its name to the job.")
    return conflict(pipeline, job, source, stored_job, stored_source, "in the store") + (
        f" If it is the same job read from a new place, retire the stored pipeline first ({retire}).")


__all__ = ["IdentityConflict", "claim", "conflict", "same_source", "source_of", "stored_owner"]

"""Limits on what one job may hold, checked where a job is read (files, JENKINS_HOME, live Jenkins), so that the
converter and the renderer downstream only ever see bounded work.

A job above a limit keeps its name, kind and source, loses its content, and carries one error saying what the
limit is and how far above it the job is: it fails on its own and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import islice

from jenkins2flow.ir.nodes import Diagnostic, Job, Plugin, Stage, Step
from jenkins2flow.parse.groovy_ir import iter_steps

# Steps in one job: Jenkinsfile statements (nested ones included) plus config.xml builders, publishers and wrappers.
# The largest job of the shared corpus of real jobs has 708.
MAX_STEPS = 10_000


def _stage_steps(stages: tuple[Stage, ...]) -> Iterator[Step]:
    todo = list(stages)
    while todo:
        s = todo.pop()
        yield from s.options
        if s.input is not None:
            yield s.input
        yield from s.steps
        for post in s.post:
            yield from post.steps
        todo += s.stages + s.parallel + (s.matrix.stages if s.matrix is not None else ())


def _roots(job: Job) -> Iterator[Step]:
    """The top steps of each tree. A scripted pipeline's stages are a view of its statements (`job.steps`),
    counted once through those."""
    yield from job.options
    yield from job.steps
    yield from job.functions
    for post in job.post:
        yield from post.steps
    if not job.steps:
        yield from _stage_steps(job.stages)


def _plugins(job: Job) -> Iterator[Plugin]:
    for group in (job.builders, job.prebuilders, job.postbuilders, job.publishers, job.wrappers):
        yield from group


def count_steps(job: Job, stop_after: int = MAX_STEPS) -> int:
    """Steps and build plugins in `job`, counted up to `stop_after + 1` (enough to tell it is above)."""
    found = sum(1 for _ in islice(_plugins(job), stop_after + 1))
    if found <= stop_after:
        found += sum(1 for _ in islice(iter_steps(_roots(job)), stop_after + 1 - found))
    return found


def check_steps(job: Job, max_steps: int = MAX_STEPS) -> Job:
    """`job` itself, or, when it holds more than `max_steps` steps, the job without its content and with an error."""
    if count_steps(job, max_steps) <= max_steps:
        return job
    diag = Diagnostic("error", f"The job holds more than {max_steps:,} steps, the limit for one job; it was not "
                      "converted. Split it, or raise jenkins2flow.sources.limits.MAX_STEPS if it really is that large.",
                      job.span, code="too-many-steps")
    empty = Job(job.full_name, job.kind, job.span, source=job.source, root_tag=job.root_tag, flavor=job.flavor)
    return replace(empty, description=job.description, children=job.children, aliases=job.aliases,
                   diagnostics=(diag, *job.diagnostics))

"""Reading and converting an estate's jobs in worker processes, for `convert` (the estate service).

Most of what a job costs is parsing and converting it; saving it, its DAG file and the report are the store's side
and stay in the main process, in the estate's order. So the main process walks the estate as before (a re-run's
peek still leaves unchanged jobs alone), and each job it would parse is deferred instead (`Workers.peek`): its
bytes go to a worker process, which parses and converts them as the job's reader would have and sends back the
conversion (`Done`). When every worker has enough to do, the main process converts the next job itself, so that
no core waits. Results are taken in the estate's order, so the catalog, the DAG files and the report are the same
as those of a run in one process (tests/convert/test_workers.py compares them).

Workers are forked (Linux): they start with the rules, options and links the main process holds, and nothing is
pickled but each job's bytes and its conversion. A worker that dies or a result that cannot come back never loses
a job: the main process converts it itself. Where fork is not the platform's way (not Linux), every job converts in
the main process.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.links import Links
from jenkins2flow.convert.summary import JobSummary
from jenkins2flow.ir import Job
from jenkins2flow.sources import Peek, read_unread, unread_reason
from jenkins2flow.sources.content import looks_like_xml

DEFERRED = "read and converted by a worker process"
IN_FLIGHT = 48  # jobs given to each worker and not taken back yet (each waiting result is memory)


@dataclass(frozen=True, slots=True)
class Done:
    """A job's conversion as the store side uses it (what only the report reads is in `summary` and its `row`),
    and what its conversion read of the links (`Links.read_by`)."""

    conv: Conversion
    summary: JobSummary
    row: str
    read: str


def convert_done(job: Job, convert: Callable[[Job, Links], Conversion], links: Links, timezone: str | None) -> Done:
    """Convert one job with a fresh view of the links, and keep what the store side needs."""
    view = links.view()
    return finished(convert(job, view), view, links, timezone)


def finished(conv: Conversion, view: Links | None, links: Links, timezone: str | None) -> Done:
    """What the store side keeps of a conversion (in a worker or in the main process), given the view of the links
    it read (None: it read none, a job refused by its identity claim)."""
    summary = JobSummary.of(conv, timezone is not None)
    slim = replace(conv, diagnostics=[], ledger=[], credentials=[], class_reasons=[], signals=[], lint=[])
    asked = getattr(view.pipelines, "asked", {}) if view is not None else {}
    ids = getattr(view.credentials, "asked", {}) if view is not None else {}
    return Done(slim, summary, summary.row(), links.read_by(conv.pipeline_name, asked, conv.job, ids))


class Workers:
    """`count` forked worker processes converting the jobs the peek defers (`peek`, `deferred`, `submit`); close
    it when done (a context manager)."""

    def __init__(self, count: int, convert: Callable[[Job, Links], Conversion], links: Links,
                 timezone: str | None) -> None:
        self.count = count if sys.platform.startswith("linux") else 0  # forked workers: Linux only
        self.convert = convert
        self.links = links
        self.timezone = timezone
        self.data: dict[str, bytes] = {}  # a deferred job's bytes, by source, until submitted
        self.pool: ProcessPoolExecutor | None = None
        self.running: list[Future[Done]] = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def peek(self, inner: Peek | None) -> Peek:
        """The peek of a run with workers: `inner`'s answer, else the job is deferred (its bytes kept)."""

        def deferring(name: str, source: str, data: bytes) -> str | None:
            why = inner(name, source, data) if inner is not None else None
            if why is not None or not self.count or (not looks_like_xml(data) and source.endswith("config.xml")):
                return why  # (a config.xml that is not XML: its reader may be one that reads it as XML anyway)
            self.data[source] = data
            return DEFERRED

        return deferring

    def deferred(self, job: Job) -> bool:
        return job.source in self.data and unread_reason(job) == DEFERRED

    def read(self, job: Job) -> Job:
        """A deferred job, read here (a job refused by its identity claim is reported with what it holds)."""
        return read_unread(job, self.data.pop(job.source))

    def submit(self, job: Job) -> Later:
        """A deferred job's conversion: by a worker, or here when every worker has enough to do."""
        data = self.data.pop(job.source)
        self.running = [f for f in self.running if not f.done()]
        here = functools.partial(self._here, job, data)
        if len(self.running) < IN_FLIGHT * self.count:
            try:
                future = self._pool().submit(_convert, job, data)
            except Exception:  # noqa: BLE001 - a pool that broke: this process converts from now on
                self.count = 0
            else:
                self.running.append(future)
                return Later(future, here)
        return Later(None, here, here())

    def _here(self, job: Job, data: bytes) -> Done:
        return convert_done(read_unread(job, data), self.convert, self.links, self.timezone)

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(self.count, mp_context=context, initializer=_start,
                                            initargs=(self.convert, self.links, self.timezone))
        return self.pool


@dataclass
class Later:
    """A job's conversion to come: a worker's, or made here. When the worker could not give it (it died, the
    result could not be sent back), the job is converted here: never lost."""

    future: Future[Done] | None
    here: Callable[[], Done]
    value: Done | None = None

    def ready(self) -> bool:
        return self.value is not None or (self.future is not None and self.future.done())

    def result(self) -> Done:
        if self.value is None:
            try:
                assert self.future is not None
                self.value = self.future.result()
            except Exception:  # noqa: BLE001 - BrokenProcessPool, a result that cannot be pickled: convert it here
                self.value = self.here()
        return self.value


_job: tuple[Callable[[Job, Links], Conversion], Links, str | None] | None = None


def _start(convert: Callable[[Job, Links], Conversion], links: Links, timezone: str | None) -> None:
    """A worker's set-up (forked: nothing is pickled): what it converts with; the objects it inherited are left out
    of its cycle collections, which would otherwise copy their pages."""
    global _job
    _job = (convert, links, timezone)
    gc.freeze()


def _convert(job: Job, data: bytes) -> Done:
    assert _job is not None
    convert, links, timezone = _job
    return convert_done(read_unread(job, data), convert, links, timezone)


__all__ = ["DEFERRED", "Done", "Later", "Workers", "convert_done", "finished"]


"""Reading and converting an estate's jobs in worker processes, for `convert` (the estate service).

Most of what a job costs is parsing and converting it; saving it, its DAG file and the report are the store's side
and stay in the main process, in the estate's order. So the main process walks the estate as before (a re-run's
peek still leaves unchanged jobs alone), and each job it would parse is deferred instead (`Workers.peek`): its
bytes go to a worker process, which parses and converts them as the job's reader would have and sends back the
conversion (`Done`). When every worker has enough to do, the main process converts the next job itself, so that
no core waits; when it would wait for a worker's result, it takes back the last job given to the workers (the one
they would reach last: they skip it) and converts that one. Results are taken in the estate's order, so the
catalog, the DAG files and the report are the same as those of a run in one process (tests/convert/test_workers.py
compares them).

Workers are forked (Linux): they start with the rules, options and links the main process holds, and nothing is
pickled but each job's bytes and its conversion. The jobs go through one queue that every worker reads, and the
conversions come back through another, which the main process reads itself when it takes a job (no thread of its
own competes with its work for the interpreter). A worker that dies or a result that cannot come back never loses
a job: the main process converts it itself. Where fork is not the platform's way (not Linux), every job converts in
the main process.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import pickle
import queue
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.links import Links
from jenkins2flow.convert.summary import JobSummary
from jenkins2flow.ir import Job
from jenkins2flow.sources import Peek, read_unread, unread_reason
from jenkins2flow.sources.content import looks_like_xml

DEFERRED = "read and converted by a worker process"
IN_FLIGHT = 150  # jobs given to each worker and not taken back yet (each waiting result is memory)
IN_FLIGHT_BYTES = 1 << 20  # ... or, while they are small, bytes of jobs: enough work for a worker to go on with
IN_FLIGHT_MOST = 500  # ... but never more jobs than this
TAKEN_BACK = 1 << 14  # the jobs taken back, kept by number modulo this (more than the jobs ever given at once)


@dataclass(frozen=True, slots=True)
class Done:
    """A job's conversion as the store side uses it (what only the report reads is in its `row`, and in `summary`
    for the estate's totals: `JobSummary.for_totals`), and what its conversion read of the links (`Links.read_by`)."""

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
    return Done(slim, summary.for_totals(), summary.row(), links.read_by(conv.pipeline_name, asked, conv.job, ids))


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
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.jobs: Any = None  # the queues (multiprocessing.Queue) of the jobs to convert and of the results
        self.results: Any = None
        self.sent = 0  # jobs given to the workers so far (each one's number)
        self.received: dict[int, bytes | Here | None] = {}  # an answer: a worker's (its pickled Done; None: convert
        # it here) or this process's (a job taken back, `_take_back`)
        self.taken_back: Any = None  # the numbers of the jobs taken back, for the workers to skip (shared memory)
        self.waiting: dict[int, tuple[int, Callable[[], Done]]] = {}  # the jobs given and not answered yet, by
        # number: each one's size and its conversion here
        self.waiting_bytes = 0

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.processes:
            for _ in self.processes:
                self.jobs.put(None)
            for process in self.processes:
                process.join(timeout=5)
                if process.exitcode is None:
                    process.kill()
                    process.join()
            self.processes = []
        for channel in (self.jobs, self.results):
            if channel is not None:
                channel.close()
                channel.cancel_join_thread()  # what no worker read is not waited for

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
        """A deferred job's conversion: by a worker, or here when the workers have enough to do."""
        data = self.data.pop(job.source)
        here = functools.partial(self._here, job, data)
        if self.count and not self._room():
            while self._receive(wait=False):  # answers already back: those jobs no longer keep a worker busy
                pass
        if self.count and self._room():
            try:  # pickled here, not in the queue's thread: a job that cannot be sent is converted here, not lost
                item = pickle.dumps((self.sent, job, data), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001
                return Later(here, value=here())
            try:
                self._start()
            except Exception:  # noqa: BLE001 - workers that cannot start: this process converts from now on
                self.count = 0
                return Later(here, value=here())
            self.jobs.put(item)
            self.waiting[self.sent] = (len(data), here)
            self.waiting_bytes += len(data)
            self.sent += 1
            return Later(here, self, self.sent - 1)
        return Later(here, value=here())

    def _room(self) -> bool:
        """Whether the workers may take one more job: fewer than IN_FLIGHT jobs each, or, while their jobs are small,
        fewer than IN_FLIGHT_BYTES (a worker then goes through its jobs fast, and would wait for the next ones while
        this process converts a large job or saves a batch)."""
        jobs = len(self.waiting)
        return jobs < IN_FLIGHT * self.count or (jobs < IN_FLIGHT_MOST * self.count
                                                  and self.waiting_bytes < IN_FLIGHT_BYTES * self.count)

    def _here(self, job: Job, data: bytes) -> Done:
        return convert_done(read_unread(job, data), self.convert, self.links, self.timezone)

    def _start(self) -> None:
        if self.processes:
            return
        context = multiprocessing.get_context("fork")
        self.jobs, self.results = context.Queue(), context.Queue()
        self.taken_back = context.RawArray("q", [-1] * TAKEN_BACK)
        for _ in range(self.count):
            process = context.Process(target=_serve, args=(self.jobs, self.results, self.convert, self.links,
                                                            self.timezone, self.taken_back), daemon=True)
            process.start()
            self.processes.append(process)

    def answer(self, number: int, wait: bool) -> tuple[bool, bytes | Here | None]:
        """Whether job `number` has its answer, and the answer (a worker's pickled Done, this process's, or None:
        convert it here). Rather than wait, this process converts the jobs the workers would reach last
        (`_take_back`)."""
        while number in self.waiting:
            if not self._receive(wait=False) and not (wait and self._take_back()) and not self._receive(wait):
                return False, None
        return True, self.received.pop(number, None)

    def _take_back(self) -> bool:
        """Convert here the last job given to the workers, which they would reach last, and tell them to skip it
        (when one has begun it all the same, its answer is left unread). False when the workers hold no more jobs
        than there are workers: those are begun."""
        if len(self.waiting) <= self.count:
            return False
        number = next(reversed(self.waiting))
        self.taken_back[number % TAKEN_BACK] = number
        size, here = self.waiting.pop(number)
        self.waiting_bytes -= size
        self.received[number] = Here(here())
        return True

    def _receive(self, wait: bool) -> bool:
        """Take one answer from the workers (waiting for it if `wait`); False when none came. Once a worker is
        gone (killed), no answer is awaited any more: every job given and not answered converts here."""
        try:
            number, blob = self.results.get(timeout=0.5) if wait else self.results.get_nowait()
        except queue.Empty:
            if wait and any(p.exitcode is not None for p in self.processes):
                for process in self.processes:  # which jobs the dead one held is not known: none is awaited
                    process.kill()
                self.count = 0
                self.waiting.clear()
                self.waiting_bytes = 0
                return True
            return False
        if number in self.waiting:
            self.waiting_bytes -= self.waiting.pop(number)[0]
            self.received[number] = blob
        return True


@dataclass(frozen=True, slots=True)
class Here:
    """A job's conversion made in this process (a job taken back from the workers)."""

    value: Done


@dataclass
class Later:
    """A job's conversion to come: a worker's (job `number` of `workers`), or made here. When the worker could not
    give it (it died, the result could not be sent back), the job is converted here: never lost."""

    here: Callable[[], Done]
    workers: Workers | None = None
    number: int = -1
    value: Done | None = None

    def ready(self) -> bool:
        return self.value is not None or self._take(wait=False)

    def result(self) -> Done:
        while self.value is None:
            self._take(wait=True)
        return self.value

    def _take(self, wait: bool) -> bool:
        assert self.workers is not None
        answered, blob = self.workers.answer(self.number, wait)
        if answered:
            if isinstance(blob, Here):
                self.value = blob.value
            else:
                self.value = pickle.loads(blob) if blob is not None else self.here()
        return answered


def _serve(jobs: Any, results: Any, convert: Callable[[Job, Links], Conversion], links: Links,
           timezone: str | None, taken_back: Any) -> None:
    """A worker (forked: nothing is pickled to start it): converts the jobs of the queue until told to stop. The
    objects it inherited are left out of its cycle collections, which would otherwise copy their pages."""
    gc.freeze()
    while (item := jobs.get()) is not None:
        number, job, data = pickle.loads(item)
        if taken_back[number % TAKEN_BACK] == number:  # the main process converted it (Workers._take_back)
            continue
        try:
            blob: bytes | None = pickle.dumps(convert_done(read_unread(job, data), convert, links, timezone),
                                              protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a job this worker cannot convert or send back: the main process will
            blob = None
        results.put((number, blob))


__all__ = ["DEFERRED", "Done", "Later", "Workers", "convert_done", "finished"]


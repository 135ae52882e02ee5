"""The estate service: one flow from Jenkins sources to the catalog, used by `convert`, the `demo` and
bench/convert_estate.py; `audit` and `dry-run` use its reading and converting part.

    first look (links) -> read a job -> identity claim -> convert -> report row -> save + publish (a batch of jobs
    per transaction) -> DAG file -> job state

Jobs stream through: each one is read, converted and reported, then let go, so memory does not grow with the estate
(the report's rows go to a spool file, convert.summary, and into the records with each batch). Links between jobs
(upstream/downstream triggers) need the whole estate before a job converts: a first look reads every job's bytes but
parses only those that may link to another one (`may_link`), and keeps the kinds of the credentials of the folders it
passes (sources.credentials). On a re-run, a job unchanged since its last conversion is not read again
(convert.unchanged); it still counts, from its last conversion. One failing job never stops the batch; a store that
cannot be used at all (StoreUnavailable) does. The caller follows along through `on_total` (how many jobs the first
look found) and `on_job` (each job's `JobResult`, in order).
"""

from __future__ import annotations

import gc
import json
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jenkins2flow_runtime import dagfile
from jenkins2flow_runtime.records import JobState, Records
from jenkins2flow_runtime.store import Store, open_store, store_uri

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.estate import Converted, ConvertOptions, convert_stream, converter, picked
from jenkins2flow.convert.identity import claim, source_of
from jenkins2flow.convert.links import Links, estate_links
from jenkins2flow.convert.save import BatchSaver, Saved
from jenkins2flow.convert.summary import EstateReport, JobSummary
from jenkins2flow.convert.unchanged import Unchanged, context_fingerprint
from jenkins2flow.convert.workers import IN_FLIGHT, Workers, finished
from jenkins2flow.ir import Job
from jenkins2flow.render.dag import StoredDocs, write_stored_dag
from jenkins2flow.sources import Inputs
from jenkins2flow.sources.credentials import CredentialKinds

LINK_WORDS = (b"upstream", b"BuildTrigger")  # what a job that links to another one holds (convert.links)
FIRST_LOOK = "a first look for links: nothing in it links to another job"


@dataclass(frozen=True)
class EstateOptions:
    """What to convert (`convert`), and, for `EstateService.convert`, where it goes."""

    convert: ConvertOptions = field(default_factory=ConvertOptions)
    store: str | None = None  # the catalog (None: $JENKINS2FLOW_STORE or .jenkins2flow/store.db)
    publish: bool = True
    dags_dir: Path | None = None  # also write each pipeline's static DAG file here
    by: str = "jenkins2flow"  # who saves (the audit trail)
    force: bool = False  # read and convert every job, even those unchanged since the last run
    batch: int = 50  # jobs saved per transaction, at most
    batch_tasks: int = 1_000  # ... and a batch is saved once its pipelines hold this many tasks (drafts included)
    workers: int = 0  # processes that read and convert jobs beside this one (convert.workers; 0: none)


@dataclass(frozen=True, slots=True)
class JobResult:
    """What became of one job, for the caller's output."""

    job: str
    source: str
    status: str
    reason: str  # the first reason for the status
    pipeline: str = ""  # the pipeline saved ("" when none)
    version: int = 0
    tasks: int = 0
    warnings: int = 0
    unchanged: bool = False  # left alone: unchanged since its last conversion
    dag: str = ""  # the DAG file: "written", "unchanged" or "" (none)
    error: str = ""  # one `path:line:col: message` line when the job failed (conversion, save or DAG file)


@dataclass
class Totals:
    """The counts `convert` ends with."""

    jobs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unchanged_jobs: int = 0  # left alone (not read again)
    documents_new: int = 0  # new document versions saved
    documents_unchanged: int = 0  # documents already stored as converted
    dags_written: int = 0
    dags_unchanged: int = 0
    errors: int = 0
    warnings: int = 0
    warning_jobs: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.jobs / self.elapsed if self.elapsed > 0 else 0.0

    def add(self, result: JobResult, summary: JobSummary) -> None:
        self.jobs += 1
        self.statuses[result.status] += 1
        self.unchanged_jobs += result.unchanged
        self.dags_written += result.dag == "written"
        self.dags_unchanged += result.dag == "unchanged"
        self.errors += bool(result.error)
        self.warnings += summary.warnings
        self.warning_jobs += bool(summary.warnings)


@dataclass
class EstateRun:
    """A conversion into the store: its report (close it when done), its totals, the stored report's id."""

    report: EstateReport
    totals: Totals
    report_id: str = ""


@contextmanager
def fewer_collections(allocations: int = 50_000) -> Iterator[None]:
    """Python's cycle collector runs every 700 allocations by default, and each third-generation pass walks every
    object alive (the converter's rules, caches, a batch's documents) to find nothing: on the bench's estate those
    passes cost ~10 % of a run. A run allocates in larger steps between them; the default comes back after."""
    before = gc.get_threshold()
    gc.set_threshold(allocations, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def may_link(data: bytes) -> bool:
    """Whether a job's bytes may hold a link to another job: a word of LINK_WORDS, also when written with XML
    character references (`&#117;pstream`), or text that bytes do not show as is (UTF-16)."""
    if b"\x00" in data or data[:2] in (b"\xff\xfe", b"\xfe\xff") or any(w in data for w in LINK_WORDS):
        return True
    if b"&#" not in data or not _LETTER_REF.search(data):  # the words are letters: other references cannot make one
        return False
    text = _CHAR_REF.sub(_char, data)
    return any(w in text for w in LINK_WORDS)


_CHAR_REF = re.compile(rb"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")
_LETTER_REF = re.compile(  # a reference to an ASCII letter (and to the few signs between Z and a)
    rb"&#(?:0*(?:6[5-9]|[7-9][0-9]|1[01][0-9]|12[0-2])|[xX]0*(?:4[1-9a-fA-F]|[56][0-9a-fA-F]|7[0-9aA]));")


def _char(m: re.Match[bytes]) -> bytes:
    code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
    return chr(code).encode("utf-8", "surrogatepass") if code <= 0x10FFFF else m.group(0)


@dataclass
class _Pending:
    job: str
    source: str
    summary: JobSummary
    row: str  # the summary as JSON (EstateReport.add_summary)
    conv: Conversion | None = None  # None: left alone
    state: JobState | None = None  # left alone: its state; converted: the state to record once saved


class EstateService:
    """One estate, from its SOURCE arguments: `conversions` (read and convert), `audit` (and the report), `convert`
    (into the store). `inputs` says, once walked, what was skipped or could not be read (cli.inputs.finish)."""

    def __init__(self, sources: Sequence[str], options: EstateOptions | None = None, *,
                 on_total: Callable[[int], None] | None = None,
                 on_job: Callable[[JobResult], None] | None = None) -> None:
        self.sources = list(sources)
        self.options = options or EstateOptions()
        self.on_total = on_total
        self.on_job = on_job
        self.inputs = Inputs(self.sources)

    # ---- reading and converting ---------------------------------------------------------------------------------

    def look(self) -> Links:
        """The first look: the estate's links, from every job's name and the jobs that may link (`may_link`), and
        the kinds of its credentials (the system store of each JENKINS_HOME, the stores of its folders)."""
        count = 0
        kinds = CredentialKinds()
        kinds.read_system(self.sources)

        def first_look(name: str, path: str, data: bytes) -> str | None:
            kinds.peek(name, path, data)  # a folder's credentials
            return None if may_link(data) else FIRST_LOOK

        repeated: set[str] = set()

        def claimed() -> Iterator[Job]:
            nonlocal count
            for job, refused in claim(picked(Inputs(self.sources, peek=first_look), self.options.convert),
                                      repeated=repeated):
                count += 1
                if refused is None:
                    yield job

        links = estate_links(claimed(), kinds)
        links.contested = repeated
        if self.on_total is not None:
            self.on_total(count)
        return links

    def conversions(self) -> Iterator[Conversion]:
        """Each selected job's conversion, as it is read."""
        links = self.look()
        for item in convert_stream(self.inputs, self.options.convert, links):
            if item.conv is not None:
                yield item.conv

    def audit(self) -> EstateReport:
        """The estate's report (nothing saved); `on_job` follows each job."""
        report = EstateReport(self.options.convert.timezone)
        for conv in self.conversions():
            summary = report.add(conv)
            if self.on_job is not None:
                self.on_job(_result(summary, conv))
        return report

    # ---- into the store -------------------------------------------------------------------------------------------

    def convert(self) -> EstateRun:
        """Convert into the store (and DAG files), record the report next to the catalog, return it."""
        with fewer_collections():
            return self._convert()

    def _convert(self) -> EstateRun:
        start = time.perf_counter()
        opts, copts = self.options, self.options.convert
        uri = store_uri(opts.store)
        links = self.look()
        report = EstateReport(copts.timezone)
        totals = Totals()
        with Workers(opts.workers, converter(copts), links, copts.timezone) as workers, \
                open_store(uri, create=True) as store, Records(uri, write=True) as records:
            saver = BatchSaver(store, publish=opts.publish, by=opts.by)
            unchanged = Unchanged(  # one job's state and head read at a time: memory stays flat on a re-run too
                state_of=records.job_state, head_of=lambda name: store.pipeline_heads([name]).get(name),
                context=context_fingerprint(copts, publish=opts.publish), links=links, publish=opts.publish,
                job_name=copts.job_name, only=copts.only, enabled=not opts.force and copts.workspace is None)
            self.inputs.peek = workers.peek(unchanged)
            report_id = records.begin_estate_report(command="convert", sources=self.sources, by=opts.by)
            run = _Run(store, records, saver, StoredDocs(store), unchanged, opts, totals, self.on_job, report_id)
            try:
                self._into(run, workers, links, report, unchanged)
            except BaseException:
                with suppress(Exception):  # (the store may be what failed)
                    records.drop_estate_report(report_id)
                raise
            totals.elapsed = time.perf_counter() - start
            records.finish_estate_report(report_id, report.totals())
        return EstateRun(report, totals, report_id)

    def _into(self, run: _Run, workers: Workers, links: Links, report: EstateReport, unchanged: Unchanged) -> None:
        """Every job of the stream into the store, a batch at a time, each batch with its jobs' report rows."""
        opts, copts = self.options, self.options.convert
        pending: list[_Pending] = []
        tasks = 0  # the tasks the pending batch's pipelines hold: a batch's memory grows with them

        def take(item: Converted) -> None:
            nonlocal pending, tasks
            pending.append(self._pending(item, unchanged, links, report, run.records))
            tasks += _tasks(pending[-1].conv)
            if len(pending) >= opts.batch or tasks >= opts.batch_tasks:
                run.flush(pending)
                pending, tasks = [], 0

        queue: deque[Converted] = deque()  # in the estate's order; a worker's conversion may still be coming
        window = 2 * IN_FLIGHT * opts.workers
        for item in convert_stream(self.inputs, copts, links, workers):
            queue.append(item)
            while queue and (queue[0].later is None or queue[0].later.ready() or len(queue) > window):
                take(queue.popleft())
        for item in queue:
            take(item)
        run.flush(pending)

    def _pending(self, item: Converted, unchanged: Unchanged, links: Links, report: EstateReport,
                 records: Records) -> _Pending:
        """One job of the stream, counted in the report, ready to be saved with its batch."""
        opts = self.options
        source = source_of(item.job)
        if item.conv is None and item.later is None:  # left alone: it counts from its last conversion
            name = item.job.full_name
            saved = records.job_row(name)  # its row as saved (the same code made it: no need to encode it again)
            summary = JobSummary.from_dict((json.loads(saved) if saved else records.job_summary(name)) or {})
            return _Pending(name, source, summary, report.add_summary(summary, saved),
                            state=unchanged.take_state(name))
        if item.later is not None:
            done = item.later.result()
        else:
            assert item.conv is not None
            done = finished(item.conv, item.links, links, opts.convert.timezone)
        conv = done.conv
        row = report.add_summary(done.summary, done.row)
        state: JobState | None = None
        if item.links is not None or item.later is not None:  # refused jobs have none: they depend on the batch
            state = JobState(conv.job, source, unchanged.take(conv.job, source), unchanged.context, done.read,
                             published=opts.publish)
        return _Pending(conv.job, source, done.summary, row, conv, state)


@dataclass
class _Run:
    """The store side of `EstateService.convert`: saves a batch of jobs, writes their DAG files, records states."""

    store: Store
    records: Records
    saver: BatchSaver
    docs: StoredDocs
    unchanged: Unchanged
    options: EstateOptions
    totals: Totals
    on_job: Callable[[JobResult], None] | None
    report_id: str  # the estate report begun for the run: each batch adds its jobs' rows
    rows: int = 0  # the report's rows so far

    def flush(self, pending: list[_Pending]) -> None:
        convs = [p.conv for p in pending if p.conv is not None and p.conv.pipeline is not None]
        saved = dict(zip((id(c) for c in convs), self.saver.save(convs), strict=True))
        states: list[tuple[JobState, str]] = []
        for p in pending:
            if p.conv is None:
                assert p.state is not None
                result, state = self._left_alone(p, p.state)
            elif p.conv.pipeline is None:
                result = _result(p.summary, p.conv)
                state = p.state
            else:
                result, state = self._saved(p, p.conv, saved[id(p.conv)])
            if state is not None:
                states.append((state, p.row))
            self.totals.add(result, p.summary)
            if self.on_job is not None:
                self.on_job(result)
        rows = [(p.summary.job, p.summary.status, p.row) for p in pending]
        self.records.save_job_states(states, report=(self.report_id, self.rows, rows))
        self.rows += len(rows)

    def _saved(self, p: _Pending, conv: Conversion, saved: Saved | Exception) -> tuple[JobResult, JobState | None]:
        if isinstance(saved, Exception):
            return _result(p.summary, conv, f"{conv.source}:1:1: cannot save {conv.job!r}: {saved}"), None
        self.totals.documents_new += saved.new
        self.totals.documents_unchanged += saved.unchanged
        for doc in saved.documents:  # tasks and templates, which other pipelines pin too (never the pipelines)
            if doc.created_at is not None:  # as stored (unchanged ones came back as given)
                self.docs.put(doc)
        dag, stat, error = self._dag(saved.pipeline.name, lambda: saved.pipeline, conv)
        result = _result(p.summary, conv, error, saved.pipeline.name, saved.pipeline.version, dag)
        assert p.state is not None
        return result, replace(p.state, pipeline=saved.pipeline.name, version=saved.pipeline.version, dag=stat)

    def _left_alone(self, p: _Pending, state: JobState) -> tuple[JobResult, JobState | None]:
        dag, stat, error = "", state.dag, ""
        if state.pipeline:
            if self.options.dags_dir is not None and state.dag and state.dag == _stat(self._dag_path(state.pipeline)):
                dag = "unchanged"  # the file written then, untouched since: not even rendered
            else:
                dag, stat, error = self._dag(state.pipeline,
                                             lambda: self.store.get("pipeline", state.pipeline, state.version), None)
        if not error and p.summary.status == "failed":
            error = p.summary.failure()
        result = JobResult(p.job, p.source, p.summary.status, p.summary.reasons[0] if p.summary.reasons else "",
                           state.pipeline, state.version, len(p.summary.tasks), p.summary.warnings, True, dag, error)
        return result, (replace(state, dag=stat) if stat != state.dag else None)

    def _dag(self, pipeline: str, stored: Callable[[], Any], conv: Conversion | None) -> tuple[str, str, str]:
        """Write a pipeline's DAG file when a folder is given: (written | unchanged, the file's stat, error line)."""
        if self.options.dags_dir is None:
            return "", "", ""
        try:  # one DAG file that cannot be rendered or written (memory, a folder in the way) never stops the batch
            written = write_stored_dag(self.options.dags_dir, self.store, stored(), cache=self.docs)
        except Exception as exc:
            where = conv.source if conv is not None else pipeline
            job = conv.job if conv is not None else pipeline
            return "", "", (f"{where}:1:1: cannot write the DAG file of {job!r}: "
                            f"{type(exc).__name__}{f': {exc}' if str(exc) else ''}")
        return ("written" if written.changed else "unchanged"), _stat(written.path), ""

    def _dag_path(self, pipeline: str) -> Path:
        assert self.options.dags_dir is not None
        return self.options.dags_dir / dagfile.dag_file_name(pipeline)


def _tasks(conv: Conversion | None) -> int:
    """The tasks of a conversion's pipeline, its draft's included (0: none, or a job left alone)."""
    spec = conv.pipeline if conv is not None else None
    return len(spec.tasks) + len(spec.draft_tasks) if spec is not None else 0


def _stat(path: Path) -> str:
    """A DAG file as the job state records it: its absolute path, size and modification time ("" when absent)."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return f"{os.path.abspath(path)} {st.st_size} {st.st_mtime_ns}"


def _result(summary: JobSummary, conv: Conversion, error: str = "", pipeline: str = "", version: int = 0,
            dag: str = "") -> JobResult:
    if not error and conv.status == "failed":
        error = summary.failure()
    return JobResult(conv.job, conv.source, conv.status, conv.reasons[0] if conv.reasons else "", pipeline, version,
                     len(summary.tasks), summary.warnings, False, dag, error)


def failure_line(conv: Conversion) -> str:
    """One `path:line:col: message` line for a failed job."""
    return JobSummary.of(conv).failure()


def record_report(uri: str, report: EstateReport, *, command: str, sources: list[str], by: str) -> str:
    """Keep an estate report next to the catalog at `uri` (for the catalog UI's migration view). The catalog must
    exist (StoreMissing, "no catalog at PATH", otherwise): `audit --store` reads an estate, it never makes a store."""
    open_store(uri).close()
    with Records(uri, write=True) as records:
        return records.save_estate_report(report.totals(), command=command, sources=sources, by=by,
                                          jobs=report.columns())


__all__ = ["EstateOptions", "EstateRun", "EstateService", "JobResult", "Totals", "failure_line", "may_link",
           "record_report"]

"""Where jobs come from: a JENKINS_HOME (or its jobs/ folder), loose files, or a live Jenkins.

`iter_jobs(source)` picks the reader from the argument and yields one Job per job; a job that cannot be read
becomes a Job with an error diagnostic and the walk goes on.

- an http(s) URL -> live Jenkins (user and token from arguments or JENKINS_USER / JENKINS_TOKEN);
- a directory with `jobs/` or with `NAME/config.xml` children -> JENKINS_HOME walk;
- anything else (files, other directories, globs, or a list of them) -> loose files.

A `peek` (`Peek`) given to `iter_jobs` or `Inputs` sees each job's bytes before they are parsed, and may have the
job not read: it then comes as a stub with an `unread` diagnostic saying why (a re-run leaves an unchanged job
alone; a first look for the estate's links parses only the jobs that may link to others).

`Inputs(sources)` is what the commands walk: the jobs of several SOURCE arguments, minus what is not a job, with
one line per argument that gave nothing usable (a missing path, an empty folder, a file that is not a Jenkins job, a
Jenkins that cannot be reached) and per job that could not be read at all; the commands exit 1 when there are any.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow.ir.nodes import Diagnostic, Job, Span

Source = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
# (full name, path or URL, bytes) -> None to read the job, or why it is not read (the job then comes as a stub)
Peek = Callable[[str, str, bytes], str | None]
UNREAD = "unread"  # the diagnostic code of such a stub

# Diagnostics that say the input is not a job at all: such a "job" is not handed on.
NOT_A_JOB = frozenset({"not-found", "not-jenkins", "live-unreachable"})
# Diagnostics that say a job could not be read at all: it is handed on (and fails to convert), and reported.
UNREADABLE = frozenset({"io-error", "encoding", "oversize", "bad-config", "live-error", "malformed-xml", "dtd-refused",
                        "too-many-steps", "bad-input", "internal-error"})


def source_kind(source: Source) -> str:
    """"live", "jenkins_home" or "files"."""
    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        if text.startswith(("http://", "https://")):
            return "live"
        from jenkins2flow.sources.jenkins_home import is_jenkins_home

        if is_jenkins_home(text):
            return "jenkins_home"
    return "files"


def unread_job(full_name: str, path: str, why: str) -> Job:
    """The stub of a job that a peek kept from being read: its name and source, and why (an `unread` note)."""
    return Job(full_name, "unsupported", Span(path), source=path,
               diagnostics=(Diagnostic("info", why, Span(path), code=UNREAD),))


def is_unread(job: Job) -> bool:
    return any(d.code == UNREAD for d in job.diagnostics)


def unread_reason(job: Job) -> str:
    """Why a stub was not read ("" for a job that was read)."""
    return next((d.message for d in job.diagnostics if d.code == UNREAD), "")


def read_unread(stub: Job, data: bytes) -> Job:
    """The job of a stub, read from the bytes its peek saw, as its reader reads them: a config.xml when the bytes
    are XML, else a Jenkinsfile; with the names the reader gave the stub (folder children, aliases, a guessed name).
    (Readers of config.xml alone, JENKINS_HOME and live, read any bytes as XML: a peek must not defer their bytes
    that are not, `convert.workers`.)"""
    from dataclasses import replace

    from jenkins2flow.sources.content import looks_like_xml, read_config_xml
    from jenkins2flow.sources.files import read_jenkinsfile

    read = read_config_xml if looks_like_xml(data) else read_jenkinsfile
    job = read(data, stub.source, stub.full_name)
    if stub.children or stub.aliases or stub.name_guessed:
        job = replace(job, children=stub.children or job.children, aliases=stub.aliases or job.aliases,
                      name_guessed=stub.name_guessed)
    return job


def iter_jobs(source: Source, peek: Peek | None = None, **live_options: Any) -> Iterator[Job]:
    kind = source_kind(source)
    if kind == "live":
        from jenkins2flow.sources.live import LiveError, LiveJenkins

        url = os.fspath(source)  # type: ignore[arg-type]
        try:
            yield from LiveJenkins.from_env(url, **live_options).iter_jobs(peek)
        except LiveError as exc:  # the listing itself failed: nothing to walk, say so as one failed job
            diag = Diagnostic("error", str(exc), Span(url), code="live-unreachable")
            yield Job("<jenkins>", "unsupported", Span(url), source=url, diagnostics=(diag,))
        return
    if kind == "jenkins_home":
        from jenkins2flow.sources import jenkins_home

        yield from jenkins_home.iter_jobs(os.fspath(source), peek)  # type: ignore[arg-type]
        return
    from jenkins2flow.sources import files, jenkins_home

    inputs = [source] if isinstance(source, str | os.PathLike) else list(source)
    loose = []
    for item in inputs:  # a list may name JENKINS_HOMEs among the files
        if isinstance(item, str | os.PathLike) and jenkins_home.is_jenkins_home(item) and len(inputs) > 1:
            yield from iter_jobs(item, peek)
        else:
            loose.append(item)
    yield from files.iter_jobs(loose, peek)


@dataclass
class Inputs:
    """The jobs of SOURCE arguments, as `for job in Inputs(sources)`; what went wrong is collected while walking:
    `errors` (an argument or a named file that is not a job, an argument that gave no job), `unreadable` (jobs that
    could not be read at all: handed on, they fail to convert), `skipped` (files found in a folder or by a glob
    that are not jobs). One line each, `path:line:col: message`."""

    sources: Sequence[str | os.PathLike[str]]
    live_options: dict[str, Any] = field(default_factory=dict)
    peek: Peek | None = None
    errors: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Job]:
        for src in self.sources:
            found = skipped = failed = 0
            for job in iter_jobs(src, self.peek, **self.live_options):
                bad = next((d for d in job.diagnostics if d.code in NOT_A_JOB), None)
                if bad is not None:
                    if bad.level == "error":
                        self.errors.append(str(bad))
                        failed += 1
                    else:
                        self.skipped.append(str(bad))
                        skipped += 1
                    continue
                found += 1
                unreadable = next((d for d in job.diagnostics if d.level == "error" and d.code in UNREADABLE), None)
                if unreadable is not None:
                    self.unreadable.append(str(unreadable))
                yield job
            if not found and not failed:
                self.errors.append(_nothing_found(os.fspath(src), skipped))



def _nothing_found(src: str, skipped: int) -> str:
    if src.startswith(("http://", "https://")):
        return f"{src}: the Jenkins server lists no job."
    if skipped:
        return (f"{src}: no Jenkins job here; the {skipped} file(s) found are not Jenkins jobs (see the notes "
                "above).")
    if os.path.isdir(src):
        return (f"{src}: no Jenkins job here: the folder holds no config.xml, *.xml, Jenkinsfile or *.groovy file "
                "(nor a jobs/ folder).")
    return f"{src}: no file matches this pattern."


__all__ = ["Inputs", "NOT_A_JOB", "Peek", "Source", "UNREAD", "UNREADABLE", "is_unread", "iter_jobs", "read_unread",
           "source_kind", "unread_job", "unread_reason"]

"""Loose files: any mix of config.xml files, Jenkinsfiles, directories and glob patterns.

What a file is, is decided by its content (an XML root element, or Groovy), and its name for Groovy (see
`sources.content`). A file that is not a Jenkins job gives a Job with a `not-jenkins` diagnostic: an error for a
file named on the command line, a warning (skipped) for one found in a folder or by a glob. The job's full name
comes from the JENKINS_HOME layout the file sits in (`jobs/A/jobs/B/config.xml` -> `A/B`), else it is guessed from
the file name, or from the parent folder for `config.xml` and a bare `Jenkinsfile` (the Job says so: `name_guessed`,
and a schedule using H, which hashes the full name, is flagged). Two files whose guessed names are equal are one
job name: the batch refuses the second (convert.identity).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.sources import Peek, unread_job
from jenkins2flow.sources.content import decode, looks_like_xml, read_config_xml, text_problem, xml_problem
from jenkins2flow.sources.jenkins_home import name_in_jenkins_home
from jenkins2flow.sources.limits import check_steps

MAX_BYTES = 10 * 1024 * 1024
# In directories, only these names are considered (a repository holds much else); explicit files are always read.
_DIR_PATTERNS = ("*.xml", "Jenkinsfile", "Jenkinsfile.*", "*.jenkinsfile", "*.Jenkinsfile", "*.groovy")
_GENERIC_NAMES = {"config", "jenkinsfile"}
# Files Jenkins writes next to jobs that are not jobs (skipped in directory scans only).
_NOT_JOBS = {"build.xml", "changelog.xml", "flowNodeStore.xml", "junitResult.xml", "nodeMonitors.xml"}
_NOT_JOB_DIRS = {"builds", "workflow", "workflow-completed", "archive", ".git"}


def job_name_for(path: Path) -> str:
    """`jobs/etl/config.xml` -> `etl`; `ci/Jenkinsfile` -> `ci`; `nightly.xml` -> `nightly`;
    `deploy.Jenkinsfile` -> `deploy`; `Jenkinsfile.groovy` -> its folder (a guess: see read_file)."""
    stem = path.name.split(".", 1)[0] if path.name.lower().startswith("jenkinsfile") else path.stem
    if stem.lower() not in _GENERIC_NAMES:
        return stem
    return path.resolve().parent.name or stem


def expand(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named by paths, directories (searched recursively) and globs, each once, in a stable order."""
    for path, _named in expand_named(inputs):
        yield path


def expand_named(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, bool]]:
    """`expand`, each path with whether it was named as is (True) or found in a folder or by a glob (False)."""
    seen: set[Path] = set()
    for item in inputs:
        text = os.fspath(item)
        if glob.has_magic(text):
            candidates = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
        else:
            candidates = [Path(text)]
        for cand in candidates:
            named = cand == Path(text) and not cand.is_dir()
            if cand.is_dir():
                found = sorted({p for pat in _DIR_PATTERNS for p in cand.rglob(pat) if p.is_file()
                                and p.name not in _NOT_JOBS
                                and not _NOT_JOB_DIRS.intersection(p.relative_to(cand).parts[:-1])})
            else:
                found = [cand]
            for f in found:
                key = f.resolve()
                if key not in seen:
                    seen.add(key)
                    yield f, named


def _not_a_job(path: Path, name: str, message: str, code: str, named: bool = True) -> Job:
    diag = Diagnostic("error" if named else "warning", message, Span(str(path)), code=code)
    return Job(name, "unsupported", Span(str(path)), source=str(path), diagnostics=(diag,))


def read_file(path: Path, full_name: str | None = None, *, named: bool = True, peek: Peek | None = None) -> Job:
    """One file as a Job: config.xml by content, else a Jenkinsfile. Never raises. A file that is neither gives
    a Job with a `not-jenkins` diagnostic (an error when `named`, else a warning: a file skipped in a folder); what
    `peek` keeps from being read gives a stub (`sources.unread_job`)."""
    known = full_name or name_in_jenkins_home(path)
    job = _read_file(path, known or job_name_for(path), named, peek)
    return job if known else replace(job, name_guessed=True)


def _read_file(path: Path, name: str, named: bool, peek: Peek | None = None) -> Job:
    if not path.exists():
        return _not_a_job(path, name, f"No such file or directory: {str(path)!r}.", "not-found")
    if path.is_dir():
        return _not_a_job(path, name, f"{str(path)!r} is a folder.", "not-found")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            data = path.open("rb").read(MAX_BYTES + 1)
        else:
            data = path.read_bytes()
    except OSError as exc:
        diag = Diagnostic("error", f"Cannot read {str(path)!r}: {exc.strerror or exc}.", Span(str(path)),
                          code="io-error")
        return Job(name, "unsupported", Span(str(path)), source=str(path), diagnostics=(diag,))
    problem = xml_problem(data) if looks_like_xml(data) else text_problem(data, path.name)
    if problem:
        return _not_a_job(path, name, f"Not a Jenkins job: {problem}.", "not-jenkins", named)
    if peek is not None and (why := peek(name, str(path), data)) is not None:
        return unread_job(name, str(path), why)
    if looks_like_xml(data):
        return read_config_xml(data, str(path), name)
    return read_jenkinsfile(data, str(path), name)


def read_jenkinsfile(data: bytes, path: str, full_name: str) -> Job:
    """A Jenkinsfile through the Jenkinsfile parser (when installed); without it, the script kept as text. Bytes
    that are not UTF-8 (or UTF-16) are an error with their place, and the step limit applies."""
    if len(data) > MAX_BYTES:
        diag = Diagnostic("error", f"The file is above the {MAX_BYTES:,}-byte limit for a Jenkinsfile; not read.",
                          Span(path), code="oversize")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", diagnostics=(diag,))
    decoded = decode(data)
    if decoded.text is None:
        diag = Diagnostic("error", decoded.message, decoded.span(path), code="encoding")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", diagnostics=(diag,))
    text = decoded.text
    try:
        from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile  # type: ignore[attr-defined]
    except ImportError:
        diag = Diagnostic("warning", "The Jenkinsfile parser is not installed; the script is kept as text only.",
                          Span(path), code="no-jenkinsfile-parser")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", script=text,
                   diagnostics=(diag,))
    try:
        return check_steps(parse_jenkinsfile(text, path, full_name))
    except Exception as exc:
        diag = Diagnostic("error", f"Internal error while reading this Jenkinsfile ({type(exc).__name__}: {exc}).",
                          Span(path), code="internal-error")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", script=text,
                   diagnostics=(diag,))


def iter_jobs(inputs: Iterable[str | os.PathLike[str]], peek: Peek | None = None) -> Iterator[Job]:
    for path, named in expand_named(inputs):
        yield read_file(path, named=named, peek=peek)

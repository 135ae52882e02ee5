"""Loose files: any mix of config.xml files, Jenkinsfiles, directories and glob patterns.

What a file is, is decided by its content (an XML root element, or Groovy), not by its name. The job's full name
comes from the JENKINS_HOME layout the file sits in (`jobs/A/jobs/B/config.xml` -> `A/B`), else it is guessed from
the file name, or from the parent folder for `config.xml` and a bare `Jenkinsfile` (the Job says so: `name_guessed`,
and a schedule using H, which hashes the full name, is flagged).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.sources.jenkins_home import name_in_jenkins_home

MAX_BYTES = 10 * 1024 * 1024
# In directories, only these names are considered (a repository holds much else); explicit files are always read.
_DIR_PATTERNS = ("*.xml", "Jenkinsfile", "Jenkinsfile.*", "*.jenkinsfile", "*.Jenkinsfile", "*.groovy")
_GENERIC_NAMES = {"config", "jenkinsfile"}
# Files Jenkins writes next to jobs that are not jobs (skipped in directory scans only).
_NOT_JOBS = {"build.xml", "changelog.xml", "flowNodeStore.xml", "junitResult.xml", "nodeMonitors.xml"}
_NOT_JOB_DIRS = {"builds", "workflow", "workflow-completed", "archive", ".git"}


def looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") or data[:2] in (b"\xff\xfe", b"\xfe\xff")


def job_name_for(path: Path) -> str:
    """`jobs/etl/config.xml` -> `etl`; `ci/Jenkinsfile` -> `ci`; `nightly.xml` -> `nightly`;
    `deploy.Jenkinsfile` -> `deploy`; `Jenkinsfile.groovy` -> its folder."""
    stem = path.name.split(".", 1)[0] if path.name.lower().startswith("jenkinsfile") else path.stem
    if stem.lower() in _GENERIC_NAMES:
        parent = path.resolve().parent.name
        return parent or stem
    return stem


def expand(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named by paths, directories (searched recursively) and globs, each once, in a stable order."""
    seen: set[Path] = set()
    for item in inputs:
        text = os.fspath(item)
        if glob.has_magic(text):
            candidates = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
        else:
            candidates = [Path(text)]
        for cand in candidates:
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
                    yield f


def read_file(path: Path, full_name: str | None = None) -> Job:
    """One file as a Job: config.xml by content, else a Jenkinsfile. Never raises."""
    known = full_name or name_in_jenkins_home(path)
    job = _read_file(path, known or job_name_for(path))
    return job if known else replace(job, name_guessed=True)


def _read_file(path: Path, name: str) -> Job:
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
    if looks_like_xml(data):
        return parse_config_xml(data, str(path), name)
    return read_jenkinsfile(data, str(path), name)


def read_jenkinsfile(data: bytes, path: str, full_name: str) -> Job:
    """A Jenkinsfile through the Jenkinsfile parser (when installed); without it, the script kept as text."""
    if len(data) > MAX_BYTES:
        diag = Diagnostic("error", f"The file is above the {MAX_BYTES:,}-byte limit for a Jenkinsfile; not read.",
                          Span(path), code="oversize")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", diagnostics=(diag,))
    text = data.decode("utf-8", "replace")
    try:
        from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile  # type: ignore[attr-defined]
    except ImportError:
        diag = Diagnostic("warning", "The Jenkinsfile parser is not installed; the script is kept as text only.",
                          Span(path), code="no-jenkinsfile-parser")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", script=text,
                   diagnostics=(diag,))
    try:
        return parse_jenkinsfile(text, path, full_name)
    except Exception as exc:
        diag = Diagnostic("error", f"Internal error while reading this Jenkinsfile ({type(exc).__name__}: {exc}).",
                          Span(path), code="internal-error")
        return Job(full_name, "pipeline", Span(path), source=path, root_tag="Jenkinsfile", script=text,
                   diagnostics=(diag,))


def iter_jobs(inputs: Iterable[str | os.PathLike[str]]) -> Iterator[Job]:
    for path in expand(inputs):
        yield read_file(path)

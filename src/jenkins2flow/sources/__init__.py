"""Where jobs come from: a JENKINS_HOME (or its jobs/ folder), loose files, or a live Jenkins.

`iter_jobs(source)` picks the reader from the argument and yields one Job per job; a job that cannot be read
becomes a Job with an error diagnostic and the walk goes on.

- an http(s) URL -> live Jenkins (user and token from arguments or JENKINS_USER / JENKINS_TOKEN);
- a directory with `jobs/` or with `NAME/config.xml` children -> JENKINS_HOME walk;
- anything else (files, other directories, globs, or a list of them) -> loose files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from jenkins2flow.ir.nodes import Diagnostic, Job, Span

Source = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


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


def iter_jobs(source: Source, **live_options: Any) -> Iterator[Job]:
    kind = source_kind(source)
    if kind == "live":
        from jenkins2flow.sources.live import LiveError, LiveJenkins

        url = os.fspath(source)  # type: ignore[arg-type]
        try:
            yield from LiveJenkins.from_env(url, **live_options).iter_jobs()
        except LiveError as exc:  # the listing itself failed: nothing to walk, say so as one failed job
            diag = Diagnostic("error", str(exc), Span(url), code="live-unreachable")
            yield Job("<jenkins>", "unsupported", Span(url), source=url, diagnostics=(diag,))
        return
    if kind == "jenkins_home":
        from jenkins2flow.sources import jenkins_home

        yield from jenkins_home.iter_jobs(os.fspath(source))  # type: ignore[arg-type]
        return
    from jenkins2flow.sources import files, jenkins_home

    inputs = [source] if isinstance(source, str | os.PathLike) else list(source)
    loose = []
    for item in inputs:  # a list may name JENKINS_HOMEs among the files
        if isinstance(item, str | os.PathLike) and jenkins_home.is_jenkins_home(item) and len(inputs) > 1:
            yield from iter_jobs(item)
        else:
            loose.append(item)
    yield from files.iter_jobs(loose)


__all__ = ["Source", "iter_jobs", "source_kind"]

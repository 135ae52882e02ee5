"""Read jobs from paths given on the command line: Jenkinsfiles, config.xml files, folders of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from jenkins2flow.ir import Diagnostic, Job, Span

JENKINSFILE_SUFFIXES = (".jenkinsfile", ".groovy")
MAX_BYTES = 10 * 1024 * 1024


def _is_jenkinsfile(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith("jenkinsfile") or name.endswith(JENKINSFILE_SUFFIXES)


def _expand(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and (_is_jenkinsfile(child) or child.suffix == ".xml"):
                yield child
    else:
        yield path


def _failed(path: Path, message: str) -> Job:
    span = Span(str(path), 1, 1)
    return Job(full_name=path.stem, kind="unsupported", span=span, source=str(path),
               diagnostics=(Diagnostic("error", message, span),))


def load_path(path: Path) -> Job:
    """One job from one file; unreadable input becomes a job with an error diagnostic, never an exception."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _failed(path, f"cannot read the file: {exc.strerror or exc}.")
    if len(data) > MAX_BYTES:
        return _failed(path, f"the file is {len(data)} bytes, over the {MAX_BYTES}-byte limit.")
    if path.suffix == ".xml" or data.lstrip()[:1] == b"<":
        from jenkins2flow.parse.job_xml import parse_config_xml

        name = path.parent.name if path.name == "config.xml" else path.stem
        return parse_config_xml(data, str(path), name)
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    name = path.name.split(".")[0] if path.name.lower().endswith(".jenkinsfile") else path.stem
    text = data.decode("utf-8", errors="replace")
    return parse_jenkinsfile(text, str(path), name)


def load_paths(paths: Iterable[Path]) -> Iterator[Job]:
    for given in paths:
        if not given.exists():
            yield _failed(given, "no such file or folder.")
            continue
        for path in _expand(given):
            yield load_path(path)

"""Walk a JENKINS_HOME (or its `jobs/` folder) and read every job's config.xml.

Layout: `jobs/NAME/config.xml`; folders and organization folders nest as `jobs/A/jobs/B/...`; multibranch
projects keep their branch jobs in `branches/<mangled>/config.xml`. Full names are formed as Jenkins does:
`A/B/job`, a branch as `MB/<encoded branch name>` (`feature%2Fx`, branch-api's NameEncoder: only `# % / ? [ ] \\`
are escaped); the on-disk directory name is kept as an alias when it differs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.parse.job_xml import safe_fromstring
from jenkins2flow.sources import Peek, unread_job
from jenkins2flow.sources.content import read_config_xml, xml_problem


@dataclass(frozen=True, slots=True)
class JobRef:
    """Where a job lives: its Jenkins full name, its config.xml, its directory, and names it is also known by."""

    full_name: str
    config: Path
    directory: Path
    children: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # e.g. the mangled directory path of a multibranch branch


def jobs_dir(home: str | os.PathLike[str]) -> Path:
    """`home/jobs` for a JENKINS_HOME; `home` itself when it is already a jobs folder."""
    root = Path(home)
    return root / "jobs" if (root / "jobs").is_dir() else root


def is_jenkins_home(path: str | os.PathLike[str]) -> bool:
    """A JENKINS_HOME or a jobs folder: has `jobs/`, or holds at least one `NAME/config.xml`."""
    root = Path(path)
    if not root.is_dir():
        return False
    if (root / "jobs").is_dir():
        return True
    return any((child / "config.xml").is_file() for child in _subdirs(root))


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name)
    except OSError:
        return []


def branch_name(branch_dir: Path) -> str:
    """The real name of a multibranch branch: `name-utf8.txt` (branch-api writes it for mangled names), else the
    BranchJobProperty head name in its config.xml, else the directory name."""
    marker = branch_dir / "name-utf8.txt"
    if marker.is_file():
        name = marker.read_text("utf-8", "replace").strip()
        if name:
            return name
    config = branch_dir / "config.xml"
    if config.is_file():
        try:
            root, _ = safe_fromstring(config.read_bytes(), str(config))
        except OSError:
            root = None
        if root is not None:
            for prop in root.iterfind("properties/*"):
                if isinstance(prop.tag, str) and prop.tag.endswith("BranchJobProperty"):
                    name = (prop.findtext("branch/head/name") or "").strip()
                    if name:
                        return name
    return branch_dir.name


# branch-api's jenkins.branch.NameEncoder: a branch job's name is its branch name with these characters escaped
_NAME_ESCAPES = {"#": "%23", "%": "%25", "/": "%2F", "?": "%3F", "[": "%5B", "]": "%5D", "\\": "%5C"}


def encode_branch(name: str) -> str:
    """The name Jenkins gives a multibranch branch's job (NameEncoder.encode): part of its full name, so of H."""
    if name in ("", ".", ".."):
        return {"": "%00", ".": "%2E", "..": "%2E."}[name]
    return "".join(_NAME_ESCAPES.get(c, c) for c in name)


def name_in_jenkins_home(path: Path) -> str | None:
    """The Jenkins full name of a config.xml inside a JENKINS_HOME layout: `.../jobs/A/jobs/B/config.xml` -> `A/B`,
    `.../jobs/MB/branches/<dir>/config.xml` -> `MB/<encoded branch name>`; None for a file outside such a layout."""
    if path.name != "config.xml":
        return None
    names: list[str] = []
    job_dir = path.resolve().parent
    while True:
        parent = job_dir.parent
        if parent.name == "jobs":
            names.insert(0, job_dir.name)
        elif parent.name == "branches":
            names.insert(0, encode_branch(branch_name(job_dir)))
        else:
            break
        owner = parent.parent  # a folder or multibranch job holding this one, or the JENKINS_HOME
        if owner.parent.name != "jobs" or not (owner / "config.xml").is_file():
            break
        job_dir = owner
    return "/".join(names) or None


def iter_job_refs(home: str | os.PathLike[str]) -> Iterator[JobRef]:
    """Every job under a JENKINS_HOME, parents before children. Given a folder's directory inside a JENKINS_HOME
    (`jobs/team`), the jobs in it keep their full names (`team/etl`)."""
    root = Path(home)
    folder = name_in_jenkins_home(root / "config.xml") if (root / "jobs").is_dir() else None
    prefix = f"{folder}/" if folder else ""
    yield from _walk(jobs_dir(home), prefix, prefix)


def _walk(folder: Path, prefix: str, disk_prefix: str) -> Iterator[JobRef]:
    for d in _subdirs(folder):
        config = d / "config.xml"
        if not config.is_file():
            continue
        full = prefix + d.name
        disk = disk_prefix + d.name
        kids: list[tuple[str, Path, str]] = []  # (full name, directory, disk path)
        if (d / "jobs").is_dir():
            kids += [(f"{full}/{c.name}", c, f"{disk}/{c.name}") for c in _subdirs(d / "jobs")
                     if (c / "config.xml").is_file()]
        if (d / "branches").is_dir():
            for b in _subdirs(d / "branches"):
                if (b / "config.xml").is_file():
                    kids.append((f"{full}/{encode_branch(branch_name(b))}", b, f"{disk}/branches/{b.name}"))
        yield JobRef(full, config, d, tuple(k[0] for k in kids), (disk,) if disk != full else ())
        if (d / "jobs").is_dir():
            yield from _walk(d / "jobs", full + "/", disk + "/")
        for name, b, disk_path in kids:
            if b.parent.name == "branches":
                yield JobRef(name, b / "config.xml", b, (), (disk_path,) if disk_path != name else ())


def read_job(ref: JobRef, peek: Peek | None = None) -> Job:
    """Parse one job; an unreadable file gives a Job with an error diagnostic; what `peek` keeps from being read
    gives a stub (`sources.unread_job`)."""
    try:
        data = ref.config.read_bytes()
    except OSError as exc:
        diag = Diagnostic("error", f"Cannot read {str(ref.config)!r}: {exc.strerror or exc}.", Span(str(ref.config)),
                          code="io-error")
        return Job(ref.full_name, "unsupported", Span(str(ref.config)), source=str(ref.config), diagnostics=(diag,))
    problem = xml_problem(data)
    if problem:
        diag = Diagnostic("error", f"This config.xml is not a job: {problem}.", Span(str(ref.config)),
                          code="bad-config")
        return Job(ref.full_name, "unsupported", Span(str(ref.config)), source=str(ref.config), diagnostics=(diag,))
    if peek is not None and (why := peek(ref.full_name, str(ref.config), data)) is not None:
        job = unread_job(ref.full_name, str(ref.config), why)
    else:
        job = read_config_xml(data, str(ref.config), ref.full_name)
    if ref.children or ref.aliases:
        job = replace(job, children=ref.children, aliases=ref.aliases)
    return job


def iter_jobs(home: str | os.PathLike[str], peek: Peek | None = None) -> Iterator[Job]:
    for ref in iter_job_refs(home):
        yield read_job(ref, peek)


def job_directory(home: str | os.PathLike[str], full_name: str) -> Path | None:
    """The directory of a job given its full name (for its recorded builds)."""
    for ref in iter_job_refs(home):
        if ref.full_name == full_name or full_name in ref.aliases:
            return ref.directory
    return None

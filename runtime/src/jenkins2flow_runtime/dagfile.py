"""Static DAG files and the loader file in a dags folder: their names, how to tell them apart, what a static file
pins. No Airflow here: the toolkit's `render` writes these files, the runtime's loader reads them.

- A **static** DAG file (`jenkins2flow render`) holds one pipeline and the documents it pins as plain data and calls
  `jenkins2flow_runtime.airflow.build_dag`; its first line is the marker `# jenkins2flow static DAG: pipeline=NAME`.
- The **loader** file (`load_dags(globals())`) builds every published pipeline of the store.

Both in one dags folder would define the same DAG id twice (an import error in Airflow), so the loader skips the
pipelines that have a static file there, and says so; `render` warns when its folder holds a loader file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from jenkins2flow_runtime import model

MARKER = "# jenkins2flow static DAG: pipeline="
_MARKER_RE = re.compile(r"# jenkins2flow static DAG: pipeline=(\S+)\s*$")
LOADER_FILE = "jenkins2flow_dags.py"
LOADER_TEXT = "from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())\n"
DocKey = tuple[str, str, int]


def dag_file_name(pipeline: str) -> str:
    """The static DAG file of a pipeline: its name plus `.py`. Pipeline names are already safe file names
    (letters, digits, `_`, `.`, `-`, starting with a letter or digit), so the name itself is the stable choice:
    `a-b`, `a_b` and `a.b` get three files, as they are three DAG ids.

    On a case-insensitive filesystem (macOS, Windows) `A-B.py` and `a-b.py` are one file, so a name with capitals
    also says which of its characters are capitals: a `+` (which no name holds) and a hexadecimal bit mask of their
    positions, `A-B` -> `A-B+5.py`. Names that differ only in case get files that differ in more than case, and a
    pipeline's file never depends on which other pipelines there are."""
    model.specs.check_name(pipeline, "pipeline name")
    capitals = sum(1 << i for i, c in enumerate(pipeline) if c.isupper())
    return f"{pipeline}+{capitals:x}.py" if capitals else f"{pipeline}.py"


def legacy_dag_file_name(pipeline: str) -> str:
    """The file name `dag_file_name` gave before it marked capitals (the name plus `.py`)."""
    model.specs.check_name(pipeline, "pipeline name")
    return f"{pipeline}.py"


def marker_line(pipeline: str) -> str:
    model.specs.check_name(pipeline, "pipeline name")
    return f"{MARKER}{pipeline}"


def static_pipeline(path: str | os.PathLike[str]) -> str | None:
    """The pipeline a static DAG file holds (read from its first line), None for any other file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline(300)
    except OSError:
        return None
    m = _MARKER_RE.match(first)
    return m.group(1) if m else None


def _python_files(folder: Path) -> Iterable[Path]:
    """The .py files Airflow would look at under `folder` (hidden folders and __pycache__ skipped)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        yield from (Path(root) / f for f in sorted(files) if f.endswith(".py"))


def static_files(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Pipeline name -> the static DAG file that holds it, for every static file under `folder`."""
    found: dict[str, Path] = {}
    for path in _python_files(Path(folder)):
        name = static_pipeline(path)
        if name is not None:
            found.setdefault(name, path)
    return found


def is_loader(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a loader file: Python that calls the runtime's `load_dags`."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "jenkins2flow_runtime" in text and re.search(r"\bload_dags\s*\(", text) is not None


def loader_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The loader files under `folder` (a static DAG file never counts)."""
    base = Path(folder)
    if not base.is_dir():
        return []
    return [p for p in _python_files(base) if static_pipeline(p) is None and is_loader(p)]


def pinned(pipeline: model.Document, documents: Iterable[model.Document]) -> dict[DocKey, model.Document]:
    """The documents `pipeline` pins, keyed as its references name them (kind, name, version): an exact version,
    or for version 0 (not yet resolved by a store) the highest version given. Raises LookupError naming what is
    missing."""
    by_name: dict[tuple[str, str], dict[int, model.Document]] = {}
    for doc in documents:
        by_name.setdefault((doc.kind, doc.name), {})[doc.version] = doc
    spec = pipeline.spec
    if not isinstance(spec, model.PipelineSpec):
        raise TypeError(f"{pipeline.ref()} is not a pipeline.")
    out: dict[DocKey, model.Document] = {}
    missing: list[str] = []
    for where, ref in spec.refs():
        versions = by_name.get((ref.kind, ref.name), {})
        found = versions.get(ref.version) or (versions[max(versions)] if versions and ref.version == 0 else None)
        if found is None:
            missing.append(f"{model.errors.dotted(('spec', *where))}: {ref}")
        else:
            out[(ref.kind, ref.name, ref.version)] = found
    if missing:
        raise LookupError(f"pipeline {pipeline.name!r} pins documents that were not given: {'; '.join(missing)}")
    return out


def documents_of(values: Iterable[model.Document | Mapping[str, object]]) -> list[model.Document]:
    """Documents from documents or their JSON form (`model.to_dict`), validated (and migrated) like the store's."""
    return [v if isinstance(v, model.Document) else model.from_dict(dict(v)) for v in values]

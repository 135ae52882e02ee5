"""Render a pipeline as a static Airflow 3 DAG file: a shim over the runtime's `build_dag`.

The file holds the pipeline document and the documents it pins as plain data (a job Jenkins still runs without
its draft_tasks, which never run: they stay in the catalog), and builds its DAG with
`jenkins2flow_runtime.airflow.build_dag`, the function the loader builds every pipeline of the store with, so both
give the same DAG and the store is not read when Airflow parses the file. Every value reaches the file through the
`to_python` filter (a Python literal of plain data), so no job name, script or SQL can become Python or Jinja; the
template is StrictUndefined. The first line marks the file as static (`jenkins2flow_runtime.dagfile`), so a loader in
the same folder leaves the pipeline to it.

The file is valid Python by construction, so it is not parsed again after rendering: the template is plain text whose
only holes are `to_python` (the `repr` of a str, int, finite float, bool or None, or of lists, tuples and dicts of
them: exact types, so no subclass brings its own `repr`) and `to_python_lines` (the same literals laid out over lines
inside their brackets, where Python joins lines). `repr` never writes a line break (it escapes \n, \r and every
unprintable character), so a value in a comment stays in it. tests/render/test_render.py holds these rules on
hostile values, and parses the template with every hole filled once per process (`check_template`).
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from jenkins2flow_runtime import dagfile, model
from jenkins2flow_runtime.catalog import Catalog
from jenkins2flow_runtime.store import Store, StoreError
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from jenkins2flow.errors import Jenkins2flowError

TEMPLATES = Path(__file__).parent / "templates"
_PLAIN = (str, int, float, bool, type(None))
WIDTH = 120  # to_python_lines: a container that fits on its line stays on it
INDENT = 4
_CONTAINERS = (list, tuple, dict)
DocTexts = dict[tuple[str, str, int, str], str]  # (kind, name, version, status) -> an embedded document's text
K = TypeVar("K")
V = TypeVar("V")


class RenderError(Jenkins2flowError):
    """A pipeline that cannot be rendered as asked (unknown name, a file that belongs to something else)."""


def to_python(value: Any) -> str:
    """A Python literal for plain data (str, numbers, bools, None, lists, tuples, dicts) on one line: `repr`, which
    escapes every line break, so it is safe in a comment too."""
    _check_plain(value)
    return repr(value)


def to_python_lines(value: Any, indent: int = 0) -> str:
    """`to_python` laid out over lines for reading (an expression, never for a comment): a list, tuple or dict
    that does not fit in WIDTH columns puts one item per line, INDENT deeper than `indent`, each followed by a
    comma (so a one-item tuple stays a tuple)."""
    _check_plain(value)
    return _lines(value, indent, indent)


def _lines(value: Any, indent: int, column: int) -> str:
    """`value` written from `column` on a line indented by `indent` (one column kept for a comma after it)."""
    kind = type(value)
    text = _inline(value, WIDTH - 1 - column) if value else repr(value)
    if text is not None or kind not in _CONTAINERS:
        return text if text is not None else repr(value)
    pad = indent + INDENT
    space = " " * pad
    if kind is dict:
        out = ["{\n"]
        for k, v in value.items():
            key = repr(k)
            out.append(f"{space}{key}: {_lines(v, pad, pad + len(key) + 2)},\n")
        out.append(" " * indent + "}")
    else:
        out = ["[\n" if kind is list else "(\n"]
        out += [f"{space}{_lines(v, pad, pad)},\n" for v in value]
        out.append(" " * indent + ("]" if kind is list else ")"))
    return "".join(out)


def _inline(value: Any, room: int) -> str | None:
    """`repr(value)` when it is at most `room` characters long, else None: built from its items' reprs, stopping as
    soon as it is too long (a large container is not written out whole at each level of the layout)."""
    kind = type(value)
    if kind not in _CONTAINERS or not value:
        leaf = repr(value)
        return leaf if len(leaf) <= room else None
    used = 2
    parts: list[str] = []
    for item in value.items() if kind is dict else value:
        used += 2 if parts else 0
        key = f"{item[0]!r}: " if kind is dict else ""
        used += len(key)
        text = _inline(item[1] if kind is dict else item, room - used)
        if text is None:
            return None
        used += len(text)
        if used > room:
            return None
        parts.append(key + text)
    if kind is tuple and len(parts) == 1:
        return f"({parts[0]},)" if used + 1 <= room else None
    opening, closing = ("{", "}") if kind is dict else ("[", "]") if kind is list else ("(", ")")
    return opening + ", ".join(parts) + closing


def _check_plain(value: Any) -> None:
    kind = type(value)
    if kind in _PLAIN:
        if kind is float and not math.isfinite(value):
            raise TypeError(f"Only finite numbers may be rendered into a DAG file, not {value!r}.")
        return
    if kind is list or kind is tuple:
        for v in value:
            _check_plain(v)
        return
    if kind is dict:
        for k, v in value.items():
            _check_plain(k)
            _check_plain(v)
        return
    raise TypeError(f"Only plain data may be rendered into a DAG file, not {kind.__name__}.")


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=False,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["to_python"] = to_python
    env.filters["to_python_lines"] = to_python_lines
    env.filters["python_items"] = python_items
    return env


def python_items(texts: list[str]) -> str:
    """A list literal of items already written by `to_python_lines(item, INDENT)`, one per line."""
    return "[\n" + "".join(f"{' ' * INDENT}{t},\n" for t in texts) + "]" if texts else "[]"


def render_dag(pipeline: model.Document, documents: Iterable[model.Document], texts: DocTexts | None = None) -> str:
    """The static DAG file of `pipeline`; `documents` must hold every document it pins (others are left out).

    `texts`: a cache of embedded documents' texts that the caller keeps for documents of one store, where a (kind,
    name, version) never changes (its status can: it is part of the key)."""
    spec = pipeline.spec
    if not isinstance(spec, model.PipelineSpec):
        raise TypeError(f"{pipeline.ref()} is not a pipeline.")
    check_template()
    draft = len(spec.draft_tasks)
    if draft:  # a job Jenkins still runs: its draft never runs, it stays in the catalog for review (not parsed by
        # Airflow at every DAG-folder scan: a large job's draft made a file of megabytes for one task)
        pipeline = pipeline.model_copy(update={"spec": spec.model_copy(update={"draft_tasks": []})})
    pins = dagfile.pinned(pipeline, documents)
    embedded = sorted({d.ref(): d for d in pins.values()}.values(), key=lambda d: (d.kind, d.name, d.version))
    return environment().get_template("dag.py.j2").render(
        marker=dagfile.marker_line(pipeline.name), name=pipeline.name, version=pipeline.version,
        job=spec.provenance.job, loader=dagfile.LOADER_FILE, draft=draft,
        pipeline=model.to_dict(pipeline), documents=[_doc_text(d, texts) for d in embedded],
    )


def _doc_text(doc: model.Document, texts: DocTexts | None) -> str:
    if texts is None:
        return to_python_lines(model.to_dict(doc), INDENT)
    key = (doc.kind, doc.name, doc.version, doc.status)
    if key not in texts:
        texts[key] = to_python_lines(model.to_dict(doc), INDENT)
    return texts[key]


@functools.cache
def check_template() -> None:
    """The template, its holes filled with values of every shape, parses as Python (once per process)."""
    value = {"s": "x'\"\n\u2028", "n": [1, 2.5, None, True, (1,)], "d": {"k": "v" * WIDTH}}
    text = environment().get_template("dag.py.j2").render(
        marker=dagfile.marker_line("p"), name="p\n'", version=1, job="j\r\n", loader=dagfile.LOADER_FILE,
        draft=2, pipeline=value, documents=[to_python_lines(value, INDENT)] * 2)
    ast.parse(text)


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    pipeline: str
    version: int
    changed: bool  # False: the file already held this text and was not rewritten


def write_dag(directory: Path, pipeline: model.Document, documents: Iterable[model.Document],
              texts: DocTexts | None = None) -> Written:
    """Write the static DAG file of `pipeline` into `directory` (named by `dagfile.dag_file_name`) unless it
    already holds that text. Refuses to overwrite a file that is not this pipeline's static file. The file an
    earlier release wrote for a name with capitals (`A-B.py`, now `A-B+5.py`) is removed once the new one is there,
    and only when it holds this very pipeline (the same DAG id twice is an Airflow import error)."""
    path = directory / dagfile.dag_file_name(pipeline.name)
    written = _write(path, directory, pipeline, documents, texts)
    legacy = directory / dagfile.legacy_dag_file_name(pipeline.name)
    if legacy != path and dagfile.static_pipeline(legacy) == pipeline.name:
        legacy.unlink()
        return replace(written, changed=True)
    return written


def _write(path: Path, directory: Path, pipeline: model.Document, documents: Iterable[model.Document],
           texts: DocTexts | None) -> Written:
    text = render_dag(pipeline, documents, texts) if texts is not None else render_dag(pipeline, documents)
    try:
        old: bytes | None = path.read_bytes()
    except FileNotFoundError:
        old = None
    except OSError:  # a folder or an unreadable file in the way
        old = b""
    if old is not None:
        owner = dagfile.static_pipeline(path)
        if owner != pipeline.name:
            what = f"the static DAG file of pipeline {owner!r}" if owner else "a file jenkins2flow did not write"
            raise RenderError(f"{path}: holds {what}; not overwritten with pipeline {pipeline.name!r}. Move it "
                              "away or render into another folder.")
        if old == text.encode("utf-8"):
            return Written(path, pipeline.name, pipeline.version, False)
    try:
        path.write_text(text, encoding="utf-8")
    except FileNotFoundError:  # the folder is new
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Written(path, pipeline.name, pipeline.version, True)


def loader_warning(directory: Path) -> str:
    """A warning when `directory` holds a loader file beside which static files define every DAG id twice."""
    loaders = dagfile.loader_files(directory)
    if not loaders:
        return ""
    names = ", ".join(str(p.relative_to(directory)) for p in loaders)
    return (f"warning: {directory} also holds the jenkins2flow loader ({names}), which builds every published "
            "pipeline from the store: it leaves the pipelines that have static files to them, but deploy one or "
            "the other, not both; delete the loader file to serve only the static files.")


_WARNED: set[Path] = set()  # folders (resolved) whose loader file was warned about
_LOOKED_AT: set[Path] = set()  # folders as given


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Recent(OrderedDict[K, V]):
    """A dict that keeps its `keep` most recently used items (read or written), the others let go."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def __getitem__(self, key: K) -> V:
        self.move_to_end(key)
        return super().__getitem__(key)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.keep:
            self.popitem(last=False)


KEEP_DOCS = 2_000  # StoredDocs: versions (and DAG texts) kept; an estate makes new task versions job after job


@dataclass
class StoredDocs:
    """Versions of one store's documents read or saved during a run, by (kind, name, version), with the texts they
    take in DAG files (`DocTexts`): a version never changes, so one kept is not read nor laid out again. The
    KEEP_DOCS most recently used of each are kept (memory stays flat over an estate whose jobs make their own task
    versions); one let go is read again from the store when needed."""

    store: Store
    docs: dict[tuple[str, str, int], model.Document] = field(default_factory=lambda: Recent(KEEP_DOCS))
    texts: DocTexts = field(default_factory=lambda: Recent(KEEP_DOCS))
    published: dict[tuple[str, str], int] = field(default_factory=dict)  # the published version of each document

    def get(self, kind: str, name: str, version: int) -> model.Document:
        key = (kind, name, version)
        if key not in self.docs:
            self.put(self.store.get(kind, name, version))  # type: ignore[arg-type]
        return self.docs[key]

    def put(self, doc: model.Document) -> None:
        """A version as stored, its status as it is now (publishing it sends the version published before it back to
        draft, as the store does)."""
        self.docs[doc.kind, doc.name, doc.version] = doc
        if doc.status == "published":
            before = self.published.get((doc.kind, doc.name))
            if before is not None and before != doc.version and (doc.kind, doc.name, before) in self.docs:
                old = self.docs[doc.kind, doc.name, before]
                self.docs[doc.kind, doc.name, before] = old.model_copy(update={"status": "draft"})
            self.published[doc.kind, doc.name] = doc.version


def embedded_refs(spec: model.PipelineSpec) -> list[model.Ref]:
    """The references whose documents a static file holds: all but the draft's (`render_dag`)."""
    return [ref for where, ref in spec.refs() if where[0] != "draft_tasks"]


def write_stored_dag(directory: Path, store: Store, pipeline: model.Document,
                     warn: Callable[[str], None] = _stderr, cache: StoredDocs | None = None) -> Written:
    """`write_dag` with the documents `pipeline` pins read from `store` (what `convert --dags-dir` writes after
    saving: the same file `jenkins2flow render` writes for that version). Warns once per folder holding a loader.
    `cache`: the documents already read or saved in this run (refs pinned to a version are looked up there)."""
    assert isinstance(pipeline.spec, model.PipelineSpec)
    docs = [cache.get(ref.kind, ref.name, ref.version) if cache is not None and ref.version
            else store.get(ref.kind, ref.name, ref.version or "published") for ref in embedded_refs(pipeline.spec)]
    if directory not in _LOOKED_AT:  # as given: resolving a path costs a system call per part of it
        _LOOKED_AT.add(directory)
        if (folder := directory.resolve()) not in _WARNED:
            _WARNED.add(folder)
            if message := loader_warning(directory):
                warn(message)
    return write_dag(directory, pipeline, docs, cache.texts if cache is not None else None)


@dataclass
class RenderResult:
    written: list[Written] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per pipeline that could not be rendered


def render_catalog(catalog: Catalog, directory: Path, names: Sequence[str] = ()) -> RenderResult:
    """Write the static DAG files of the catalog's pipelines (all, or `names`) into `directory`. An unknown name
    raises RenderError (with a did-you-mean); a pipeline that cannot be rendered is reported and the rest go on."""
    published = {p.name: p for p in catalog.pipelines}
    invalid = {bad.name: bad for bad in catalog.invalid if bad.kind == "pipeline"}
    for name in names:
        if name not in published and name not in invalid:
            close = difflib.get_close_matches(name, list(published), n=1, cutoff=0.6)
            raise RenderError(f"Unknown pipeline {name!r}: no published pipeline has that name in "
                              f"{catalog.origin or 'the store'}." + (f" Did you mean {close[0]!r}?" if close else ""))
    result = RenderResult()
    for name in names or sorted(published.keys() | invalid.keys()):
        if name in invalid:
            result.errors.append(f"pipeline {name!r}: not rendered: {invalid[name]}")
            continue
        doc = published[name]
        assert isinstance(doc.spec, model.PipelineSpec)
        try:
            docs = [catalog.get(ref) for ref in embedded_refs(doc.spec)]
            result.written.append(write_dag(directory, doc, docs))
        except (StoreError, LookupError, ValueError, OSError, RenderError) as exc:
            result.errors.append(f"pipeline {name!r}: not rendered: {exc}")
    return result

"""Read one Jenkins job `config.xml` into a `Job`, safely, without ever raising.

Safety first: a document with a DOCTYPE or an ENTITY declaration is refused before the XML parser sees it (no
entity expansion, no DTD, no file or network read), input above `max_bytes` is refused, and lxml runs with
entities, DTDs and network access off. Jenkins writes `<?xml version='1.1'?>`: libxml2 (which implements XML 1.0
only) reads it as 1.0 with a warning, which is what Jenkins' documents need, except for the C0 control-character
references that only 1.1 allows (see `_safe_parse`).

Anything that goes wrong becomes an error Diagnostic with a `path:line:col` span on a Job of kind "unsupported"
(or the kind the root element names, when it could be seen).
"""

from __future__ import annotations

import re
import threading
from dataclasses import fields, is_dataclass, replace
from typing import Any

from lxml import etree

from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.parse.xml.common import BlankTextRemoved, Ctx
from jenkins2flow.parse.xml.raw import RawDoc
from jenkins2flow.parse.xml.roots import (
    ROOT_ALIASES,
    ROOT_KINDS,
    TOP_LEVEL,
    JobAcc,
    finish_sources,
    keep_top_level,
    maven_builder,
)

MAX_BYTES = 10 * 1024 * 1024

_DECL_11 = re.compile(rb"""\A(\xef\xbb\xbf)?\s*<\?xml\s+version\s*=\s*(['"])1\.1\2""")
# Character references to C0 controls, legal in XML 1.1 only (Jenkins writes them for ESC etc. in scripts).
_C0_REF = re.compile(rb"&#(?:x0*(?:[1-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[1-8]|1[1-2]|1[4-9]|2[0-9]|3[01]));")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_SNIFF = re.compile(rb"<([A-Za-z_][\w.\-]*)")
_local = threading.local()
_UTF8: tuple[str, ...] = ("UTF-8", "utf-8")


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False,
            collect_ids=False, remove_pis=True,
        )
        _local.parser = parser
    return parser


def _blank_parser() -> etree.XMLParser:
    """`_parser()` plus libxml2's removal of blank text (whitespace-only text before an element's first child and
    between children; never a leaf's text): a smaller tree, cheaper to build, walk and free. The handlers read the
    text of an element with children through `own_text`, which tells when this tree could differ (see `_parse`)."""
    parser = getattr(_local, "blank_parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False,
            collect_ids=False, remove_pis=True, remove_blank_text=True,
        )
        _local.blank_parser = parser
    return parser


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _sniff_root(data: bytes) -> str:
    """The root element's tag, found by scanning past the prolog (for jobs we could not parse)."""
    pos = 0
    head = data[:65536]
    while True:
        lt = head.find(b"<", pos)
        if lt < 0:
            return ""
        nxt = head[lt + 1:lt + 2]
        if nxt == b"?":
            pos = head.find(b"?>", lt) + 2 if head.find(b"?>", lt) >= 0 else len(head)
        elif head[lt:lt + 4] == b"<!--":
            end = head.find(b"-->", lt)
            pos = end + 3 if end >= 0 else len(head)
        elif nxt == b"!":
            pos = lt + 2
        else:
            m = _ROOT_SNIFF.match(head, lt)
            return m.group(1).decode("ascii", "replace") if m else ""


def _has_bang_markup(data: bytes) -> bool:
    """Whether `data` holds "<!" anywhere (`b"<!" in data`, faster: "!" is rare in a config.xml and a one-byte
    find is a memchr, while a two-byte find steps through the many "<")."""
    pos = data.find(b"!")
    for _ in range(16):
        if pos < 0:
            return False
        if pos and data[pos - 1] == 0x3C:  # "<"
            return True
        pos = data.find(b"!", pos + 1)
    return pos >= 0 and b"<!" in data[pos - 1:]


def _has_inner_pi(data: bytes) -> bool:
    """Whether `data` holds "<?" past its first two bytes (a processing instruction other than a declaration at
    the very start), with one-byte finds for the "?" like `_has_bang_markup`."""
    pos = data.find(b"?", 2)
    for _ in range(16):
        if pos < 0:
            return False
        if data[pos - 1] == 0x3C and pos > 1:  # "<", not the declaration's own "<?" at offset 0
            return True
        pos = data.find(b"?", pos + 1)
    return pos >= 0 and data.find(b"<?", max(pos - 1, 1)) >= 0


def _blanks_ok(data: bytes, bang: bool | None = None) -> bool:
    """Whether blank-text removal (`_blank_parser`) can only drop whitespace that `own_text` notices: the bytes
    start with "<" (no BOM) and hold no "<!" (comment, CDATA, DOCTYPE; `bang` is `_has_bang_markup(data)` when the
    caller has it), no inner processing instruction and no carriage return, around which libxml2 would drop
    blanks of a leaf too. The scans are valid for UTF-8 only: `_safe_parse` checks the encoding libxml2 saw."""
    if data[:1] != b"<" or b"\r" in data:
        return False
    if bang is None:
        bang = _has_bang_markup(data)
    return not bang and not _has_inner_pi(data)


def _refusal(data: bytes, max_bytes: int) -> tuple[str, int] | None:
    """Why a document must not reach the parser, and at which byte offset; None when it may."""
    return _refusal_and_bang(data, max_bytes)[0]


def _refusal_and_bang(data: bytes, max_bytes: int) -> tuple[tuple[str, int] | None, bool]:
    """`_refusal`, plus whether the bytes hold a "<!" (`_has_bang_markup`, which it looks at anyway)."""
    if len(data) > max_bytes:
        return (f"The file is {len(data):,} bytes, above the {max_bytes:,}-byte limit for a config.xml; it was not "
                "read. Raise the limit if this job really is that large.", 0), True
    probe = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            probe = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            probe = data
    bang = _has_bang_markup(probe)
    m = _DTD.search(probe) if bang else None  # most files have no "<!" at all
    if m:
        what = m.group(1).decode().upper()
        return (f"The file declares a {what} (<!{what} ...>); Jenkins never writes one, and DTDs and entities are "
                "refused for safety (entity expansion, external file or network reads). Remove the declaration "
                "if the file is genuine.", m.start() if probe is data else 0), True
    return None, bang or probe is not data


def _kind_of(root_tag: str) -> str:
    return ROOT_KINDS.get(root_tag) or ROOT_ALIASES.get(root_tag) or "unsupported"


def _failed(full_name: str, path: str, data: bytes, message: str, line: int, col: int, code: str) -> Job:
    root = _sniff_root(data) if len(data) <= MAX_BYTES * 4 else ""
    span = Span(path, line, col)
    return Job(full_name, _kind_of(root), Span(path), source=path, root_tag=root,
               diagnostics=(Diagnostic("error", message, span, code),))


def parse_config_xml(data: bytes, path: str, full_name: str, *, max_bytes: int = MAX_BYTES,
                     read_script: bool = True) -> Job:
    """Parse a job config.xml. Never raises: bad input gives a Job whose diagnostics say what and where.

    An inline pipeline script is always kept in `Job.script`; with `read_script` (the default) it also goes through
    the Jenkinsfile parser and its stages, steps, parameters... are merged into the Job."""
    try:
        return _parse(data, path, full_name, max_bytes, read_script)
    except Exception as exc:  # a bug of ours on a strange file must not stop a batch of thousands
        return _failed(full_name, path, data if isinstance(data, bytes) else b"",
                       f"Internal error while reading this config.xml ({type(exc).__name__}: {exc}); please report "
                       "it with the file.", 1, 1, "internal-error")


def safe_fromstring(data: bytes, path: str, max_bytes: int = MAX_BYTES) -> tuple[Any, list[Diagnostic]]:
    """Parse XML bytes safely (no DTD, no entities, size cap, XML 1.1 accepted). Returns (root or None, notes);
    when the root is None the notes hold one error saying why, with its `path:line:col`. Never raises."""
    root, notes, _info, _blanks = _safe_parse(data, path, max_bytes)
    return root, notes


def _safe_parse(data: bytes, path: str, max_bytes: int,
                blanks: bool = False) -> tuple[Any, list[Diagnostic], Any, bool]:
    """`safe_fromstring`, plus the document's docinfo (None when the root is None) and whether its blank text was
    removed: with `blanks`, when `_blanks_ok` says it may be and the document parses (a document that does not is
    parsed again the usual way, so that the error is the usual one)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        bad = Diagnostic("error", f"Expected XML bytes, got {type(data).__name__}.", Span(path), "bad-input")
        return None, [bad], None, False
    data = bytes(data)
    refused, bang = _refusal_and_bang(data, max_bytes)
    if refused:
        message, offset = refused
        line, col = _line_col(data, offset) if offset else (1, 1)
        code = "oversize" if len(data) > max_bytes else "dtd-refused"
        return None, [Diagnostic("error", message, Span(path, line, col), code)], None, False
    notes: list[Diagnostic] = []
    try:
        root, info, blanks = _parse_tree(data, blanks, bang)
    except etree.XMLSyntaxError as exc:
        # XML 1.1 allows character references to C0 controls (Jenkins writes them for ESC etc. in scripts); 1.0 and
        # libxml2 do not. Only a 1.1 document that fails is searched for them: most have none.
        fixed, count = _C0_REF.subn(b"&#xFFFD;", data) if _DECL_11.match(data) else (data, 0)
        try:
            if not count:
                raise exc
            root, info, blanks = _parse_tree(fixed, blanks, bang)
        except etree.XMLSyntaxError as err:
            line, col = (err.position if err.position else (err.lineno or 1, 1))
            message = f"The file is not well-formed XML: {err.msg}. Fix or re-export it from Jenkins."
            return None, [Diagnostic("error", message, Span(path, line or 1, col or 1), "malformed-xml")], None, False
        notes.append(Diagnostic("warning", f"{count} control character reference(s) allowed only in XML 1.1 were "
                                "replaced by U+FFFD.", Span(path), "xml11-control-chars"))
    assert info is not None
    if info.doctype or info.internalDTD is not None:  # belt and braces: the scan should catch it
        return None, [Diagnostic("error", "The file declares a DOCTYPE; refused for safety.", Span(path),
                                 "dtd-refused")], None, False
    return root, notes, info, blanks


def _parse_tree(data: bytes, blanks: bool, bang: bool) -> tuple[Any, Any, bool]:
    """The root, its docinfo, and whether blank text was removed (with `blanks`, when `_blanks_ok` says it may be
    and the document parses; a document that does not is parsed again the usual way, so that the error raised is
    the usual one). Raises XMLSyntaxError."""
    if blanks and _blanks_ok(data, bang):
        try:
            root = etree.fromstring(data, _blank_parser())
            info = root.getroottree().docinfo
            if info.encoding in _UTF8:  # else the byte scans of `_blanks_ok` said nothing about this document
                return root, info, True
        except etree.XMLSyntaxError:
            pass
    root = etree.fromstring(data, _parser())
    return root, root.getroottree().docinfo, False


def _parse(data: bytes, path: str, full_name: str, max_bytes: int, read_script: bool = True,
           blanks: bool = True) -> Job:
    """`parse_config_xml`; with `blanks` False, always from the usual tree (the tests compare both)."""
    root, notes, info, blanks = _safe_parse(data, path, max_bytes, blanks)
    if root is None:
        raw = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else b""
        root_tag = _sniff_root(raw) if len(raw) <= MAX_BYTES * 4 else ""
        return Job(full_name, _kind_of(root_tag), Span(path), source=path, root_tag=root_tag,
                   diagnostics=tuple(notes))
    doc = RawDoc(data if isinstance(data, bytes) else bytes(data), path)
    if blanks:
        try:
            return _read_job(root, path, full_name, notes, doc, read_script, True)
        except BlankTextRemoved:  # a handler read the text of an element with children: read the usual tree
            root, notes, info, blanks = _safe_parse(data, path, max_bytes)
    return _read_job(root, path, full_name, notes, doc, read_script)


def _read_job(root: Any, path: str, full_name: str, notes: list[Diagnostic], doc: RawDoc | None = None,
              read_script: bool = True, blanks: bool = False) -> Job:
    ctx = Ctx(path, notes, doc, blanks)
    tag = root.tag if isinstance(root.tag, str) else ""
    kind = _kind_of(tag)
    acc = JobAcc(kind, tag, concurrent_build=tag in ("flow-definition",), maven_line=root.sourceline or 1)
    if tag in ROOT_ALIASES:
        ctx.report("info", f"Job kind {tag!r} is read as a {kind} job (same layout).", root)
    elif kind == "unsupported":
        ctx.report("error", f"unsupported job kind {tag!r}: it is not a freestyle, pipeline, matrix, maven, folder, "
                   "multibranch or organization-folder job; everything in it is still recorded.", root,
                   "unsupported-kind")
    reader = TOP_LEVEL.get
    settings = acc.settings
    lines = []
    for el in root[:]:
        el_tag = el.tag
        if el_tag.__class__ is str:
            lines.append((el_tag, el.sourceline or 1))
            read = reader(el_tag)
            if read is not None:
                read(el, ctx, acc)
            elif len(el) or el.keys():
                keep_top_level(el, ctx, acc)
            else:  # `keep_top_level` for the commonest case (a plain leaf), without the call
                settings.append((el_tag, el.text or ""))
    finish_sources(acc)
    builders = acc.builders
    if tag == "maven2-moduleset":
        builders = [maven_builder(acc, ctx), *builders]
    assigned = "" if acc.can_roam else acc.assigned_node
    job = Job(
        full_name, kind, Span(path, root.sourceline or 1, 1), source=path, root_tag=tag, description=acc.description,
        disabled=acc.disabled, parameters=tuple(acc.parameters), triggers=tuple(acc.triggers), scm=acc.scm,
        builders=tuple(builders), publishers=tuple(acc.publishers), wrappers=tuple(acc.wrappers),
        properties=tuple(acc.properties), axes=tuple(acc.axes), assigned_node=assigned,
        concurrent_build=acc.concurrent_build, quiet_period=acc.quiet_period, script=acc.script,
        unknown=tuple(acc.unknown), prebuilders=tuple(acc.prebuilders), postbuilders=tuple(acc.postbuilders),
        settings=tuple(acc.settings), sources=tuple(acc.sources), diagnostics=tuple(ctx.diagnostics),
        lines=tuple(lines),
    )
    if read_script and acc.script.strip():
        job = _merge_script(job, acc.script, acc.script_line, path, full_name)
    return job


# ---- inline pipeline scripts -----------------------------------------------------------------------------------


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclass -> its field names (dataclasses.fields is slow)


def _shift(value: Any, path: str, offset: int) -> Any:
    """Move every Span of `path` down by `offset` lines (the script starts at its <script> element's line).
    Whatever holds no Span of `path` is returned as is (the same object)."""
    cls = type(value)
    if cls is str or value is None or cls is bool or cls is int or cls is float:
        return value
    if cls is tuple:
        items = [_shift(v, path, offset) for v in value]
        for new, old in zip(items, value, strict=True):
            if new is not old:
                return tuple(items)
        return value
    names = _FIELD_NAMES.get(cls)
    if names is None and is_dataclass(cls) and cls is not Span:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    if names is not None:
        changes = {}
        for name in names:
            old = getattr(value, name)
            new = _shift(old, path, offset)
            if new is not old:
                changes[name] = new
        return replace(value, **changes) if changes else value
    if isinstance(value, Span):
        if value.path != path:
            return value
        return Span(path, value.line + offset, value.col, value.end_line + offset if value.end_line else 0,
                    value.end_col)
    if isinstance(value, tuple):
        return tuple(_shift(v, path, offset) for v in value)
    if isinstance(value, dict):
        return {k: _shift(v, path, offset) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = _shift(old, path, offset)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    return value


def _merge_script(job: Job, script: str, line: int, path: str, full_name: str) -> Job:
    """Merge what the Jenkinsfile parser reads from an inline script (when that parser is installed)."""
    try:
        from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile  # type: ignore[attr-defined]
    except ImportError:
        return job
    try:
        pj = parse_jenkinsfile(script, path, full_name)
        if line > 1:
            pj = _shift(pj, path, line - 1)
    except Exception as exc:
        diag = Diagnostic("error", f"The inline pipeline script could not be read ({type(exc).__name__}: {exc}).",
                          Span(path, line, 1), "script-error")
        return replace(job, diagnostics=(*job.diagnostics, diag))
    names = {p.name for p in pj.parameters}
    params = tuple(p for p in job.parameters if p.name not in names) + tuple(pj.parameters)
    triggers = job.triggers + tuple(pj.triggers)  # a trigger in both is merged by the converter (convert.triggers)
    return replace(
        job, flavor=pj.flavor, agent=pj.agent, environment=pj.environment, options=pj.options, tools=pj.tools,
        libraries=pj.libraries, stages=pj.stages, post=pj.post, steps=pj.steps, functions=pj.functions,
        parameters=params, triggers=triggers, diagnostics=job.diagnostics + tuple(pj.diagnostics),
    )

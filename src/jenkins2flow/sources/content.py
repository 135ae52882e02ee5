"""What a file holds: a job config.xml, a Jenkinsfile, or neither; and a Jenkinsfile's text.

A Jenkins file is
- XML whose root element is a job: one of the roots Jenkins writes for jobs (`project`, `flow-definition`,
  `matrix-project`, `maven2-moduleset`, the folder and multibranch classes) or another Java class name (a plugin's
  job type, read and flagged as unsupported later), with no XML namespace;
- or Groovy text: a file named like a Jenkinsfile (`Jenkinsfile`, `Jenkinsfile.*`, `*.jenkinsfile`, `*.groovy`), or
  any other file whose text opens a `pipeline {` block or calls `node`, `stage`, `podTemplate` or `@Library`.
Anything else (an HTML page, a Maven POM, an Ant build file, a README, a Python script, a binary file) is not read
as a job, and the reason names what it looks like instead.

Text is UTF-8 (a UTF-8 byte-order mark is dropped) or UTF-16 (with a byte-order mark, or without one when the
zero bytes of ASCII text show it); invalid UTF-8 is an error that gives the line, column and byte offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.parse.xml.roots import ROOT_ALIASES, ROOT_KINDS
from jenkins2flow.sources.limits import check_steps

_SNIFF = 8192  # bytes looked at to tell binary from text and to find the XML root
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)
_DOCTYPE_HTML = re.compile(rb"\s*<!DOCTYPE\s+html\b", re.I)
_DECLARED_UTF8 = re.compile(rb"""(?:\xef\xbb\xbf)?(?!\s*<\?xml[^>]*encoding\s*=\s*['"](?!utf-?8['"]))""", re.I)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.\-:]*)([^>]*)")
_JENKINSFILE_NAME = re.compile(r"(?i)jenkinsfile|\.groovy$")
_JENKINSFILE_TEXT = re.compile(
    r"\bpipeline\s*\{|\bnode\s*[({]|\bstage\s*[(\"']|@Library\b|\blibrary\s*[(\"']|\bpodTemplate\s*\("
)
# Roots Jenkins writes for things that are not jobs (build records, changelogs, the global configuration).
_HTML_HINT = "not a job config.xml (often a login or error page saved in its place)"
_NOT_JOB_ROOTS = {"build", "flow-build", "matrix-build", "matrix-run", "maven2-moduleset-build", "maven-build",
                  "changelog", "hudson", "Tag"}


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text, or (text None) why it has none: `message` and where (`line`, `col`)."""

    text: str | None
    message: str = ""
    line: int = 1
    col: int = 1

    def span(self, path: str) -> Span:
        return Span(path, self.line, self.col)


def looks_like_xml(data: bytes) -> bool:
    return _head(data).lstrip().startswith(b"<")


def _head(data: bytes) -> bytes:
    """The first bytes of a file as UTF-8 (UTF-16 text decoded, a byte-order mark dropped), for sniffing."""
    if data[:2] in _UTF16_BOMS:
        return data[: _SNIFF & ~1].decode("utf-16", "replace").encode("utf-8")
    if order := _utf16_order(data[:_SNIFF]):
        return data[: _SNIFF & ~1].decode(order, "replace").encode("utf-8")
    return data[:_SNIFF].removeprefix(b"\xef\xbb\xbf")


def xml_problem(data: bytes) -> str | None:
    """Why XML bytes are not a Jenkins job config.xml; None when they look like one (or cannot be told apart
    before parsing: the parser reports malformed XML itself)."""
    head = _head(data)
    pos = 0
    while m := _PROLOG.match(head, pos):
        pos = m.end()
    if _DOCTYPE_HTML.match(head, pos):
        return f"it is an HTML page (<!DOCTYPE html>), {_HTML_HINT}"
    m = _ROOT.match(head, pos)
    if m is None:
        return None
    tag = m.group(1).decode("ascii", "replace")
    attrs = m.group(2)
    if tag.lower() == "html":
        return f"it is an HTML page (root element <html>), {_HTML_HINT}"
    if ":" in tag or re.search(rb"\bxmlns(:\w+)?\s*=", attrs):
        return (f"its root element <{tag}> has an XML namespace, which a Jenkins job config.xml never has "
                "(a Maven POM, a Spring or a web.xml file)")
    if tag == "project" and re.search(rb"\b(default|basedir)\s*=", attrs):
        return "it is an Ant build file (<project default=... basedir=...>), not a Jenkins job"
    if tag in _NOT_JOB_ROOTS:
        return f"its root element <{tag}> is a Jenkins record, not a job (a build record, a changelog, a config)"
    if tag in ROOT_KINDS or tag in ROOT_ALIASES or "." in tag:
        return None
    return (f"its root element <{tag}> is not a Jenkins job (project, flow-definition, matrix-project, "
            "maven2-moduleset, a folder or multibranch class, or a plugin's job class)")


def read_config_xml(data: bytes, path: str, full_name: str) -> Job:
    """`parse_config_xml`, with an encoding error told as `decode` tells it (line, column and byte offset, where
    libxml2 says only "invalid bytes"), and the step limit applied."""
    job = parse_config_xml(data, path, full_name)
    malformed = next((d for d in job.diagnostics if d.code == "malformed-xml"), None)
    if malformed is not None and data[:2] not in _UTF16_BOMS and _DECLARED_UTF8.match(data):
        decoded = decode(data)
        if decoded.text is None:
            diag = Diagnostic("error", decoded.message.replace("Jenkinsfiles", "config.xml files"),
                              decoded.span(path), code="encoding")
            job = replace(job, diagnostics=tuple(diag if d is malformed else d for d in job.diagnostics))
    return check_steps(job)


def is_binary(data: bytes) -> bool:
    """A zero byte in the first 8 KiB (git's test) outside UTF-16 text, or mostly non-text bytes."""
    head = data[:_SNIFF]
    if data[:2] in _UTF16_BOMS or _utf16_order(head):
        return False
    if b"\x00" in head:
        return True
    odd = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return len(head) > 0 and odd / len(head) > 0.1


def _utf16_order(head: bytes) -> str:
    """"utf-16-le" / "utf-16-be" when BOM-less text has the zero bytes of ASCII in UTF-16, else ""."""
    sample = head[: min(len(head), 512) & ~1]
    if len(sample) < 4:
        return ""
    evens, odds = sample[0::2], sample[1::2]
    if odds.count(0) == len(odds) and evens.count(0) == 0:
        return "utf-16-le"
    if evens.count(0) == len(evens) and odds.count(0) == 0:
        return "utf-16-be"
    return ""


def text_problem(data: bytes, name: str) -> str | None:
    """Why a non-XML file is not a Jenkinsfile; None when its name or its text says it is one."""
    if is_binary(data):
        return "it is a binary file, neither a job config.xml nor a Jenkinsfile"
    if _JENKINSFILE_NAME.search(name):
        return None
    decoded = decode(data)
    if decoded.text is not None and _JENKINSFILE_TEXT.search(decoded.text):
        return None
    return ("it is neither XML nor a Jenkinsfile: its name is not Jenkinsfile, *.jenkinsfile or *.groovy and its text "
            "has no `pipeline {` block, no `node`, `stage` or `podTemplate` call and no `@Library` (rename it "
            "*.Jenkinsfile if it is one)")


def decode(data: bytes) -> Decoded:
    """UTF-8 (without its byte-order mark) or UTF-16 text; invalid bytes give the place of the first one."""
    if data[:2] in _UTF16_BOMS or (order := _utf16_order(data[:_SNIFF])):
        codec = "utf-16" if data[:2] in _UTF16_BOMS else order
        try:
            return Decoded(data.decode(codec))
        except UnicodeDecodeError as exc:
            return Decoded(None, f"The file is UTF-16 ({codec}) but invalid at byte {exc.start:,} ({exc.reason}); "
                           "re-save it as UTF-8.")
    try:
        return Decoded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line_start = data.rfind(b"\n", 0, start) + 1
        col = len(data[line_start:start].decode("utf-8", "replace")) + 1
        line = data.count(b"\n", 0, start) + 1
        return Decoded(None, f"Invalid UTF-8 at line {line}, column {col} (byte offset {start:,}: "
                       f"0x{data[start]:02x}); Jenkins reads Jenkinsfiles as UTF-8. Re-save the file as UTF-8.",
                       line, col)

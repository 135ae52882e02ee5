"""JUnit report files counted as Jenkins' junit plugin counts them (junit-plugin `TestResult.parse`,
`SuiteResult.parse`, `CaseResult`), for the check a `junit` step becomes (jenkins2flow_runtime.archives).

What Jenkins does with each report file it reads:
- length 0: one failed test case "[empty]" (the build becomes UNSTABLE);
- not well-formed XML: a name ending in ".xml" is one failed test case "[failed-to-read]" (UNSTABLE); any other name
  fails the build ("Is this really a JUnit report file?");
- else its test cases: the root element, and each `testsuite` child of one of those (recursively), is a suite when
  it has a direct `testcase` or `error` child; a suite counts its direct `testcase` children, plus one failed case
  "<init>" for a direct `error` child. A case with a direct `skipped` child is skipped; else one with a direct
  `error` or `failure` child failed. Element names are compared without their namespace.

A report is read as a stream (expat, no tree, a fixed-size buffer), so a big report costs time, not memory; reading
a ".xml" file stops at its first failed case (the file's outcome is then known: it has a case and a failure, and a
malformed rest would be one failed case too); any other file is read to its end (malformed, it fails the build).
For safety a report that declares an entity is not read (expat never fetches an external DTD or entity here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

CHUNK = 1 << 16


class RefusedReport(RuntimeError):
    """A report this reader will not read (it declares an entity): what Jenkins makes of it is not known."""


@dataclass(slots=True)
class Report:
    """One report as Jenkins counts it: `cases` (its test cases, failed and skipped ones included), `failed`, and
    `unreadable` (why it is not a JUnit XML document; Jenkins' placeholder case is counted in `cases`/`failed`
    when the name ends in ".xml"). `complete` is false when reading stopped at the first failed case."""

    cases: int = 0
    failed: int = 0
    unreadable: str = ""
    complete: bool = True


@dataclass(slots=True)
class _Node:
    suite: bool = False  # the root, or a testsuite child of a suite candidate (SuiteResult.parseSuite)
    testcase: bool = False  # a direct testcase child of a suite candidate
    cases: int = 0
    error: bool = False  # a direct `error` child (a suite: the "<init>" case; a test case: failed)
    failure: bool = False
    skipped: bool = False


class _StopReading(Exception):
    pass


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def read_report(path: Path) -> Report:
    """Counts the test cases of one report file as Jenkins' junit plugin does (see the module's docstring).
    Raises RefusedReport for a report that declares an entity."""
    if path.stat().st_size == 0:
        return Report(cases=1, failed=1, unreadable="the file is empty (length 0)")
    report = Report()
    stop_early = path.name.endswith(".xml")  # a malformed rest changes nothing then (one failed case either way)
    stack: list[_Node] = []

    def start(name: str, _attrs: object) -> None:
        local = _local(name)
        parent = stack[-1] if stack else None
        node = _Node(suite=parent is None or (local == "testsuite" and parent.suite),
                     testcase=local == "testcase" and parent is not None and parent.suite)
        if parent is not None:
            if local == "error":
                parent.error = True
            elif local == "failure":
                parent.failure = True
            elif local == "skipped":
                parent.skipped = True
        stack.append(node)

    def end(_name: str) -> None:
        node = stack.pop()
        if node.testcase:
            report.cases += 1
            if not node.skipped and (node.error or node.failure):
                report.failed += 1
                if stop_early:  # the file's outcome is known: a case, and a failed one
                    raise _StopReading
        if node.suite and node.error:  # the suite's "<init>" case
            report.cases += 1
            if not node.skipped:
                report.failed += 1

    def refuse(*_args: object) -> None:
        raise RefusedReport(f"{str(path)!r} declares an entity: not read, for safety")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = refuse
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _StopReading:
        report.complete = False
    except expat.ExpatError as exc:
        reason = f"not well-formed XML: {expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset}"
        if path.name.endswith(".xml"):  # Jenkins records one failed case "[failed-to-read]" instead of its cases
            return Report(cases=1, failed=1, unreadable=reason)
        return Report(unreadable=reason)
    return report

"""Reports of a shadow run: JSON, JUnit XML (one testcase per compared output), Markdown (pull-request comments)
and one self-contained HTML page (inline CSS, no external assets, every value escaped by Jinja's autoescape).

Every report is written from a copy of the result cut to `Limits`: so many differences listed per output and in
all, each value and text clipped to so many characters. What is left out is said: a note with the number of
differences not listed, `… (N more characters)` after a clipped value, and in JSON `not_listed` per output and the
limits used. Counts and verdicts are never cut.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jenkins2flow.shadow.outcome import OutputResult, ShadowResult

MD_ROWS = 20
_env: Environment | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a result a report lists; what is left out is counted in a note."""

    differences: int = 100  # listed per output
    total: int = 2_000  # listed in one report, over all outputs
    value_chars: int = 500  # of each location, value and detail
    text_chars: int = 5_000  # of each summary, explanation, error and reason


def clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def not_listed(o: OutputResult) -> int:
    """Differences of an output (noise included) that a report does not list."""
    return max(0, o.total_differences + o.noise - len(o.differences))


def capped(result: ShadowResult, limits: Limits | None = None) -> ShadowResult:
    """A copy of `result` cut to `limits` (the stored result is never changed)."""
    limits = limits or Limits()
    out = ShadowResult.from_dict(result.to_dict())
    out.reason = clip(out.reason, limits.text_chars) or ""
    left = limits.total
    for o in out.outputs:
        keep = max(0, min(limits.differences, left, len(o.differences)))
        left -= keep
        o.differences = o.differences[:keep]
        for d in o.differences:
            d.location = clip(d.location, limits.value_chars) or ""
            d.baseline, d.candidate = clip(d.baseline, limits.value_chars), clip(d.candidate, limits.value_chars)
            d.detail = clip(d.detail, limits.value_chars) or ""
        o.summary = clip(o.summary, limits.text_chars) or ""
        o.error = clip(o.error, limits.text_chars) or ""
        o.explanation = clip(o.explanation, limits.text_chars) or ""
    return out


def md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell: no pipes, newlines, or HTML that GitHub would render."""
    if value is None:
        return "—"
    text = str(value)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'"), ("\r", ""),
                 ("\n", "⏎")):
        text = text.replace(a, b)
    return text[:200] + ("…" if len(text) > 200 else "")


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("jenkins2flow.shadow", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
        _env.filters["md"] = md_cell
    return _env


def _context(result: ShadowResult) -> dict[str, Any]:
    return {"r": result, "counts": result.counts, "md_rows": MD_ROWS, "not_listed": not_listed,
            "sides": [s for s in (result.baseline, result.candidate, result.noise_baseline) if s is not None]}


def render_html(result: ShadowResult, limits: Limits | None = None) -> str:
    return environment().get_template("report.html.j2").render(**_context(capped(result, limits)))


def render_markdown(result: ShadowResult, limits: Limits | None = None) -> str:
    return environment().get_template("report.md.j2").render(**_context(capped(result, limits)))


def render_json(result: ShadowResult, limits: Limits | None = None) -> str:
    limits = limits or Limits()
    cut = capped(result, limits)
    data = cut.to_dict()
    for o, out in zip(cut.outputs, data["outputs"], strict=True):
        out["not_listed"] = not_listed(o)
    data["report_limits"] = {"differences_per_output": limits.differences, "differences": limits.total,
                             "value_chars": limits.value_chars, "text_chars": limits.text_chars}
    return json.dumps(data, indent=2, default=str) + "\n"


def _case_text(o: OutputResult) -> str:
    lines = [o.summary]
    for d in o.differences:
        mark = " (noise)" if d.noise else ""
        lines.append(f"{d.kind} {d.location}: baseline={d.baseline!r} candidate={d.candidate!r} {d.detail}{mark}")
    if not_listed(o):
        lines.append(f"... {not_listed(o)} more not listed ({o.total_differences} differences in all)")
    return "\n".join(lines)


def render_junit(result: ShadowResult, limits: Limits | None = None) -> str:
    """One testsuite per shadow run, one testcase per compared output; a run that could not run is one error."""
    result = capped(result, limits)
    suite = ET.Element("testsuite", name=f"shadow {result.pipeline}", timestamp=result.started_at,
                       hostname="jenkins2flow")
    cases = result.outputs or []
    failures = errors = skipped = 0
    for o in cases:
        case = ET.SubElement(suite, "testcase", classname=f"shadow.{result.pipeline}.{o.kind}", name=o.name)
        if o.status == "different":
            failures += 1
            ET.SubElement(case, "failure", message=f"{o.total_differences} difference(s): {o.summary}",
                          type="ShadowDifference").text = _case_text(o)
        elif o.status == "error":
            errors += 1
            ET.SubElement(case, "error", message=o.error, type="ShadowError").text = o.error
        elif o.status == "skipped":
            skipped += 1
            ET.SubElement(case, "skipped", message=o.summary)
        else:
            ET.SubElement(case, "system-out").text = o.summary
    if result.verdict == "error" and not any(o.status == "error" for o in cases):
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=f"shadow.{result.pipeline}", name="shadow run")
        ET.SubElement(case, "error", message=result.reason, type="ShadowCannotRun").text = result.reason
    total = len(suite.findall("testcase"))
    suite.set("tests", str(total))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", result.run_id), ("verdict", result.verdict),
                        ("baseline", result.baseline.id if result.baseline else ""),
                        ("candidate", result.candidate.id if result.candidate else "")):
        ET.SubElement(props, "property", name=name, value=value)
    suites = ET.Element("testsuites", name="jenkins2flow shadow", tests=str(total), failures=str(failures),
                        errors=str(errors))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


RENDERERS = {"html": render_html, "junit": render_junit, "md": render_markdown, "json": render_json}


def write_reports(result: ShadowResult, limits: Limits | None = None, **targets: Path | None) -> dict[str, Path]:
    """write_reports(result, html=..., junit=..., md=..., json=...) -> the files written."""
    written = {}
    for fmt, path in targets.items():
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RENDERERS[fmt](result, limits), encoding="utf-8")
        written[fmt] = path
    return written

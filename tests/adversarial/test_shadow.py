"""Shadow: a CSV row with fewer or more cells than its header is a difference with its row and line numbers, never
padded nor cut in silence (keyed, by content or ordered); reports list a capped number of differences, clip long
values, and say how much they left out."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jenkins2flow_runtime.model.shadow import shadow_config

from jenkins2flow.shadow.compare import compare_all
from jenkins2flow.shadow.outcome import Difference, OutputResult, ShadowResult, SideRun
from jenkins2flow.shadow.report import Limits, render_html, render_json, render_junit, render_markdown

HEADER = "region,total,note\n"


def _compare(tmp: Path, base: str, cand: str, **output: object) -> OutputResult:
    sides = []
    for name, text in (("b", base), ("c", cand)):
        (tmp / name).mkdir()
        (tmp / name / "out.csv").write_text(text)
        sides.append(SideRun(side=name, source="test", id=name, status="success", files_root=str(tmp / name)))
    config = shadow_config([{"kind": "csv", "path": "out.csv", **output}])
    return compare_all(config, sides[0], sides[1])[1]


@pytest.mark.parametrize("output", [{"keys": ["region"]}, {}, {"ordered": True}])
def test_ragged_rows_are_differences(tmp_path: Path, output: dict[str, object]) -> None:
    base = HEADER + "east,310.00,\nnorth,162.75,b\nsouth,80.00,c\n"
    # east: one cell short (padding would make it equal); north: one cell too many (cutting would make it equal)
    cand = HEADER + "east,310.00\nnorth,162.75,b,surplus\nsouth,80.00,c\n"
    result = _compare(tmp_path, base, cand, **output)
    assert result.status == "different"
    ragged = [(d.location, d.baseline, d.candidate, d.detail) for d in result.differences if d.kind == "ragged"]
    assert ragged == [
        ("row 1", None, "east,310.00", "the candidate row has 2 cells where its header has 3 (line 2)"),
        ("row 2", None, "north,162.75,b,surplus", "the candidate row has 4 cells where its header has 3 (line 3)"),
    ]


def test_a_ragged_row_on_both_sides_is_reported_for_each(tmp_path: Path) -> None:
    text = HEADER + 'east,"310\n.00",a,extra\n'  # a quoted line break: the line number is the record's last line
    result = _compare(tmp_path, text, text, keys=["region"])
    assert [(d.location, d.detail) for d in result.differences] == [
        ("row 1", "the baseline row has 4 cells where its header has 3 (line 3)"),
        ("row 1", "the candidate row has 4 cells where its header has 3 (line 3)"),
    ]


def _big_result(outputs: int = 3, per_output: int = 150) -> ShadowResult:
    results = []
    for i in range(outputs):
        o = OutputResult(f"out{i}", "csv", compared=per_output, summary="s" * 20_000)
        for j in range(per_output):
            o.add(Difference(f"region=r{j}", "changed", "b" * 3_000, "c", "x"))
        results.append(o.finish())
    return ShadowResult("run-1", "p", "different", reason="many", outputs=results)


def test_reports_cap_the_listed_differences_and_say_so() -> None:
    result = _big_result()
    limits = Limits(differences=10, total=25, value_chars=100, text_chars=1_000)
    data = json.loads(render_json(result, limits))
    assert [len(o["differences"]) for o in data["outputs"]] == [10, 10, 5]
    assert [o["not_listed"] for o in data["outputs"]] == [140, 140, 145]
    assert [o["total_differences"] for o in data["outputs"]] == [150, 150, 150]  # counts are never cut
    assert data["outputs"][0]["differences"][0]["baseline"] == "b" * 100 + "… (2,900 more characters)"
    assert data["outputs"][0]["summary"].endswith("… (19,000 more characters)")
    assert data["report_limits"]["differences_per_output"] == 10

    page = render_html(result, limits)
    assert page.count('<td class="v base">') == 25
    assert "Showing 10 of 150 differences; 140 not listed (report limit)." in page
    junit = ET.fromstring(render_junit(result, limits))
    failure = junit.find("testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert failure.text.endswith("... 140 more not listed (150 differences in all)")
    md = render_markdown(result, limits)
    assert "…and 140 more, not listed in any report." in md
    assert len(result.outputs[0].differences) == 150  # the result itself is untouched


def test_default_report_sizes_stay_bounded() -> None:
    result = _big_result(outputs=40, per_output=200)  # 8,000 differences of 3,000-character values
    sizes = {fmt: len(render(result)) for fmt, render in
             (("json", render_json), ("html", render_html), ("junit", render_junit), ("md", render_markdown))}
    assert max(sizes.values()) < 3_000_000, sizes  # unbounded, these were ~25 MB each
    assert json.loads(render_json(result))["outputs"][-1]["not_listed"] == 200

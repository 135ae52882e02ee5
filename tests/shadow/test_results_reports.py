"""Stored results (SQLite next to the catalog, mongomock) and the four report formats, the HTML one in Chromium."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jenkins2flow_runtime.store import StoreMissing, open_store

from jenkins2flow.shadow.outcome import Difference, OutputResult, ShadowResult, SideRun
from jenkins2flow.shadow.report import render_html, render_json, render_junit, render_markdown, write_reports
from jenkins2flow.shadow.results import ResultsStore

EVIL = "<script>alert('x')</script>|`"


def sample(run_id: str = "shadow-daily_sales-1", started: str = "2026-01-15T02:00:00+00:00") -> ShadowResult:
    csv = OutputResult("region totals", "csv", compared=3, summary="3 rows matched by key region, 1 differ")
    csv.add(Difference("region=north column=total", "changed", "162.75", EVIL, "delta -0.18"))
    csv.add(Difference("region=west", "extra", None, "west,1.00"))
    csv.finish()
    noisy = OutputResult("log markers", "log", compared=2, summary="2 markers")
    noisy.differences.append(Difference("line 1", "changed", "a", "b", noise=True))
    noisy.noise = 1
    broken = OutputResult("sql: SELECT 1", "sql", status="error", error="The snapshot query failed: no such table")
    return ShadowResult(
        run_id=run_id, pipeline="daily_sales", verdict="different", reason="region totals (2) differ",
        started_at=started, finished_at=started,
        baseline=SideRun("baseline", "jenkins-recorded", "daily_sales#2", "success", params={"RUN_DATE": EVIL},
                         stages=[{"name": "Extract", "status": "success"}], log="long log"),
        candidate=SideRun("candidate", "airflow-local", "manual__1", "success"),
        outputs=[OutputResult("status", "status", summary="run success vs success").finish(), csv, noisy, broken],
    )


@pytest.mark.parametrize("uri", ["sqlite", "mongomock://shadowtest/j2f"])
def test_results_round_trip_and_history(tmp_path: Path, uri: str) -> None:
    target = str(tmp_path / "store.db") if uri == "sqlite" else uri
    open_store(target, create=True).close()  # results go into an existing catalog
    with ResultsStore(target, create=True) as results:
        results.save(sample("r1", "2026-01-15T02:00:00+00:00"))
        results.save(sample("r2", "2026-01-16T02:00:00+00:00"))
        back = results.get("r1")
        history = results.history("daily_sales")
    assert back.to_dict() == sample("r1", "2026-01-15T02:00:00+00:00").to_dict()
    assert [h["run_id"] for h in history] == ["r2", "r1"]
    assert history[0]["verdict"] == "different" and history[0]["differences"] == 2
    if uri == "sqlite":  # the same file as the catalog: a `shadow_runs` table beside it
        import sqlite3

        assert sqlite3.connect(target).execute("SELECT count(*) FROM shadow_runs").fetchone() == (2,)


@pytest.mark.parametrize("uri", ["sqlite", "mongomock://shadowtest-empty/j2f"])
def test_reading_a_catalog_without_shadow_runs_writes_nothing(tmp_path: Path, uri: str) -> None:
    target = str(tmp_path / "store.db") if uri == "sqlite" else uri
    open_store(target, create=True).close()
    with ResultsStore(target) as results:
        assert results.history("daily_sales") == []
        with pytest.raises(Exception, match="No shadow run 'r1'"):
            results.get("r1")
    if uri == "sqlite":
        import sqlite3

        tables = {r[0] for r in sqlite3.connect(target).execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "shadow_runs" not in tables and "heads" in tables
    else:
        from jenkins2flow_runtime.store.mongo import _client

        client, database, _ = _client(uri)
        assert "shadow_runs" not in client[database].list_collection_names()


@pytest.mark.parametrize("create", [False, True])
def test_no_catalog_no_results_store(tmp_path: Path, create: bool) -> None:
    """Neither a reader nor a shadow run's save makes a store: only convert and catalog import do."""
    missing = tmp_path / "no" / "store.db"
    with pytest.raises(StoreMissing, match=f"no catalog at {str(missing)!r}"):
        ResultsStore(str(missing), create=create)
    assert not (tmp_path / "no").exists()


def test_junit_has_one_testcase_per_output() -> None:
    root = ET.fromstring(render_junit(sample()))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["status", "region totals", "log markers", "sql: SELECT 1"]
    assert cases["region totals"].find("failure") is not None
    assert cases["sql: SELECT 1"].find("error") is not None
    assert cases["status"].find("failure") is None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    assert EVIL in (cases["region totals"].findtext("failure") or "")  # escaped by the XML writer, read back intact


def test_junit_for_a_run_that_could_not_run() -> None:
    result = ShadowResult("r", "daily_sales", "error", reason="Jenkins at http://x is not reachable")
    suite = ET.fromstring(render_junit(result)).find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    assert "not reachable" in (suite.find("testcase/error").get("message") or "")  # type: ignore[union-attr]


def test_markdown_escapes_values_and_keeps_the_table_shape() -> None:
    md = render_markdown(sample())
    assert md.startswith("## ❌ Shadow run of `daily_sales`: **different**")
    assert "<script>" not in md and "&lt;script&gt;" in md and "\\|" in md
    row = next(line for line in md.splitlines() if line.startswith("| region=north"))
    assert row.count(" | ") == 3


def test_html_escapes_every_value_and_puts_the_verdict_first() -> None:
    page = render_html(sample())
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.index("different") < page.index("<h2>Summary</h2>") < page.index("<h2>Differences</h2>")
    assert "http://" not in page and "https://" not in page and "<link" not in page  # self-contained
    assert 'class="v cand"' in page and 'class="noise"' in page


def test_json_report_round_trips() -> None:
    import json

    data = json.loads(render_json(sample()))
    assert ShadowResult.from_dict(data).to_dict() == sample().to_dict()
    assert data["exit_code"] == 1 and "log" not in data["baseline"]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (make chromium)")
def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    written = write_reports(sample(), html=tmp_path / "report.html")
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,900",
         written["html"].as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 900)
    assert len(data) > 20_000  # a rendered page, not a blank one

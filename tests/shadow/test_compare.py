"""Comparers and normalizers on small, hand-made outputs: each test seeds a difference the comparer must find."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from jenkins2flow_runtime.model.shadow import Normalizers, shadow_config
from pydantic import ValidationError

from jenkins2flow.shadow.compare import compare_all
from jenkins2flow.shadow.compare.table import TableSide, compare_tables
from jenkins2flow.shadow.normalize import Normalizer, RunContext
from jenkins2flow.shadow.outcome import OutputResult, SideRun, decide


def side(tmp: Path, name: str, files: dict[str, str], *, status: str = "success", log: str = "",
         stages: list[dict[str, str]] | None = None, tokens: tuple[str, ...] = ()) -> SideRun:
    root = tmp / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    root.mkdir(parents=True, exist_ok=True)
    return SideRun(side=name, source="test", id=name, status=status, files_root=str(root), log=log,
                   stages=stages or [], run_tokens=list(tokens))


def run(tmp: Path, outputs: list[dict], base: dict[str, str], cand: dict[str, str], **kw: object) -> list[OutputResult]:
    b = side(tmp, "b", base, **kw)  # type: ignore[arg-type]
    c = side(tmp, "c", cand, **kw)  # type: ignore[arg-type]
    return compare_all(shadow_config(outputs), b, c)[1:]  # [0] is the implicit status output


CSV_B = "region,total,note\neast,310.00,a\nnorth,162.75,b\nsouth,80.00,c\n"


def test_csv_equal_when_rows_are_reordered(tmp_path: Path) -> None:
    reordered = "region,total,note\nsouth,80.00,c\neast,310.00,a\nnorth,162.75,b\n"
    [r] = run(tmp_path, [{"kind": "csv", "path": "t.csv", "keys": ["region"]}], {"t.csv": CSV_B}, {"t.csv": reordered})
    assert r.status == "equal" and r.compared == 3, r


def test_csv_changed_missing_extra_and_tolerance(tmp_path: Path) -> None:
    cand = "region,total,note\neast,310.004,a\nnorth,162.57,b\nwest,1.00,d\n"
    out = [{"kind": "csv", "path": "t.csv", "keys": ["region"], "tolerances": {"total": {"abs": 0.005}}}]
    [r] = run(tmp_path, out, {"t.csv": CSV_B}, {"t.csv": cand})
    got = {(d.location, d.kind, d.baseline, d.candidate) for d in r.differences}
    assert got == {
        ("region=north column=total", "changed", "162.75", "162.57"),
        ("region=south", "missing", "south,80.00,c", None),
        ("region=west", "extra", None, "west,1.00,d"),
    }
    assert r.status == "different" and r.total_differences == 3
    assert "root['total']" in r.explanation  # deepdiff explains the changed row


def test_csv_header_difference_and_ignored_column(tmp_path: Path) -> None:
    cand = "region,total,loaded_at\neast,310.00,x\nnorth,162.75,y\nsouth,80.00,z\n"
    out = [{"kind": "csv", "path": "t.csv", "keys": ["region"]}]
    [r] = run(tmp_path, out, {"t.csv": CSV_B}, {"t.csv": cand})
    assert {d.location for d in r.differences} == {"column note", "column loaded_at"}
    out = [{"kind": "csv", "path": "t.csv", "keys": ["region"],
            "normalizers": {"ignore_fields": ["note", "loaded_at"]}}]
    [r] = run(tmp_path / "2", out, {"t.csv": CSV_B}, {"t.csv": cand})
    assert r.status == "equal"


def test_csv_unknown_key_is_an_error_with_a_hint(tmp_path: Path) -> None:
    [r] = run(tmp_path, [{"kind": "csv", "path": "t.csv", "keys": ["regoin"]}], {"t.csv": CSV_B}, {"t.csv": CSV_B})
    assert r.status == "error" and "'regoin'" in r.error and "keys" in r.error


def test_missing_file_is_a_difference_and_absent_everywhere_is_an_error(tmp_path: Path) -> None:
    [r] = run(tmp_path, [{"kind": "csv", "path": "t.csv"}], {"t.csv": CSV_B}, {})
    assert r.status == "different" and r.differences[0].kind == "missing"
    [r] = run(tmp_path / "2", [{"kind": "csv", "path": "nope.csv"}], {}, {})
    assert r.status == "error" and "Neither run produced 'nope.csv'" in r.error
    [r] = run(tmp_path / "3", [{"kind": "csv", "path": "nope.csv", "required": False}], {}, {})
    assert r.status == "skipped"


def test_glob_pairs_files_by_relative_path(tmp_path: Path) -> None:
    out = [{"kind": "text", "path": "out/*.txt"}]
    [r] = run(tmp_path, out, {"out/a.txt": "x\n", "out/b.txt": "y\n"}, {"out/a.txt": "x\n", "out/c.txt": "z\n"})
    assert {(d.location, d.kind) for d in r.differences} == {("out/b.txt", "missing"), ("out/c.txt", "extra")}


@pytest.mark.parametrize("spill", [10**6, 3])
def test_table_spill_to_partitions_gives_the_same_answer(spill: int) -> None:
    header = ["k", "v"]
    base = [[str(i), str(i * 2)] for i in range(200)]
    cand = list(reversed(base))
    cand[5] = [cand[5][0], "changed"]
    result = compare_tables(TableSide(header, base), TableSide(header, cand), OutputResult("t", "csv"),
                            norm=Normalizer(), keys=["k"], spill_rows=spill, partitions=4)
    assert [(d.location, d.candidate) for d in result.differences] == [("k=194 column=v", "changed")]
    assert result.compared == 200


def test_table_without_keys_ordered_and_unordered() -> None:
    header = ["a"]
    base, cand = [["1"], ["2"]], [["2"], ["1"]]
    unordered = compare_tables(TableSide(header, base), TableSide(header, cand), OutputResult("t", "csv"),
                               norm=Normalizer())
    assert unordered.status == "equal"
    ordered = compare_tables(TableSide(header, base), TableSide(header, cand), OutputResult("t", "csv"),
                             norm=Normalizer(), ordered=True)
    assert [d.location for d in ordered.differences] == ["row 1 column=a", "row 2 column=a"]


def test_json_structural_diff_with_ignored_fields_and_tolerance(tmp_path: Path) -> None:
    b = {"generated_at": "2026-01-15T02:00:00Z", "totals": {"north": 162.75, "east": 310.0}, "regions": ["e", "n"]}
    c = {"generated_at": "2026-02-01T09:13:00Z", "totals": {"north": 162.7501, "east": 311.0}, "regions": ["n", "e"],
         "extra": 1}
    out = [{"kind": "json", "path": "r.json", "normalizers": {
        "ignore_fields": ["generated_at"], "float_tolerance": {"abs": 0.001}, "ignore_order": True}}]
    [r] = run(tmp_path, out, {"r.json": json.dumps(b)}, {"r.json": json.dumps(c)})
    assert {(d.location, d.kind) for d in r.differences} == {
        ("root['totals']['east']", "changed"), ("root['extra']", "extra")}
    assert "310.0" in r.explanation


def test_text_line_by_line_with_timestamps_and_paths_normalized(tmp_path: Path) -> None:
    b = "run at 2026-01-15T02:00:01Z in /var/jenkins_home/workspace/x/out\nrows 3\nok\n"
    c = "run at 2026-03-02 14:22:05 in /tmp/ws/shadow/x/run1/out\nrows 4\nok\n"
    out = [{"kind": "text", "path": "s.txt", "normalizers": {"timestamps": True, "paths": True}}]
    [r] = run(tmp_path, out, {"s.txt": b}, {"s.txt": c})
    assert [(d.location, d.baseline, d.candidate) for d in r.differences] == [("line 2", "rows 3", "rows 4")]
    assert "-rows 3" in r.explanation and "+rows 4" in r.explanation


def test_build_number_normalizer_replaces_both_runs_ids() -> None:
    norm = Normalizer(Normalizers(build_numbers=True), RunContext(("#12", "jenkins-etl-12", "manual__2026-01-01")))
    assert norm.text("tag jenkins-etl-12 build #12") == norm.text("tag manual__2026-01-01 build manual__2026-01-01")


def test_log_markers_compare_captured_groups(tmp_path: Path) -> None:
    out = [{"kind": "log", "markers": [r"loaded (\d+) regions", r"never (here)"]}]
    [r] = run(tmp_path, out, {}, {}, log="")
    assert r.status == "error"  # no log on either side
    b = side(tmp_path, "b2", {}, log="x\nloaded 3 regions\n")
    c = side(tmp_path, "c2", {}, log="[2026-01-01] INFO - loaded 2 regions\n")
    [_, r] = compare_all(shadow_config(out), b, c)
    assert [(d.baseline, d.candidate) for d in r.differences] == [("3", "2")]
    assert "found in neither log: 'never (here)'" in r.summary


def test_status_compares_run_and_stage_to_task(tmp_path: Path) -> None:
    b = side(tmp_path, "b", {}, stages=[{"name": "Extract", "status": "success"}, {"name": "Load", "status": "failed"},
                                        {"name": "Report", "status": "not run"}])
    c = side(tmp_path, "c", {}, status="failed", stages=[{"name": "extract", "status": "success"},
                                                       {"name": "load", "status": "success"},
                                                       {"name": "report", "status": "not run"}])
    [r] = compare_all(shadow_config([]), b, c)
    assert [(d.location, d.baseline, d.candidate) for d in r.differences] == [
        ("run", "success", "failed"), ("stage Load", "failed", "success")]


def test_noise_baseline_discounts_differences_jenkins_has_with_itself(tmp_path: Path) -> None:
    out = [{"kind": "csv", "path": "t.csv", "keys": ["region"]}]
    base = side(tmp_path, "b", {"t.csv": "region,total,loaded_at\nnorth,1,t1\nsouth,2,t1\n"})
    noise = side(tmp_path, "n", {"t.csv": "region,total,loaded_at\nnorth,1,t2\nsouth,2,t2\n"})
    cand = side(tmp_path, "c", {"t.csv": "region,total,loaded_at\nnorth,1,t3\nsouth,5,t3\n"})
    [_, r] = compare_all(shadow_config(out), base, cand, noise)
    assert r.total_differences == 1 and r.noise == 2
    assert [d.location for d in r.differences if not d.noise] == ["region=south column=total"]
    assert decide([_, r])[0] == "different"


def test_sql_snapshots_on_two_connections(tmp_path: Path) -> None:
    for name, north in (("prod", 162.75), ("shadow", 162.70)):
        db = sqlite3.connect(tmp_path / f"{name}.db")
        db.execute("CREATE TABLE totals (region TEXT, total REAL, loaded_at TEXT)")
        db.executemany("INSERT INTO totals VALUES (?, ?, ?)",
                       [("north", north, name), ("east", 310.0, name), ("south", None, name)])
        db.commit()
        db.close()
    out = [{"kind": "sql", "query": "SELECT region, total FROM totals", "keys": ["region"],
            "baseline_url": f"sqlite:///{tmp_path / 'prod.db'}",
            "candidate_url": f"sqlite:///{tmp_path / 'shadow.db'}"}]
    [r] = run(tmp_path, out, {}, {})
    assert [(d.location, d.baseline, d.candidate) for d in r.differences] == [
        ("region=north column=total", "162.75", "162.7")]
    bad = [{"kind": "sql", "query": "SELECT nope FROM totals", "url": f"sqlite:///{tmp_path / 'prod.db'}"}]
    [r] = run(tmp_path / "2", bad, {}, {})
    assert r.status == "error" and "query failed" in r.error


def test_spec_rejects_bad_declarations_with_field_paths() -> None:
    with pytest.raises(ValidationError) as err:
        shadow_config([{"kind": "csv", "path": "../etc/passwd"}])
    assert "must be relative" in str(err.value)
    with pytest.raises(ValidationError):
        shadow_config([{"kind": "xlsx", "path": "a"}])
    config = shadow_config([{"kind": "defaults", "normalizers": {"timestamps": True}},
                            {"kind": "text", "path": "a", "normalizers": {"paths": True}}])
    merged = config.normalizers_for(config.outputs[1])
    assert merged.timestamps and merged.paths and [o.kind for o in config.outputs] == ["status", "text"]

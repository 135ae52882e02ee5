"""`artifacts` shadow outputs (written by the converter for archiveArtifacts, junit, stash) expand per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from jenkins2flow_runtime.model.shadow import shadow_config
from pydantic import ValidationError

from jenkins2flow.convert import convert_job
from jenkins2flow.shadow.compare.files import matches
from jenkins2flow.shadow.outcome import SideRun
from jenkins2flow.shadow.run import with_auto_outputs
from jenkins2flow.sources.files import read_file as load_path
from tests.conftest import SAMPLES


def _baseline(tmp_path: Path, files: list[str]) -> SideRun:
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a\n", encoding="utf-8")
    return SideRun(side="baseline", source="jenkins-recorded", files_root=str(tmp_path))


def test_artifacts_entry_expands_to_matching_files_by_extension(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path, ["out/a.csv", "out/w/b.csv", "out/c.json", "log.txt"])
    config = shadow_config([{"kind": "artifacts", "path": "out/**/*.csv, out/*.json", "source": "artifacts"}])
    expanded = with_auto_outputs(config, baseline)
    assert [(o.kind, getattr(o, "path", "")) for o in expanded.outputs] == [
        ("status", ""), ("csv", "out/a.csv"), ("json", "out/c.json"), ("csv", "out/w/b.csv"),
    ]


def test_an_artifacts_pattern_matching_nothing_is_kept_so_it_is_reported(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path, ["other.txt"])
    expanded = with_auto_outputs(shadow_config([{"kind": "artifacts", "path": "out/*.csv"}]), baseline)
    assert [(o.kind, o.path, o.required) for o in expanded.outputs[1:]] == [("csv", "out/*.csv", True)]


def test_explicit_file_outputs_are_not_compared_twice(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path, ["out/a.csv", "out/b.csv"])
    config = shadow_config([{"kind": "csv", "path": "out/a.csv", "keys": ["id"]},
                            {"kind": "artifacts", "path": "out/*.csv"}])
    paths = [o.path for o in with_auto_outputs(config, baseline).outputs[1:]]
    assert sorted(paths) == ["out/a.csv", "out/b.csv"]


def test_artifacts_paths_must_stay_inside_the_workspace() -> None:
    with pytest.raises(ValidationError):
        shadow_config([{"kind": "artifacts", "path": "out/*.csv, ../etc/passwd"}])


def test_the_converted_sample_declares_its_archived_csvs() -> None:
    conv = convert_job(load_path(SAMPLES / "jenkinsfiles" / "daily_sales.Jenkinsfile"))
    assert conv.pipeline is not None
    entries = conv.pipeline.shadow_outputs
    assert [(e["kind"], e["path"]) for e in entries] == [("artifacts", "out/**/*.csv")]
    shadow_config(entries)  # the converter's output is valid for the shadow harness


def test_file_outputs_match_with_the_runtime_ant_glob(tmp_path: Path) -> None:
    files = ["out/a.csv", "out/w/b.csv", "out/w/b.csv~", "out/c.json", "out/.git/HEAD", "out/tmp/x.csv", "log.txt"]
    _baseline(tmp_path, files)
    assert list(matches(str(tmp_path), "out/**/*.csv,out/*.json")) == ["out/a.csv", "out/c.json", "out/tmp/x.csv",
                                                                       "out/w/b.csv"]
    assert list(matches(str(tmp_path), "out/")) == ["out/a.csv", "out/c.json", "out/tmp/x.csv", "out/w/b.csv"]
    assert list(matches(str(tmp_path), "out/*.[cj]*")) == []  # `[` is literal, as in Ant
    assert list(matches(str(tmp_path), "out/w/b.csv~")) == ["out/w/b.csv~"]  # a plain path names its file

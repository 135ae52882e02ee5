"""The archive check and unstash callables (jenkins2flow_runtime.archives) on a workspace, without Airflow."""

from __future__ import annotations

from pathlib import Path

import pytest
from jenkins2flow_runtime.archives import NoFilesMatched, check_files, unstash


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKSPACE", str(tmp_path))
    for rel in ("etl/dist/a.jar", "etl/dist/tmp.jar", "etl/dist/sub/B.JAR", "etl/.git/x.jar"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    return tmp_path


def test_check_counts_the_files_the_pattern_selects_in_its_folder(ws: Path) -> None:
    assert check_files("archiveArtifacts", "dist/**/*.jar", "dist/tmp*", directory="etl")["matched"] == 1
    assert check_files("archiveArtifacts", "**/*.jar", case_sensitive=False)["matched"] == 3  # .git: default excluded
    assert check_files("stash", "", directory="etl", default_excludes=False)["matched"] == 4


def test_check_fails_naming_the_step_and_pattern(ws: Path) -> None:
    with pytest.raises(NoFilesMatched, match=r"archiveArtifacts: no file matches the pattern 'dist/\*\.war'"):
        check_files("archiveArtifacts", "dist/*.war", directory="etl")
    with pytest.raises(NoFilesMatched, match="excluding"):
        check_files("stash", "etl/dist/*.jar", "**/*.jar")
    with pytest.raises(NoFilesMatched):
        check_files("stash", "**", directory="missing")


def test_unstash_copies_what_the_stash_selected_to_the_target(ws: Path) -> None:
    got = unstash("x", source="etl", includes="dist/*.jar", excludes="dist/tmp*", target="use")
    assert got["copied"] == ["dist/a.jar"]
    assert (ws / "use" / "dist" / "a.jar").read_text() == "etl/dist/a.jar" and not (ws / "use/dist/tmp.jar").exists()

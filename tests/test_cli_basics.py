"""The command line: help, version, and a syntax error reported as one located line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from jenkins2flow import __version__
from jenkins2flow.cli.main import cli


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("convert", "inspect", "cron", "demo"):
        assert f"  {command} " in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"jenkins2flow, version {__version__}"


def test_syntax_error_is_one_located_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "broken.Jenkinsfile"
    bad.write_text("pipeline {\n  agent any\n  stages {\n    stage('A') {\n      steps { sh 'ok' \n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "jenkins2flow.cli", "convert", str(bad), "--store", str(tmp_path / "s.db")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    location, _, message = lines[0].partition(": ")
    path, line, col = location.rsplit(":", 2)
    assert path == str(bad)
    assert int(line) >= 1 and int(col) >= 1
    assert message


def test_a_good_file_still_converts_next_to_a_broken_one(tmp_path: Path) -> None:
    good = tmp_path / "good.Jenkinsfile"
    good.write_text("node { stage('A') { sh 'echo hi' } }\n", encoding="utf-8")
    bad = tmp_path / "bad.Jenkinsfile"
    bad.write_text("pipeline { stages { stage('A') { steps { sh 'x' ", encoding="utf-8")
    result = CliRunner().invoke(cli, ["convert", str(bad), str(good), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    assert "good: converted" in result.output

"""Encodings: invalid UTF-8 in a Jenkinsfile or a config.xml is an error with its line, column and byte offset;
UTF-16 files (with a byte-order mark, or without one for ASCII-range text) and UTF-8 with a byte-order mark are
decoded."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkins2flow.cli.main import cli
from jenkins2flow.sources import iter_jobs

JENKINSFILE = "pipeline { agent any\n  stages { stage('a') { steps { sh 'echo café' } } } }\n"
CONFIG = "<project><builders><hudson.tasks.Shell><command>echo café</command></hudson.tasks.Shell></builders></project>"


def _command(job_dir: Path, name: str) -> str:
    (job,) = iter_jobs([str(job_dir / name)])
    assert not [d for d in job.diagnostics if d.level == "error"], job.diagnostics
    if job.builders:
        return str(job.builders[0].field("command"))
    return str(job.stages[0].steps[0].args[0])


@pytest.mark.parametrize(("name", "text"), [("a.Jenkinsfile", JENKINSFILE), ("a.xml", CONFIG)])
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_and_byte_order_marks_are_decoded(tmp_path: Path, name: str, text: str, codec: str) -> None:
    if name.endswith(".xml") and codec in ("utf-16-le", "utf-16-be"):
        text = f'<?xml version="1.0" encoding="{codec.upper()}"?>' + text  # XML without a BOM declares it
    (tmp_path / name).write_bytes(text.encode(codec))
    assert _command(tmp_path, name) == "echo café"


def test_invalid_utf8_in_a_jenkinsfile_gives_its_place(tmp_path: Path) -> None:
    data = JENKINSFILE.replace("café", "caf\udce9").encode("utf-8", "surrogateescape")  # a Latin-1 é
    (tmp_path / "latin.Jenkinsfile").write_bytes(data)
    (job,) = iter_jobs([str(tmp_path / "latin.Jenkinsfile")])
    (diag,) = job.diagnostics
    offset = data.index(b"\xe9")
    col = offset - data.index(b"\n")  # the column of the byte on line 2, counting from 1
    assert (diag.level, diag.code, diag.span.line, diag.span.col) == ("error", "encoding", 2, col)
    assert f"line 2, column {col} (byte offset {offset}: 0xe9)" in diag.message
    assert job.stages == ()  # nothing read from a file whose text is wrong: no command with a U+FFFD in it


def test_invalid_utf8_in_a_config_xml_gives_its_place(tmp_path: Path) -> None:
    data = ("<project>\n  <description>ok</description>\n" + CONFIG[9:]).replace("café", "caf\udce9").encode(
        "utf-8", "surrogateescape")
    (tmp_path / "latin.xml").write_bytes(data)
    (job,) = iter_jobs([str(tmp_path / "latin.xml")])
    (diag,) = [d for d in job.diagnostics if d.level == "error"]
    assert (diag.code, diag.span.line) == ("encoding", 3)
    offset = data.index(b"\xe9")
    assert f"(byte offset {offset}: 0xe9)" in diag.message
    result = CliRunner().invoke(cli, ["convert", str(tmp_path / "latin.xml"), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{tmp_path / 'latin.xml'}:3:{diag.span.col}: {diag.message}"


def test_a_declared_single_byte_encoding_is_not_an_error(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + CONFIG
    (tmp_path / "latin1.xml").write_bytes(text.encode("latin-1"))
    assert _command(tmp_path, "latin1.xml") == "echo café"

"""Bad input gets a clear error: `audit`, `convert`, `dry-run` and `inspect` on a missing path, an empty folder, a
folder of files that are not Jenkins jobs, an HTML page (as a file, or saved as a job's config.xml), a binary file,
a Maven POM or a text file print one line naming the path and why, and exit 1, never an empty success or a
published pipeline; in a batch, the other sources still go through."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.main import cli

GOOD = "pipeline { agent any\n stages { stage('A') { steps { sh 'echo hi' } } } }\n"
HTML = "<!DOCTYPE html>\n<html><head><title>Sign in [Jenkins]</title></head><body><form/></body></html>\n"


def _missing(root: Path) -> tuple[Path, str]:
    return root / "nowhere", "No such file or directory"


def _empty(root: Path) -> tuple[Path, str]:
    (root / "empty").mkdir()
    return root / "empty", "no Jenkins job here"


def _not_jenkins_folder(root: Path) -> tuple[Path, str]:
    folder = root / "repo"
    folder.mkdir()
    (folder / "README.md").write_text("# A project\n")
    (folder / "etl.py").write_text("print('hello')\n")
    (folder / "pom.xml").write_text('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion/></project>')
    return folder, "no Jenkins job here; the 1 file(s) found are not Jenkins jobs"


def _html_file(root: Path) -> tuple[Path, str]:
    (root / "job.html").write_text(HTML)
    return root / "job.html", "it is an HTML page"


def _html_config(root: Path) -> tuple[Path, str]:
    (root / "login").mkdir()
    (root / "login" / "config.xml").write_text("<html><body>Please sign in</body></html>")
    return root / "login" / "config.xml", "it is an HTML page (root element <html>)"


def _binary(root: Path) -> tuple[Path, str]:
    (root / "dump.bin").write_bytes(bytes(range(256)) * 8)
    return root / "dump.bin", "it is a binary file"


def _text(root: Path) -> tuple[Path, str]:
    (root / "notes.txt").write_text("echo hi\n")
    return root / "notes.txt", "it is neither XML nor a Jenkinsfile"


def _ant(root: Path) -> tuple[Path, str]:
    (root / "build-file.xml").write_text('<project name="x" default="jar" basedir="."><target name="jar"/></project>')
    return root / "build-file.xml", "it is an Ant build file"


BAD: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "missing path": _missing, "empty folder": _empty, "folder of non-Jenkins files": _not_jenkins_folder,
    "HTML page": _html_file, "HTML saved as config.xml": _html_config, "binary file": _binary,
    "text file": _text, "Ant build file": _ant,
}
COMMANDS = ["audit", "convert", "dry-run", "inspect"]


def _run(command: str, args: list[str], store: Path) -> tuple[int, str, str]:
    extra = ["--store", str(store)] if command == "convert" else []
    result = CliRunner().invoke(cli, [command, *args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, command: str, case: str) -> None:
    path, why = BAD[case](tmp_path)
    code, out, err = _run(command, [str(path)], tmp_path / "store.db")
    assert code == 1
    errors = [line for line in err.splitlines() if not line.startswith("skipped ")]
    assert len(errors) == 1, err
    assert errors[0].startswith(str(path)) and why in errors[0]
    assert "Traceback" not in out + err
    if command == "convert":
        with open_store(str(tmp_path / "store.db")) as store:
            assert store.list("pipeline") == []  # nothing published


@pytest.mark.parametrize("command", ["audit", "convert", "inspect"])
def test_the_rest_of_a_batch_goes_on_and_the_exit_code_says_something_failed(tmp_path: Path, command: str) -> None:
    (tmp_path / "good.Jenkinsfile").write_text(GOOD)
    html, _ = _html_file(tmp_path)
    code, out, err = _run(command, [str(tmp_path / "nowhere"), str(html), str(tmp_path / "good.Jenkinsfile")],
                          tmp_path / "store.db")
    assert code == 1
    assert [line.split(":", 1)[0] for line in err.splitlines()] == [str(tmp_path / "nowhere"), str(html)]
    assert ("1 jobs, 1 with a runnable pipeline" if command == "audit" else "good") in out
    if command == "convert":
        with open_store(str(tmp_path / "store.db")) as store:
            assert [d.name for d in store.list("pipeline")] == ["good"]


def test_files_in_a_folder_that_are_not_jobs_are_named_and_skipped(tmp_path: Path) -> None:
    folder, _ = _not_jenkins_folder(tmp_path)
    (folder / "Jenkinsfile").write_text(GOOD)
    code, out, err = _run("inspect", [str(folder)], tmp_path / "store.db")
    assert code == 0, err
    assert err.splitlines() == [f"skipped {folder / 'pom.xml'}:1:1: Not a Jenkins job: its root element <project> "
                                "has an XML namespace, which a Jenkins job config.xml never has (a Maven POM, a "
                                "Spring or a web.xml file)."]
    assert out.startswith("repo (pipeline, declarative)")


def test_a_job_whose_config_xml_is_html_under_a_jenkins_home_fails_alone(tmp_path: Path) -> None:
    for name, text in (("login", HTML), ("etl", "<project><description>etl</description></project>")):
        os.makedirs(tmp_path / "jobs" / name)
        (tmp_path / "jobs" / name / "config.xml").write_text(text)
    code, out, err = _run("inspect", [str(tmp_path)], tmp_path / "store.db")
    assert code == 1
    assert err.strip() == (f"{tmp_path / 'jobs' / 'login' / 'config.xml'}:1:1: This config.xml is not a job: it is an "
                           "HTML page (<!DOCTYPE html>), not a job config.xml (often a login or error page saved in "
                           "its place).")
    assert "etl (freestyle)" in out

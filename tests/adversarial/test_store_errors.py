"""A store that cannot be used is one line on stderr and exit 1, never a traceback, in every command; the API
raises StoreUnavailable with the same sentence. Read-only, corrupt, missing-folder, under-a-file, unreachable
MongoDB; reads (shadow history and report, audit --store too) never create anything, writes create a missing
folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from adversarial_helpers import ROOT, cli, one_line_error, read_only, small_catalog
from click.testing import CliRunner
from jenkins2flow_runtime.store import StoreMissing, StoreUnavailable, open_store

from jenkins2flow.cli.main import cli as main_cli
from jenkins2flow.estate_service import EstateService, record_report
from jenkins2flow.shadow.results import ResultsStore

SAMPLE = ROOT / "samples" / "jenkinsfiles" / "daily_sales.Jenkinsfile"
UNREACHABLE = "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300"
TASK_YAML = "kind: concrete_task\nname: hello\nspec:\n  type: shell\n  command: echo hi\n"


def _import_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog" / "tasks"
    folder.mkdir(parents=True)
    (folder / "hello.yaml").write_text(TASK_YAML)
    return folder.parent


def _commands(tmp_path: Path) -> dict[str, Callable[[str], list[str]]]:
    folder = _import_dir(tmp_path)
    return {
        "list": lambda uri: ["pipelines", "list", "--store", uri],
        "import": lambda uri: ["catalog", "import", str(folder), "--store", uri],
        "convert": lambda uri: ["convert", str(SAMPLE), "--store", uri],
    }


def _run(args: list[str]) -> str:
    """`jenkins2flow ARGS` in process: exit 1 with one line on stderr and no exception escaping; that line."""
    result = CliRunner().invoke(main_cli, args)
    assert not result.exception or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _corrupt(tmp_path: Path) -> str:
    path = tmp_path / "corrupt.db"
    path.write_bytes(os.urandom(64 * 1024))
    return str(path)


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "plain").write_text("not a folder")
    return str(tmp_path / "plain" / "store.db")


@pytest.mark.parametrize("command", ["list", "import", "convert"])
@pytest.mark.parametrize("case", ["corrupt", "under-a-file", "unreachable-mongo"])
def test_unusable_store_is_one_line_and_exit_1(case: str, command: str, tmp_path: Path) -> None:
    uri = {"corrupt": _corrupt, "under-a-file": _under_a_file, "unreachable-mongo": lambda _: UNREACHABLE}[case](
        tmp_path)
    args = _commands(tmp_path)[command](uri)
    before = sorted(p.name for p in tmp_path.iterdir())
    line = _run(args)

    expected = {
        "corrupt": "is not a readable SQLite catalog (file is not a database)",
        "under-a-file": f"{str(tmp_path / 'plain')!r} is a file, not a folder",
        "unreachable-mongo": "'mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300' cannot be used: "
                             "ServerSelectionTimeoutError: 127.0.0.1:1: [Errno 111] Connection refused",
    }[case]
    assert line.startswith("Error: ") and expected in line
    with pytest.raises(StoreUnavailable) as err:  # the API says the same sentence
        open_store(uri, create=command != "list").close()
    assert line == "Error: " + str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def test_read_only_store_reads_and_refuses_writes_in_one_line(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    small_catalog(store)
    commands = _commands(tmp_path)
    with read_only(store):
        listed = CliRunner().invoke(main_cli, commands["list"](str(store)))
        assert listed.exit_code == 0 and [line.split()[0] for line in listed.output.splitlines()] == ["alpha", "beta"]
        for name in ("import", "convert"):
            line = _run(commands[name](str(store)))
            assert line.startswith(f"Error: The store {str(store)!r} is read-only (attempt to write a readonly "
                                   "database): make the file and its folder writable, or pass another --store."), line
    with open_store(str(store)) as s:
        assert sorted(d.name for d in s.list()) == ["alpha", "beta", "echo"]  # nothing was written


def test_reads_never_create_a_store_and_writes_create_its_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "store.db"
    commands = _commands(tmp_path)
    line = _run(commands["list"](str(missing)))
    assert line == (f"Error: no catalog at {str(missing)!r} (its folder does not exist); run convert first or pass "
                    "--store")
    for args in (["tasks", "show", "x", "--store", str(missing)], ["catalog", "export", str(tmp_path / "out"),
                                                                      "--store", str(missing)],
                 ["pipelines", "publish", "x", "--store", str(missing)],
                 ["shadow", "history", "daily_sales", "--store", str(missing)],
                 ["shadow", "report", "shadow-daily_sales-1", "--store", str(missing)],
                 ["audit", str(SAMPLE), "--json", "--store", str(missing)]):
        assert _run(args).startswith(f"Error: no catalog at {str(missing)!r}"), args
    with pytest.raises(StoreMissing, match="no catalog at"):
        open_store(str(missing))
    with pytest.raises(StoreMissing, match="no catalog at"):
        ResultsStore(str(missing))
    with EstateService([str(SAMPLE)]).audit() as estate, pytest.raises(StoreMissing, match="no catalog at"):
        record_report(str(missing), estate, command="audit", sources=[str(SAMPLE)], by="test")
    assert not (tmp_path / "no").exists()  # neither the file nor its folder

    ok = CliRunner().invoke(main_cli, commands["import"](str(missing)))
    assert ok.exit_code == 0, ok.output
    assert missing.is_file()  # a write makes the folder and the catalog


def test_the_real_entry_point_prints_one_line(tmp_path: Path) -> None:
    """The same through `python -m jenkins2flow.cli`, as a user runs it."""
    corrupt = _corrupt(tmp_path)
    assert "is not a readable SQLite catalog" in one_line_error(cli("pipelines", "list", "--store", corrupt))
    assert "is not a readable SQLite catalog" in one_line_error(cli("convert", str(SAMPLE), "--store", corrupt))
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "is not a jenkins2flow catalog" in one_line_error(cli("pipelines", "list", "--store", str(empty)))

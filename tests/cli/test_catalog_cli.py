"""The catalog commands, through click's CliRunner on a group built here (main.py registers the same)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from jenkins2flow_runtime.model import make
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.catalog import register


@click.group()
def cli() -> None:
    pass


register(cli)


@pytest.fixture
def store(tmp_path: Path) -> str:
    uri = str(tmp_path / "store.db")
    with open_store(uri, create=True) as s:
        s.save(make("concrete_task", "extract", {"type": "shell", "command": "echo 1\necho 2"}), by="ann")
        s.save(make("concrete_task", "extract", {"type": "shell", "command": "echo 1\necho 3"}), by="ann")
        s.save(
            make(
                "pipeline",
                "nightly",
                {"tasks": [{"id": "e", "uses": {"kind": "concrete_task", "name": "extract"}}], "tags": ["etl"]},
            )
        )
    return uri


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, list(args), env={"JENKINS2FLOW_USER": "tester"})
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_list_show_history_diff(store: str) -> None:
    assert run("tasks", "list", "--store", store).startswith("extract\tv2\tdraft")
    assert "nightly" in run("pipelines", "list", "--tag", "etl", "--store", store)
    assert run("pipelines", "list", "--tag", "nope", "--store", store) == ""
    shown = yaml.safe_load(run("tasks", "show", "extract", "--version", "1", "--store", store))
    assert shown["spec"]["command"] == "echo 1\necho 2" and shown["version"] == 1
    assert json.loads(run("tasks", "show", "extract", "--json", "--store", store))["version"] == 2
    history = run("tasks", "history", "extract", "--store", store)
    assert history.startswith("v1\tdraft") and "\tsave\tv2\tann" in history
    assert "    -echo 2\n    +echo 3" in run("tasks", "diff", "extract", "1", "2", "--store", store)


def test_publish_retire_rollback_where_used(store: str) -> None:
    out = run("pipelines", "publish", "nightly", "--store", store, ok=False)
    assert out.count("\n") == 1 and out.startswith("Error: Cannot publish pipeline 'nightly' version 1:")
    assert "Traceback" not in out
    run("tasks", "publish", "extract", "--version", "1", "--store", store)
    run("tasks", "publish", "extract", "--store", store)
    assert "published pipeline 'nightly' version 1" in run("pipelines", "publish", "nightly", "--store", store)
    assert "rolled concrete_task 'extract' back" in run("tasks", "rollback", "extract", "1", "--store", store)
    assert "retired" in run("tasks", "retire", "extract", "--store", store, "-m", "bye")
    used = run("tasks", "where-used", "extract", "--store", store)
    assert "nightly\tv1\tpublished\tuses v2\tspec.tasks[0].uses" in used
    with open_store(store) as s:
        assert [a.by for a in s.audit("concrete_task", "extract")][-1] == "tester"


def test_errors_are_one_line(store: str) -> None:
    out = run("tasks", "show", "missing", "--store", store, ok=False)
    assert out.startswith("Error: No concrete_task 'missing'") and out.count("\n") == 1


def test_export_import_round_trip(store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("tasks", "publish", "extract", "--store", store)
    out = tmp_path / "catalog"
    monkeypatch.setenv("JENKINS2FLOW_STORE", store)
    assert "exported 2 documents" in run("catalog", "export", str(out))
    text = (out / "tasks" / "extract.yaml").read_text()
    assert "command: |-\n    echo 1\n    echo 3" in text  # literal block for review
    fresh = str(tmp_path / "fresh.db")
    assert "imported 2 documents: 2 new versions, 1 published" in run("catalog", "import", str(out), "--store", fresh)
    assert "imported 2 documents: 0 new versions, 0 published" in run("catalog", "import", str(out), "--store", fresh)
    with open_store(fresh) as s:
        assert s.get("concrete_task", "extract", "published").spec.command == "echo 1\necho 3"  # type: ignore[union-attr]
        assert [a.action for a in s.audit("pipeline", "nightly")] == ["import"]


def test_import_is_all_or_nothing(store: str, tmp_path: Path) -> None:
    out = tmp_path / "catalog"
    run("catalog", "export", str(out), "--store", store)
    bad = yaml.safe_load((out / "pipelines" / "nightly.yaml").read_text())
    bad["spec"]["tasks"].append({"id": "load", "uses": bad["spec"]["tasks"][0]["uses"], "depends_on": ["lod"]})
    (out / "pipelines" / "zz-bad.yaml").write_text(yaml.safe_dump({**bad, "name": "other"}))
    fresh = str(tmp_path / "fresh.db")
    msg = run("catalog", "import", str(out), "--store", fresh, ok=False)
    where = "pipelines/zz-bad.yaml: spec.tasks[1].depends_on[0]"
    assert msg == f"Error: {where}: unknown task 'lod'; did you mean 'load'?\n"
    assert not Path(fresh).exists()  # files are validated before the store is opened: no empty store is left
    run("catalog", "import", str(out / "tasks"), "--store", fresh)
    msg = run("catalog", "import", str(out), "--store", fresh, ok=False)
    assert msg.startswith(f"Error: {where}:")
    with open_store(fresh) as s:
        assert [d.name for d in s.list()] == ["extract"]  # only the first, valid import


def test_schema_command() -> None:
    schema = json.loads(run("schema", "pipelines"))
    assert schema["properties"]["kind"]["const"] == "pipeline" and "spec" in schema["required"]
    assert "Error" in run("schema", "nope", ok=False)

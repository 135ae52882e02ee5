"""`catalog import` recomputes spec_hash from the spec: an edited export is a new version (it used to be taken
for the unchanged document, its stale hash trusted), a hash changed by hand is refused in one line."""

from __future__ import annotations

from pathlib import Path

import yaml
from adversarial_helpers import cli, one_line_error
from jenkins2flow_runtime.model import make, spec_hash
from jenkins2flow_runtime.store import open_store


def _exported(tmp_path: Path) -> tuple[str, Path]:
    store = str(tmp_path / "store.db")
    with open_store(store, create=True) as s:
        s.save(make("concrete_task", "extract", {"type": "shell", "command": "echo one"}))
        s.save(make("pipeline", "nightly", {"tasks": [{"id": "e", "uses": {"kind": "concrete_task",
                                                                            "name": "extract"}}]}))
    folder = tmp_path / "export"
    assert cli("catalog", "export", str(folder), "--store", store).returncode == 0
    return store, folder


def _edit(path: Path, **changes: object) -> dict[str, object]:
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if key == "command":
            data["spec"]["command"] = value
        elif value is None:
            del data[key]
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))
    return data


def test_an_edited_export_is_a_new_version(tmp_path: Path) -> None:
    store, folder = _exported(tmp_path)
    task = folder / "tasks" / "extract.yaml"
    _edit(task, command="echo two")  # the spec_hash line still says "echo one"

    done = cli("catalog", "import", str(task), "--store", store)

    assert done.returncode == 0 and "imported 1 documents: 1 new versions" in done.stdout, done.stderr
    with open_store(store) as s:
        latest = s.get("concrete_task", "extract")
        assert (latest.version, latest.spec.command) == (2, "echo two")  # type: ignore[union-attr]
        assert latest.spec_hash == spec_hash(latest.spec)
    assert "0 new versions" in cli("catalog", "import", str(task), "--store", store).stdout  # idempotent


def test_a_tampered_hash_is_refused(tmp_path: Path) -> None:
    store, folder = _exported(tmp_path)
    task = folder / "tasks" / "extract.yaml"
    _edit(task, spec_hash="0" * 64)  # the spec is unchanged; its hash is not the spec's, nor version 1's

    line = one_line_error(cli("catalog", "import", str(folder), "--store", store))

    assert line.startswith("Error: tasks/extract.yaml: spec_hash: '0000000000000000' is neither the hash of this "
                           "spec nor that of version 1 of concrete_task 'extract' in this store"), line
    assert "Remove the spec_hash line" in line
    with open_store(store) as s:
        assert [d.version for d in s.list()] == [1, 1]  # nothing was imported

    _edit(task, command="echo three")  # an edit on top of a tampered hash is refused just the same
    assert "is neither the hash" in one_line_error(cli("catalog", "import", str(task), "--store", store))
    _edit(task, spec_hash=None)  # without a hash, the spec is taken as it is
    assert cli("catalog", "import", str(task), "--store", store).returncode == 0
    with open_store(store) as s:
        assert s.get("concrete_task", "extract").spec.command == "echo three"  # type: ignore[union-attr]

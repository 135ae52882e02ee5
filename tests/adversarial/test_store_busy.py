"""A DAG parse never waits long for a SQLite writer: in WAL mode a writer's transaction does not block it at all,
and a writer that holds the file exclusively makes it give up after the short parse timeout and serve the snapshot,
loudly. A long import commits in bounded batches: between them other writers get in and readers see its progress."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from adversarial_helpers import ROOT, small_catalog
from jenkins2flow_runtime.model import make
from jenkins2flow_runtime.store import open_store

pytestmark = [pytest.mark.airflow, pytest.mark.filterwarnings("ignore::UserWarning:airflow.dag_processing")]

HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    db.execute("PRAGMA locking_mode=EXCLUSIVE")  # as another tool may: the file is its own until it closes it
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO audit (at, kind, name, version, action, by, comment) VALUES ('', 'x', 'x', 0, 'save', '', '')")
print("holding", flush=True)
time.sleep(120)
"""


@contextlib.contextmanager
def _hold(store: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    """Another process in a write transaction on `store` until the block ends."""
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(store), mode], stdout=subprocess.PIPE,
                          text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            yield holder
        finally:
            holder.kill()


def _load(store: Path, snapshot: Path) -> Any:
    from jenkins2flow_runtime.airflow import load_dags

    return load_dags({"__file__": str(ROOT / "dags" / "x.py")}, store_uri=str(store), snapshot=str(snapshot))


def test_a_writer_holding_the_file_sends_the_parse_to_the_snapshot(tmp_path: Path) -> None:
    from jenkins2flow_runtime.airflow.sync import StoreOutageWarning

    store, snapshot = tmp_path / "store.db", tmp_path / "snapshot.json"
    small_catalog(store)
    assert _load(store, snapshot).source == "store" and snapshot.is_file()
    written = snapshot.read_bytes()

    with _hold(store, "exclusive") as holder:
        with pytest.warns(StoreOutageWarning, match="STORE OUTAGE: The store .* is locked by another writer"):
            result = _load(store, snapshot)
        assert holder.poll() is None, "the parse must return while the writer still holds the file"
    assert result.source == "snapshot" and set(result.dags) == {"alpha", "beta"}
    assert snapshot.read_bytes() == written
    assert _load(store, snapshot).source == "store"  # the writer gone, the store is read again


def test_an_ordinary_write_transaction_does_not_block_the_parse(tmp_path: Path) -> None:
    store, snapshot = tmp_path / "store.db", tmp_path / "snapshot.json"
    small_catalog(store)
    with _hold(store, "normal") as holder:  # WAL: readers go on reading the last committed state
        result = _load(store, snapshot)
        assert holder.poll() is None
    assert result.source == "store" and set(result.dags) == {"alpha", "beta"}


IMPORTER = """
import sys, time
from pathlib import Path
from jenkins2flow.cli.catalog import import_dir
from jenkins2flow_runtime.store.sqlite import SqliteStore

folder, store, marker, go = sys.argv[1:5]

class Pausing(SqliteStore):
    batches = 0

    def _write(self, docs, **kwargs):
        out = super()._write(docs, **kwargs)
        Pausing.batches += 1
        if Pausing.batches == 1:  # committed: let the test look at the store between two batches
            Path(marker).write_text(str(len(docs)))
            while not Path(go).exists():
                time.sleep(0.05)
        return out

with Pausing(store, create=True) as s:
    print(import_dir(s, Path(folder), by="importer", comment="", batch_size=50), Pausing.batches)
"""


def test_a_long_import_commits_in_batches_and_lets_others_write_between_them(tmp_path: Path) -> None:
    folder = tmp_path / "catalog" / "tasks"
    folder.mkdir(parents=True)
    for i in range(200):
        (folder / f"t{i:03}.yaml").write_text(f"kind: concrete_task\nname: t{i:03}\nspec:\n  type: shell\n"
                                              f"  command: echo {i}\n")
    store = tmp_path / "store.db"
    with open_store(str(store), create=True) as s:
        s.save(make("concrete_task", "other", {"type": "shell", "command": "echo other"}))
    marker, go = tmp_path / "first-batch", tmp_path / "go"
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(folder.parent), str(store), str(marker), str(go)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), child.communicate(timeout=10)
        with open_store(str(store), timeout=1) as s:
            assert len(s.list("concrete_task")) == 1 + 50  # the first batch is visible, the rest is not yet
            s.publish("concrete_task", "other", by="someone else")  # a writer gets in between two batches
            s.publish("concrete_task", "t000", by="someone else")
        assert child.poll() is None, "the import is still under way"
    finally:
        go.touch()
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert out.split() == ["(200,", "200,", "0)", "4"]  # 200 documents, 200 new versions, in 4 batches
    with open_store(str(store)) as s:
        assert len(s.list("concrete_task")) == 201
        assert s.get("concrete_task", "t000", "published").version == 1

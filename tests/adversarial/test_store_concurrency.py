"""Concurrent edits of one document: one wins, the other gets a conflict, in the API (two real processes on
SQLite and on a real MongoDB when configured, threads on mongomock) and in the CLI (two `catalog import`
processes of two edits of the same export)."""

from __future__ import annotations

import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from adversarial_helpers import ROOT, one_line_error
from jenkins2flow_runtime.model import make
from jenkins2flow_runtime.store import ConflictError, open_store

REAL_MONGO = os.environ.get("JENKINS2FLOW_TEST_MONGO_URI", "")
ROUNDS = 4


def _task(command: str) -> Any:
    return make("concrete_task", "shared", {"type": "shell", "command": command})


def _edit(uri: str, writer: int, base: int, barrier: Any, results: Any) -> None:
    """Open the store, wait for the other writer, then save an edit based on version `base`."""
    with open_store(uri) as store:
        barrier.wait(timeout=60)
        try:
            saved = store.save(_task(f"echo writer {writer} on {base}"), expected_version=base, by=f"w{writer}")
            results.put(("saved", writer, saved.version))
        except ConflictError as err:
            results.put(("conflict", writer, str(err)))


def _race(uri: str, start: Any) -> None:
    """ROUNDS rounds of two writers editing the same base version at the same moment."""
    with open_store(uri, create=True) as store:
        store.save(_task("echo start"))
    for base in range(1, ROUNDS + 1):
        outcome = sorted(start(uri, base))
        assert [o[0] for o in outcome] == ["conflict", "saved"], outcome
        winner = next(o for o in outcome if o[0] == "saved")
        loser = next(o for o in outcome if o[0] == "conflict")
        assert winner[2] == base + 1
        assert f"'shared' is at version {base + 1}, not {base}: someone saved it meanwhile" in loser[2]
        with open_store(uri) as store:
            latest = store.get("concrete_task", "shared")
            assert (latest.version, latest.spec.command) == (base + 1, f"echo writer {winner[1]} on {base}")  # type: ignore[union-attr]
    with open_store(uri) as store:
        assert [d.version for d in store.history("concrete_task", "shared")] == list(range(1, ROUNDS + 2))


def _processes(uri: str, base: int) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_edit, args=(uri, w, base, barrier, results)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    return [results.get(timeout=10) for _ in procs]


def _threads(uri: str, base: int) -> list[Any]:
    barrier = threading.Barrier(2)
    results: queue.Queue[Any] = queue.Queue()
    threads = [threading.Thread(target=_edit, args=(uri, w, base, barrier, results)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return [results.get_nowait() for _ in threads]


def test_api_one_wins_sqlite_processes(tmp_path: Path) -> None:
    _race(str(tmp_path / "store.db"), _processes)


def test_api_one_wins_mongomock_threads() -> None:
    _race(f"mongomock://localhost/j2f_race_{uuid.uuid4().hex[:8]}", _threads)


@pytest.mark.skipif(not REAL_MONGO, reason="set JENKINS2FLOW_TEST_MONGO_URI to run against a real MongoDB")
def test_api_one_wins_real_mongo_processes() -> None:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(REAL_MONGO)
    database = f"j2f_race_{uuid.uuid4().hex[:8]}"
    uri = urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))
    try:
        _race(uri, _processes)
    finally:
        with open_store(uri) as store:
            store.client.drop_database(database)  # type: ignore[attr-defined]


def test_cli_two_imports_of_one_export(tmp_path: Path) -> None:
    store = str(tmp_path / "store.db")
    with open_store(store, create=True) as s:
        s.save(_task("echo start"))
    env = {**os.environ, "JENKINS2FLOW_STORE": store}
    exported = []
    for who in ("ann", "bob"):
        folder = tmp_path / who
        subprocess.run([sys.executable, "-m", "jenkins2flow.cli", "catalog", "export", str(folder)], env=env,
                       check=True, capture_output=True, timeout=120, cwd=ROOT)
        path = folder / "tasks" / "shared.yaml"
        data = yaml.safe_load(path.read_text())
        assert data["version"] == 1
        data["spec"]["command"] = f"echo edited by {who}"  # spec_hash left as exported: an edit of version 1
        path.write_text(yaml.safe_dump(data))
        exported.append(folder)
    procs = [subprocess.Popen([sys.executable, "-m", "jenkins2flow.cli", "catalog", "import", str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
             for folder in exported]
    done = [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate(timeout=10)) for p in procs]

    assert sorted(d.returncode for d in done) == [0, 1], [(d.returncode, d.stderr) for d in done]
    winner = next(i for i, d in enumerate(done) if d.returncode == 0)
    assert "imported 1 documents: 1 new versions" in done[winner].stdout
    line = one_line_error(done[1 - winner])
    assert line.startswith("Error: concrete_task 'shared' is at version 2, not 1: someone saved it meanwhile")
    assert "export it again" in line
    with open_store(store) as s:
        latest = s.get("concrete_task", "shared")
        assert (latest.version, latest.spec.command) == (2, f"echo edited by {('ann', 'bob')[winner]}")  # type: ignore[union-attr]
    again = subprocess.run([sys.executable, "-m", "jenkins2flow.cli", "catalog", "import", str(exported[winner])],
                           env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert again.returncode == 0 and "0 new versions" in again.stdout, again.stderr  # importing it again: no conflict

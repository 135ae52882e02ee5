"""Airflow for the runtime tests: a test-local AIRFLOW_HOME, SQLite metadata DB, dags folder and store.

The environment is set here, at import, BEFORE anything imports airflow (Airflow reads its config on import).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from airflow_test_env import airflow_env

_ROOT = Path(tempfile.mkdtemp(prefix="j2f-runtime-tests-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)  # the session's Airflow home: gone when pytest ends
ENV = airflow_env(_ROOT)
if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != ENV["AIRFLOW_HOME"]:
    raise RuntimeError("tests/runtime/conftest.py must configure Airflow before anything imports it.")
os.environ.update(ENV)
for sub in ("airflow", "dags", "workspaces"):
    (_ROOT / sub).mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(Path(__file__).parent))  # the test callables (j2f_test_callables) for python tasks

# Airflow's one-time process set-up runs here, before any test: importing airflow configures its logging and routes
# Python warnings to its logger (it replaces warnings.showwarning). Run inside the first test that touches Airflow,
# that set-up would take that test's warnings away from pytest (pytest.warns saw nothing when the test ran alone).
import airflow  # noqa: E402, F401
import pytest  # noqa: E402

from tests.helpers.moto_ecs import aws, moto_url  # noqa: E402, F401 - fixtures of test_fargate

DAG_FILE = "from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())\n"


@pytest.fixture(autouse=True)
def _no_parsing_context() -> Iterator[None]:
    """Each test starts and ends outside a task runner's parsing context. Airflow 3.2's `dag.test()` leaves
    _AIRFLOW_PARSING_CONTEXT_DAG_ID set behind it (its context manager restores only a value that was set before), so
    the next DagBag in the process, in a later test here or elsewhere (tests/render's subprocesses inherit it), would
    build that one pipeline (see `sync._parsing_dag_id`)."""

    def clear() -> None:
        for name in ("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "_AIRFLOW_PARSING_CONTEXT_TASK_ID"):
            os.environ.pop(name, None)

    clear()
    yield
    clear()


@pytest.fixture(scope="session")
def test_root() -> Path:
    return _ROOT


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The Airflow metadata database, migrated once per session (about 3 s)."""
    from airflow.utils.db import initdb

    initdb()
    return _ROOT / "airflow" / "airflow.db"


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    """A fresh dags folder holding only the one-line DAG file."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "jenkins2flow_dags.py").write_text(DAG_FILE)
    return folder


@pytest.fixture(scope="session")
def configured_dags_folder() -> Path:
    """The dags folder Airflow is configured with (dag.test() only runs DAGs of its DAG bundle)."""
    folder = Path(ENV["AIRFLOW__CORE__DAGS_FOLDER"])
    (folder / "jenkins2flow_dags.py").write_text(DAG_FILE)
    return folder


@pytest.fixture
def dags_in_db(airflow_db: Path, configured_dags_folder: Path) -> Callable[[], None]:
    """Write every DAG of the configured folder to the metadata DB, as the DAG processor does. A DAG that a run
    triggers must be there: Airflow 3.3's dag.test() writes its whole bundle, 3.2's only the DAG under test
    (apache/airflow#64884)."""

    def sync() -> None:
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

        manager = DagBundlesManager()
        manager.sync_bundles_to_db()
        bundle = manager.get_bundle("dags-folder")
        bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        assert bag.import_errors == {}
        sync_bag_to_db(bag, bundle.name, bundle.version)

    return sync

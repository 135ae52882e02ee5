"""The runtime's snapshot: a store file that went missing never replaces a good snapshot (nor is created), one bad
document in the snapshot costs only the DAGs that need it, and a snapshot that cannot be read at all is one clear
import error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from adversarial_helpers import ROOT
from catalog_samples import publish_all, ref, shell_pipeline
from jenkins2flow_runtime import model

pytestmark = [pytest.mark.airflow, pytest.mark.filterwarnings("ignore::UserWarning:airflow.dag_processing")]


def _load(store: Path, snapshot: Path) -> Any:
    from jenkins2flow_runtime.airflow import load_dags

    return load_dags({"__file__": str(ROOT / "dags" / "x.py")}, store_uri=str(store), snapshot=str(snapshot))


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Path, Path]:
    """alpha and beta share the task `echo`; gamma has its own task `own`. Loaded once: the snapshot is written."""
    store, snapshot = tmp_path / "store.db", tmp_path / "snapshot.json"
    own = model.make("concrete_task", "own", {"type": "shell", "command": "echo own"})
    gamma = model.make("pipeline", "gamma", {"tasks": [{"id": "only", "uses": ref("concrete_task", "own")}]})
    publish_all(store, shell_pipeline("alpha") + shell_pipeline("beta")[1:] + [own, gamma])
    assert set(_load(store, snapshot).dags) == {"alpha", "beta", "gamma"}
    return store, snapshot


def test_a_missing_store_file_never_replaces_the_snapshot(catalog: tuple[Path, Path], tmp_path: Path) -> None:
    from jenkins2flow_runtime.airflow.sync import StoreOutageWarning

    store, snapshot = catalog
    written = snapshot.read_bytes()
    store.rename(tmp_path / "elsewhere.db")  # an unmounted volume, a typo in JENKINS2FLOW_STORE...
    for _ in range(2):
        with pytest.warns(StoreOutageWarning, match=r"STORE OUTAGE: no catalog at .*store\.db'; run convert first"):
            result = _load(store, snapshot)
        assert result.source == "snapshot" and set(result.dags) == {"alpha", "beta", "gamma"}
    assert snapshot.read_bytes() == written
    assert not store.exists()  # and no empty store was created in its place


def test_one_bad_document_in_the_snapshot_costs_only_its_dags(catalog: tuple[Path, Path], tmp_path: Path) -> None:
    from jenkins2flow_runtime.airflow.sync import PipelineBuildWarning, StoreOutageWarning

    store, snapshot = catalog
    data = json.loads(snapshot.read_text())
    for doc in data["pipelines"]:
        if doc["name"] == "beta":
            doc["spec"]["tasks"] = "not a list"  # no longer validates
    for doc in data["documents"]:
        if doc["name"] == "own":
            doc["spec"]["type"] = "perl"
    data["pipelines"].append(["not", "a", "document"])
    snapshot.write_text(json.dumps(data))
    store.rename(tmp_path / "elsewhere.db")

    with pytest.warns(StoreOutageWarning), pytest.warns(PipelineBuildWarning) as built:
        result = _load(store, snapshot)

    assert set(result.dags) == {"alpha"}
    assert set(result.errors) == {"beta", "gamma", "#3"}
    assert "pipeline 'beta' version 1 does not validate" in result.errors["beta"]
    assert ("concrete_task 'own' version 1 it uses is in the snapshot but concrete_task 'own' version 1 does not "
            "validate: spec.type") in result.errors["gamma"]
    messages = " ".join(str(w.message) for w in built)
    assert "pipeline 'beta' could not be built" in messages and "pipeline 'gamma' could not be built" in messages


def test_an_unreadable_snapshot_is_one_clear_error(catalog: tuple[Path, Path], tmp_path: Path) -> None:
    from jenkins2flow_runtime.store import StoreUnavailable

    store, snapshot = catalog
    snapshot.write_bytes(snapshot.read_bytes()[:100])  # cut short, as by a full disk
    store.rename(tmp_path / "elsewhere.db")
    with pytest.raises(StoreUnavailable) as err:
        _load(store, snapshot)
    message = str(err.value)
    assert message.startswith(f"no catalog at {str(store)!r}; run convert first or pass --store The snapshot ")
    assert "cannot be read either: JSONDecodeError" in message and "\n" not in message

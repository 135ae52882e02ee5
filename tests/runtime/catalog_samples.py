"""Catalog documents for the runtime tests, saved and published into a SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import open_store


def ref(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "version": 0}


def publish_all(store_path: Path | str, docs: list[model.Document]) -> None:
    with open_store(str(store_path), create=True) as store:
        saved = store.save_many(docs, by="tests")
        for d in saved:
            if d.kind != "pipeline":
                store.publish(d.kind, d.name, d.version, by="tests")
        for d in saved:
            if d.kind == "pipeline":
                store.publish(d.kind, d.name, d.version, by="tests")


def loaded_conversion(conv: Any, dags: Path, tmp_path: Path, monkeypatch: Any) -> Any:
    """A conversion (jenkins2flow.convert) saved and published in a fresh store that Airflow reads, and its DAG as
    Airflow loads it from `dags`."""
    from airflow.dag_processing.dagbag import DagBag

    from jenkins2flow.convert.save import save_conversion

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    with open_store(str(store), create=True) as opened:
        save_conversion(opened, conv)
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    return bag.dags[conv.pipeline_name]


def shell_pipeline(name: str, *, tasks: int = 2, **extra: Any) -> list[model.Document]:
    """A pipeline of `tasks` chained shell tasks that share one concrete task."""
    docs = [model.make("concrete_task", "echo", {"type": "shell", "command": "echo hello $WHO"})]
    spec: dict[str, Any] = {
        "tasks": [
            {"id": f"step{i}", "uses": ref("concrete_task", "echo"), "bindings": {"WHO": f"n{i}"},
             "depends_on": [f"step{i - 1}"] if i else []}
            for i in range(tasks)
        ],
        "provenance": {"job": f"folder/{name}", "source": f"https://jenkins.example.com/job/{name}/"},
        **extra,
    }
    docs.append(model.make("pipeline", name, spec))
    return docs

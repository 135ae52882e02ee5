"""A pipeline task's readable title becomes the Airflow task's display name; the id stays the task id."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_samples import publish_all, ref
from jenkins2flow_runtime import model

pytestmark = [pytest.mark.airflow, pytest.mark.filterwarnings("ignore::UserWarning:airflow.dag_processing")]


def test_title_is_the_display_name(tmp_path: Path, dags_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    monkeypatch.setenv("JENKINS2FLOW_SNAPSHOT", str(tmp_path / "snapshot.json"))
    task = model.make("concrete_task", "echo", {"type": "shell", "command": "echo hi"})
    pipeline = model.make("pipeline", "titled", {"tasks": [
        {"id": "build_sh_1", "title": "Build: run make", "uses": ref("concrete_task", "echo")},
        {"id": "cells", "title": "Test on each OS", "uses": ref("concrete_task", "echo"),
         "matrix": [{"OS": "linux"}, {"OS": "mac"}], "depends_on": ["build_sh_1"]},
        {"id": "plain", "uses": ref("concrete_task", "echo"), "depends_on": ["cells"]},
    ]})
    publish_all(store, [task, pipeline])

    bag = DagBag(dag_folder=str(dags_folder))

    assert bag.import_errors == {}
    dag = bag.dags["titled"]
    assert dag.get_task("build_sh_1").task_display_name == "Build: run make"
    assert dag.get_task("cells").task_display_name == "Test on each OS"
    assert dag.get_task("plain").task_display_name == "plain"

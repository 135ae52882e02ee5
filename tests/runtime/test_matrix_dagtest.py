"""A Jenkins matrix as an Airflow mapped task: built by the sync engine, run for real with one dag.test().

Each mapped instance gets its cell's axis values as parameters, over the bindings and over the run conf."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_samples import publish_all, ref
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

CELLS = [{"PLATFORM": p, "BROWSER": b} for p in ("linux", "mac") for b in ("firefox", "chrome", "safari")
         if (p, b) != ("linux", "safari")]
CELL = 'echo "$GREETING $PLATFORM $BROWSER" > "$WORKSPACE/cell-$PLATFORM-$BROWSER.txt"'
AFTER = 'ls "$WORKSPACE" | grep -c "^cell-" > "$WORKSPACE/after.txt"'


def _docs() -> list[model.Document]:
    return [
        model.make("concrete_task", "cell", {"type": "shell", "command": CELL}),
        model.make("concrete_task", "after", {"type": "shell", "command": AFTER}),
        model.make("pipeline", "matrix_demo", {
            "parameters": {"overrides": [{"name": "PLATFORM", "default": "solaris"},
                                         {"name": "GREETING", "default": "hi"}]},
            "tasks": [
                {"id": "test", "uses": ref("concrete_task", "cell"), "matrix": CELLS,
                 "bindings": {"PLATFORM": "bound", "GREETING": "hello"}},
                {"id": "report", "uses": ref("concrete_task", "after"), "depends_on": ["test"]},
            ],
            "provenance": {"job": "matrix/demo"},
        }),
    ]


def test_matrix_task_is_mapped_and_every_cell_runs(
    airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    publish_all(store, _docs())
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    dag = bag.dags["matrix_demo"]
    mapped = dag.get_task("test")
    assert isinstance(mapped, MappedOperator)
    assert mapped.map_index_template == "{{ task.cell_label }}"
    assert not isinstance(dag.get_task("report"), MappedOperator)

    dag_run = dag.test(run_conf={"PLATFORM": "from-conf", "GREETING": "bonjour"})

    tis = dag_run.get_task_instances()
    cells = sorted((ti.map_index, str(ti.state), ti.rendered_map_index) for ti in tis if ti.task_id == "test")
    assert cells == [(i, "success", " ".join(f"{k}={v}" for k, v in c.items())) for i, c in enumerate(CELLS)]
    assert {ti.task_id: str(ti.state) for ti in tis if ti.task_id == "report"} == {"report": "success"}
    assert str(dag_run.state) == "success"
    workspace = run_workspace("matrix_demo", dag_run.run_id)
    made = sorted(p.name for p in workspace.glob("cell-*.txt"))
    assert made == sorted(f"cell-{c['PLATFORM']}-{c['BROWSER']}.txt" for c in CELLS)
    assert not (workspace / "cell-linux-safari.txt").exists(), "the excluded cell never runs"
    # the axis value beats the binding and the run conf; other parameters still follow the run conf
    assert (workspace / "cell-mac-chrome.txt").read_text() == "bonjour mac chrome\n"
    assert (workspace / "after.txt").read_text().strip() == "5", "the next task waits for every cell"

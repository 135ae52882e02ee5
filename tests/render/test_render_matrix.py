"""A Jenkins matrix renders as a mapped task in the static DAG file, as the sync engine builds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jenkins2flow.airflow_env import airflow_env
from jenkins2flow.convert import convert_job
from jenkins2flow.ir import Axis, Matrix, Stage
from jenkins2flow.render.dag import render_dag, write_dag
from tests.convert.helpers import job, sh, sp, stage
from tests.render.dagcheck import conversion_docs, static_data

CHECK = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.definitions.mappedoperator import MappedOperator
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
out = {"errors": {k: v[-800:] for k, v in bag.import_errors.items()}, "mapped": {}}
for dag in bag.dags.values():
    for t in dag.tasks:
        if isinstance(t, MappedOperator):
            out["mapped"][t.task_id] = {"cells": t.expand_input.value["matrix_cell"],
                                        "label": t.map_index_template, "class": t.operator_class.__name__,
                                        "bindings": t.partial_kwargs["bindings"],
                                        "upstream": sorted(t.upstream_task_ids)}
print("JSON" + json.dumps(out))
"""


def _conversion():  # type: ignore[no-untyped-def]
    mx = Matrix(axes=(Axis("PLATFORM", ("linux", "mac")), Axis("BROWSER", ("firefox", "chrome", "safari"))),
                excludes=((Axis("PLATFORM", ("linux",)), Axis("BROWSER", ("safari",))),),
                stages=(stage("Test", sh("echo $PLATFORM $BROWSER")),), span=sp(3))
    return convert_job(job(stage("Build", sh("make")), Stage("Cells", sp(3), matrix=mx), name="web/matrix"))


def test_matrix_renders_as_a_mapped_task_that_loads_in_a_dagbag(tmp_path: Path) -> None:
    pipeline, docs = conversion_docs(_conversion())
    text = render_dag(pipeline, docs)
    assert static_data(text)["PIPELINE"]["spec"]["tasks"][1]["matrix"] == pipeline.spec.tasks[1].matrix  # type: ignore[union-attr]
    plain = pipeline.model_copy(update={"spec": pipeline.spec.model_copy(  # type: ignore[union-attr]
        update={"tasks": [t.model_copy(update={"matrix": []}) for t in pipeline.spec.tasks]})})  # type: ignore[union-attr]
    assert render_dag(plain, docs) != text
    write_dag(tmp_path / "dags", pipeline, docs)
    env = airflow_env(tmp_path / "state", str(tmp_path / "state" / "store.db"))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path / "dags")], env=env, capture_output=True,
                          text=True, check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    result = json.loads(lines[0][4:])
    assert result["errors"] == {}
    cells = [{"PLATFORM": p, "BROWSER": b} for p in ("linux", "mac") for b in ("firefox", "chrome", "safari")
             if (p, b) != ("linux", "safari")]
    assert result["mapped"] == {"test": {"cells": cells, "label": "{{ task.cell_label }}",
                                         "class": "MappedConcreteTaskOperator", "bindings": {},
                                         "upstream": ["build"]}}

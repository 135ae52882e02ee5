"""copyArtifacts in real dag.test() runs: the converted downstream copies the upstream pipeline's files from its
newest SUCCESSFUL run (Jenkins' default selector), into its own run workspace, not from a newer failed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

UP = """pipeline {
  agent any
  parameters { booleanParam(name: 'BREAK', defaultValue: false) }
  stages {
    stage('Make') { steps { sh 'mkdir -p out && echo "$BUILD_NUMBER" > out/build.txt && [ "$BREAK" = false ]' } }
  }
}
"""
DOWN = """pipeline {
  agent any
  stages {
    stage('Get') {
      steps { copyArtifacts projectName: 'team/copy_up', filter: 'out/*.txt', target: 'got', flatten: true }
    }
    stage('Use') { steps { sh 'cat got/build.txt > used.txt' } }
  }
}
"""


def _publish(store: Path, name: str, text: str) -> Any:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
    from tests.convert.helpers import own_provided

    conv = convert_job(parse_jenkinsfile(text, f"{name}.Jenkinsfile", name), own_provided())
    assert conv.status == "converted", conv.reasons
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", conv.pipeline_name, conv.pipeline)])
    return conv


def test_the_downstream_copies_from_the_last_successful_upstream_run(
        airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    _publish(store, "team/copy_up", UP)
    down = _publish(store, "team/copy_down", DOWN)
    assert down.pipeline.tasks[0].bindings["selector"] == "lastSuccessful"
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}
    good = bag.dags["team.copy_up"].test()
    bad = bag.dags["team.copy_up"].test(run_conf={"BREAK": True})  # newer, failed: its files are not copied
    assert (str(good.state), str(bad.state)) == ("success", "failed")
    wanted = (run_workspace("team.copy_up", good.run_id) / "out" / "build.txt").read_text()
    assert wanted != (run_workspace("team.copy_up", bad.run_id) / "out" / "build.txt").read_text()
    run = bag.dags["team.copy_down"].test()
    assert str(run.state) == "success"
    assert (run_workspace("team.copy_down", run.run_id) / "used.txt").read_text() == wanted

"""Groovy values at run time, for real: a Jenkinsfile converted by the toolkit, saved, loaded by Airflow and run with
one dag.test(). A value one task prints (returnStdout) reaches a later task's shell; a returnStatus decides an `if`;
environment {} values computed from Jenkins' variables beat a parameter of the same name; a computed dir(); `when`
gates on a parameter and on the branch skip or run their stage; a condition the converter did not understand stops
the run at its gate, naming the Jenkinsfile's line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from catalog_samples import loaded_conversion
from jenkins2flow_runtime.workspace import run_workspace

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from tests.convert.helpers import own_provided

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

JENKINSFILE = """pipeline {
  agent any
  parameters {
    string(name: 'TARGET', defaultValue: 'qa')
    choice(name: 'MODE', choices: ['quick', 'full'])
    string(name: 'LABEL', defaultValue: 'from-param')
  }
  environment {
    OUT = "${WORKSPACE}/built"
    LABEL = "env-${TARGET}"
  }
  stages {
    stage('Values') {
      steps {
        script {
          def v = sh(returnStdout: true, script: 'echo "  hello "').trim()
          env.GREETING = "${v}, ${params.TARGET}"
          sh "echo ${v} > out.txt"
          def s = sh(returnStatus: true, script: 'exit 3')
          if (s == 3) { sh 'touch status3' } else { sh 'touch status-other' }
          if (params.MODE == 'full') { sh 'touch full-if' }
        }
        sh 'echo "$GREETING|$LABEL|$OUT|$BUILD_NUMBER" > env.txt'
        dir("etl/" + params.TARGET) { sh 'pwd > where.txt' }
      }
    }
    stage('Full only') {
      when { expression { params.MODE == 'full' } }
      steps { sh 'touch full' }
    }
    stage('Main only') {
      when { branch 'main' }
      steps { sh 'touch main' }
    }
    stage('Changelog') {
      when { changelog '.*fix.*' }
      steps { sh 'touch never' }
    }
  }
}
"""


def test_groovy_values_reach_the_run(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    conv, dag = published(JENKINSFILE, "groovy/values", configured_dags_folder, tmp_path, monkeypatch)
    assert conv.status == "partial" and [e.element for e in conv.approximations] == ["when"]  # the changelog
    errors = task_errors(monkeypatch)

    run = dag.test(run_conf={"TARGET": "prod", "MODE": "quick", "BRANCH_NAME": "main",
                                                      "BUILD_NUMBER": 41})

    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    ws = run_workspace(conv.pipeline_name, run.run_id)
    assert (ws / "out.txt").read_text() == "hello\n"  # the trimmed stdout of an earlier task, pasted by Groovy
    assert (ws / "status3").exists() and not (ws / "status-other").exists()  # returnStatus decided the if
    assert (ws / "env.txt").read_text() == f"hello, prod|env-prod|{ws}/built|41\n"  # environment beats the param
    assert (ws / "etl" / "prod" / "where.txt").read_text().strip() == str(ws / "etl" / "prod")
    assert not (ws / "full").exists() and not (ws / "full-if").exists()  # MODE is quick: both gates skip
    assert (ws / "main").exists()  # BRANCH_NAME from the run conf
    assert not (ws / "never").exists()
    assert states["full_only_gate"] == "skipped" and states["full_only"] == "skipped"
    assert states["main_only_gate"] == "success" and states["main_only"] == "success"
    assert states["changelog_gate"] == "failed", "a condition not understood fails closed, never true"
    assert str(run.state) == "failed"
    assert set(errors) == {"changelog_gate"}
    assert re.search(r"stage 'Changelog': the condition cannot be decided in this run: Jenkinsfile:36:14: not "
                     "converted: when changelog", errors["changelog_gate"]), errors


def published(text: str, name: str, dags: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The Jenkinsfile converted, and its DAG as Airflow loads it from a fresh store."""
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", name), own_provided())
    return conv, loaded_conversion(conv, dags, tmp_path, monkeypatch)


def task_errors(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The error each task of a dag.test() run ended with (dag.test() itself keeps only the states)."""
    from airflow.sdk.execution_time import supervisor

    found: dict[str, str] = {}
    run_in_process = supervisor.run_task_in_process

    def recording(ti: Any, task: Any, **more: Any) -> Any:  # dag.test() passes keywords; 3.3 has a `client` more
        result = run_in_process(ti=ti, task=task, **more)
        if result.error is not None:
            found[ti.task_id] = str(result.error)
        return result

    monkeypatch.setattr(supervisor, "run_task_in_process", recording)
    return found


MATRIX = """pipeline {
  agent any
  parameters { string(name: 'ONLY', defaultValue: 'mac') }
  stages {
    stage('Cells') {
      matrix {
        axes { axis { name 'OS'; values 'linux', 'mac', 'windows' } }
        when { not { environment name: 'OS', value: 'windows' } }
        stages {
          stage('All') { steps { sh 'touch "all-$OS"' } }
          stage('One') { when { expression { env.OS == params.ONLY } } steps { sh "touch one-${OS}" } }
          stage('After') { steps { sh 'touch "after-$OS"' } }
        }
      }
    }
  }
}
"""


def test_a_matrix_when_decided_per_cell_in_the_run(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    conv, dag = published(MATRIX, "groovy/cells", configured_dags_folder, tmp_path, monkeypatch)
    assert [e.element for e in conv.approximations] == ["when (stage 'One')"]

    run = dag.test(run_conf={"ONLY": "linux"})

    ws = run_workspace(conv.pipeline_name, run.run_id)
    assert sorted(p.name for p in ws.iterdir()) == ["after-linux", "after-mac", "all-linux", "all-mac", "one-linux"]
    states = sorted((ti.task_id, ti.map_index, str(ti.state)) for ti in run.get_task_instances())
    assert states == [(t, i, "success") for t in ("after", "all", "one") for i in (0, 1)]  # windows: no cell
    assert str(run.state) == "success"

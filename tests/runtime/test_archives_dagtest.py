"""archiveArtifacts and stash/unstash in real dag.test() runs: an archive whose pattern matches no file fails the run
(as Jenkins fails the build) and stops the stages after it; a stash taken in dir('etl') is restored by unstash at the
workspace root, where the next step reads it; an archive in a post block after a failure does not fail (Jenkins'
ArtifactArchiver); junit with skipOldReports fails on reports older than the run; junit fails on reports without a
test case and goes on after a malformed one (Jenkins: UNSTABLE, with skipMarkingBuildUnstable: SUCCESS). Eight runs,
~10 s each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ARCHIVE = """pipeline {
  agent any
  parameters { booleanParam(name: 'MAKE', defaultValue: true) }
  stages {
    stage('Build') { steps {
      sh 'mkdir -p out && if [ "$MAKE" = true ]; then echo jar > out/app.jar; fi'
      archiveArtifacts artifacts: 'out/*.jar', excludes: 'out/tmp*'
    } }
    stage('After') { steps { sh 'echo after > after.txt' } }
  }
}
"""
STASH = """pipeline {
  agent any
  stages {
    stage('Pack') { steps { dir('etl') {
      sh 'mkdir -p dist && echo packed > dist/app.txt'
      stash includes: 'dist/**', name: 'pkg'
    } } }
    stage('Use') { steps {
      unstash 'pkg'
      sh 'cat dist/app.txt > used.txt'
    } }
  }
}
"""
AFTER_FAILURE = """pipeline {
  agent any
  stages { stage('Build') { steps { sh 'exit 1' } } }
  post { always {
    archiveArtifacts artifacts: 'out/*', onlyIfSuccessful: true
    sh 'echo after > after.txt'
  } }
}
"""
OLD_REPORTS = """pipeline {
  agent any
  parameters { booleanParam(name: 'OLD', defaultValue: true) }
  stages { stage('Test') { steps {
    sh 'mkdir -p r && echo "<testsuite><testcase/></testsuite>" > r/t.xml'
    sh 'if [ "$OLD" = true ]; then touch -d "2 days ago" r/t.xml; fi'
    junit testResults: 'r/*.xml', skipOldReports: true, skipMarkingBuildUnstable: true
  } } }
}
"""
REPORTS = """pipeline {
  agent any
  parameters { choice(name: 'KIND', choices: ['none', 'corrupt']) }
  stages {
    stage('Test') { steps {
      sh 'mkdir -p r && case "$KIND" in none) echo "<testsuite/>" ;; *) echo "<testsuite><testcase/>" ;; esac > r/t.xml'
      junit testResults: 'r/*.xml', skipMarkingBuildUnstable: true
    } }
    stage('After') { steps { sh 'echo after > after.txt' } }
  }
}
"""


def _publish(store: Path, name: str, text: str) -> model.PipelineSpec:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
    from tests.convert.helpers import own_provided

    conv = convert_job(parse_jenkinsfile(text, f"{name}.Jenkinsfile", name), own_provided())
    assert conv.status == "converted", conv.reasons
    assert conv.pipeline is not None
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", conv.pipeline_name, conv.pipeline)])
    return conv.pipeline


def _states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


@pytest.fixture
def bag(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    specs = {"archive": _publish(store, "arch-check", ARCHIVE), "stash": _publish(store, "arch-stash", STASH),
             "after": _publish(store, "arch-after", AFTER_FAILURE), "old": _publish(store, "arch-old", OLD_REPORTS),
             "reports": _publish(store, "arch-reports", REPORTS)}
    dags = DagBag(dag_folder=str(configured_dags_folder))
    assert dags.import_errors == {}
    return dags, specs


def _task(spec: model.PipelineSpec, document: str) -> str:
    return next(t.id for t in spec.tasks if t.uses.name == document)


def test_an_archive_matching_no_file_fails_the_run(bag: Any) -> None:
    dags, specs = bag
    check = _task(specs["archive"], "airflow.check-files")
    made = dags.dags["arch-check"].test()
    assert str(made.state) == "success" and _states(made)[check] == "success"
    assert (run_workspace("arch-check", made.run_id) / "after.txt").exists()
    empty = dags.dags["arch-check"].test(run_conf={"MAKE": False})
    states = _states(empty)
    assert states[check] == "failed" and str(empty.state) == "failed"
    assert "upstream_failed" in states.values()  # the stage after it never ran, as in Jenkins
    assert not (run_workspace("arch-check", empty.run_id) / "after.txt").exists()


def test_unstash_restores_a_stash_taken_in_another_folder(bag: Any) -> None:
    dags, specs = bag
    run = dags.dags["arch-stash"].test()
    states, ws = _states(run), run_workspace("arch-stash", run.run_id)
    assert states[_task(specs["stash"], "airflow.unstash")] == "success"
    assert (ws / "dist" / "app.txt").read_text() == "packed\n" and (ws / "etl" / "dist" / "app.txt").exists()
    assert (ws / "used.txt").read_text() == "packed\n" and str(run.state) == "success"


def test_an_archive_after_a_failure_does_not_fail_and_the_block_goes_on(bag: Any) -> None:
    dags, specs = bag
    run = dags.dags["arch-after"].test()
    states = _states(run)
    assert states[_task(specs["after"], "airflow.check-files")] == "success"
    assert (run_workspace("arch-after", run.run_id) / "after.txt").exists()  # the step after it ran, as in Jenkins
    assert str(run.state) == "failed"


def test_junit_skip_old_reports_fails_on_reports_older_than_the_run(bag: Any) -> None:
    dags, specs = bag
    check = _task(specs["old"], "airflow.check-files")
    old = dags.dags["arch-old"].test()
    assert _states(old)[check] == "failed" and str(old.state) == "failed"
    new = dags.dags["arch-old"].test(run_conf={"OLD": False})  # written in the run: after the dag run's start
    assert _states(new)[check] == "success" and str(new.state) == "success"


def test_junit_fails_on_reports_without_a_test_case_and_goes_on_after_a_malformed_one(bag: Any) -> None:
    # JUnitResultArchiver: "None of the test reports contained any result" fails the build; a malformed *.xml report
    # is one failed test case (Jenkins: UNSTABLE, here with skipMarkingBuildUnstable the result stays SUCCESS)
    dags, specs = bag
    check = _task(specs["reports"], "airflow.check-files")
    empty = dags.dags["arch-reports"].test()
    assert _states(empty)[check] == "failed" and str(empty.state) == "failed"
    assert not (run_workspace("arch-reports", empty.run_id) / "after.txt").exists()
    corrupt = dags.dags["arch-reports"].test(run_conf={"KIND": "corrupt"})
    assert _states(corrupt)[check] == "success" and str(corrupt.state) == "success"
    assert (run_workspace("arch-reports", corrupt.run_id) / "after.txt").exists()

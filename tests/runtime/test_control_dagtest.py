"""Converted Jenkinsfiles with try/catch/finally, when, post, catchError and timeouts, run for real with dag.test():
four runs (~10 s each, the timeout one ~25 s), asserting on task states, the run's state and what the shell steps
wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.workspace import run_workspace

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

HANDLED = """pipeline {
  agent any
  stages {
    stage('A') { steps { script {
      try { sh 'echo a > "$WORKSPACE/a"; exit 3' } catch (err) { sh 'echo handled > "$WORKSPACE/handled"' }
    } } }
    stage('B') { steps { script {
      try { sh 'true' } catch (err) { sh 'echo never > "$WORKSPACE/never"' }
      finally { sh 'echo fin > "$WORKSPACE/fin"' }
    } } }
    stage('Skipped') {
      when { environment name: 'BRANCH_NAME', value: 'never-this' }
      steps { sh 'echo x > "$WORKSPACE/x"' }
      post { always { sh 'echo post > "$WORKSPACE/skipped_post"' } }
    }
    stage('C') { steps { sh 'echo later > "$WORKSPACE/later"' } }
  }
}
"""
UNHANDLED = """pipeline {
  agent any
  stages {
    stage('A') { steps { script { try { sh 'exit 3' } finally { sh 'echo tidy > "$WORKSPACE/tidy"' } } } }
    stage('B') { steps { sh 'echo later > "$WORKSPACE/later"' } }
  }
}
"""
# The stage's 20 s run from its clock task; `one` (4 s) starts after two more tasks, `two` (18 s) after three. Each
# alone fits in 20 s; together they take at least 22 s, so `two` is stopped at least 2 s before it could end, whatever
# Airflow's overhead. `two` must also start within the 20 s: dag.test() on Airflow 3.2 builds an in-process execution
# API for each task, ~2-3.5 s on a busy machine, before the task starts (3.3 does not): room for over 5 s a task.
LIMITED = """pipeline {
  agent any
  stages {
    stage('Slow') {
      options { timeout(time: 20, unit: 'SECONDS') }
      steps { catchError(buildResult: 'FAILURE') {
        sh 'sleep 4; echo one > "$WORKSPACE/one"'
        sh 'touch "$WORKSPACE/two.started"; sleep 18; echo two > "$WORKSPACE/two"'
      } }
    }
    stage('After') { steps { sh 'echo after > "$WORKSPACE/after"' } }
  }
}
"""

# post blocks written out of Jenkins' order; `always` fails, which makes the build FAILURE for the blocks after it
POST_FAILS = """pipeline {
  agent any
  stages { stage('A') { steps { sh 'echo a > "$WORKSPACE/a"' } } }
  post {
    success { sh 'echo success > "$WORKSPACE/success"' }
    failure { sh 'echo failure > "$WORKSPACE/failure"' }
    always { sh 'echo always > "$WORKSPACE/always"; exit 4' }
  }
}
"""


def _publish(tmp_path: Path, store: Path, name: str, text: str, **extra: Any) -> model.PipelineSpec:
    from jenkins2flow.convert import convert_job
    from jenkins2flow.sources import iter_jobs

    path = tmp_path / f"{name}.Jenkinsfile"
    path.write_text(text)
    [job] = list(iter_jobs(str(path)))
    conv = convert_job(job)
    assert conv.pipeline is not None
    spec = conv.pipeline.model_copy(update=extra)
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", name, spec)])
    return spec


def _by_command(spec: model.PipelineSpec, text: str) -> str:
    """The id of the task whose shell command contains `text` (the converted ids are the stage names)."""
    return next(t.id for t in spec.tasks if text in t.uses.name)


@pytest.fixture
def bag(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    specs = {"handled": _publish(tmp_path, store, "ctl-handled", HANDLED, asset_events=["success"]),
             "unhandled": _publish(tmp_path, store, "ctl-unhandled", UNHANDLED),
             "limited": _publish(tmp_path, store, "ctl-limited", LIMITED),
             "post": _publish(tmp_path, store, "ctl-post", POST_FAILS)}
    dags = DagBag(dag_folder=str(configured_dags_folder))
    assert dags.import_errors == {}
    return dags, specs


def _states(run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def test_a_handled_failure_lets_later_stages_run_and_the_run_succeed(bag: Any) -> None:
    dags, specs = bag
    run = dags.dags["ctl-handled"].test()
    states, ws = _states(run), run_workspace("ctl-handled", run.run_id)
    assert states["a"] == "failed" and (ws / "a").exists()  # the try body failed...
    assert states["a_catch"] == "success" and (ws / "handled").read_text() == "handled\n"  # ...the catch ran
    assert states["a_end"] == "success"  # ...and handled it
    assert states["b_catch"] == "skipped" and not (ws / "never").exists()  # body ok: no catch
    assert states["b_finally"] == "success" and (ws / "fin").exists()
    # a stage skipped by `when` runs no post block (Jenkins does not enter it), and the stages after it still run
    assert states["skipped_gate"] == "skipped" and states["skipped_post_always_gate"] == "skipped"
    assert not (ws / "x").exists() and not (ws / "skipped_post").exists()
    assert states[_by_command(specs["handled"], "later")] == "success" and (ws / "later").exists()
    assert states["jenkins2flow_succeeded"] == "success"  # the asset marker: the run's leaves succeeded
    assert str(run.state) == "success"


def test_an_unhandled_failure_runs_finally_then_fails_the_run(bag: Any) -> None:
    dags, specs = bag
    run = dags.dags["ctl-unhandled"].test()
    states, ws = _states(run), run_workspace("ctl-unhandled", run.run_id)
    assert states["a"] == "failed"
    assert states["a_finally"] == "success" and (ws / "tidy").read_text() == "tidy\n"
    assert states["a_end"] == "failed"  # the failure goes on after finally
    assert states[_by_command(specs["unhandled"], "later")] == "upstream_failed" and not (ws / "later").exists()
    assert str(run.state) == "failed"


def test_post_blocks_run_in_jenkins_order_and_a_failing_block_makes_the_result_failure(bag: Any) -> None:
    dags, _ = bag
    run = dags.dags["ctl-post"].test()
    states, ws = _states(run), run_workspace("ctl-post", run.run_id)
    assert states["a"] == "success" and (ws / "always").exists()
    assert (ws / "failure").read_text() == "failure\n"  # always failed first: the build is FAILURE...
    assert states["post_post_success_gate"] == "skipped" and not (ws / "success").exists()  # ...not success
    assert str(run.state) == "failed"


def test_a_stage_timeout_is_shared_by_its_tasks_and_catch_error_lets_the_build_go_on(bag: Any, capfd: Any) -> None:
    dags, specs = bag
    spec: model.PipelineSpec = specs["limited"]
    one, two = _by_command(spec, "sleep-4-echo-one"), _by_command(spec, "touch-workspace-two.started")
    assert [d.seconds for d in next(t for t in spec.tasks if t.id == two).deadlines] == [20]
    run = dags.dags["ctl-limited"].test()
    states, ws = _states(run), run_workspace("ctl-limited", run.run_id)
    # each task alone fits in the stage's 20 s; together they do not: the second one is stopped while it runs
    assert states[one] == "success" and (ws / "one").exists()
    assert states[two] == "failed" and (ws / "two.started").exists() and not (ws / "two").exists()
    logs = capfd.readouterr().out  # dag.test() prints the task logs
    assert f"DeadlineExceeded: stage timeout of 20 s exceeded (stage 'Slow'): task '{two}' was stopped" in logs
    assert states[_by_command(spec, "after")] == "success" and (ws / "after").exists()  # catchError: goes on
    assert states["build_result"] == "failed"  # ...and the build ends FAILURE, as in Jenkins
    assert str(run.state) == "failed"


def test_a_pipeline_timeout_is_the_runs_limit_not_each_tasks(tmp_path: Path) -> None:
    from jenkins2flow_runtime.airflow import build_dag

    from jenkins2flow.convert import convert_job
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
    from tests.convert.helpers import own_provided

    text = ("pipeline { agent any\n options { timeout(time: 90, unit: 'MINUTES') }\n"
            " stages { stage('A') { steps { sh 'a'; sh 'b' } } } }")
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/limited"), own_provided())
    assert conv.pipeline is not None and conv.status == "converted"
    dag = build_dag(model.make("pipeline", "limited", conv.pipeline), conv.tasks)
    assert dag.dagrun_timeout is not None and dag.dagrun_timeout.total_seconds() == 5400
    assert all(t.execution_timeout is None for t in dag.tasks)
    # a job still run by Jenkins as a whole enforces its timeout there: the run that triggers it waits for it
    conv = convert_job(parse_jenkinsfile(text.replace("sh 'b'", "mystery 'b'"), "Jenkinsfile", "team/limited"))
    assert conv.pipeline is not None and conv.status == "jenkins_only"
    assert conv.pipeline.dagrun_timeout_seconds == 5400  # kept for when the draft is promoted
    assert build_dag(model.make("pipeline", "limited", conv.pipeline), conv.tasks).dagrun_timeout is None

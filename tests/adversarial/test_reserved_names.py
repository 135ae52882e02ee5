"""A stage named like one of the runtime's own tasks (`jenkins2flow_succeeded`) converts and loads like any other:
its task gets an id of its own, and the DAG builds with both it and the runtime's marker tasks."""

from __future__ import annotations

from jenkins2flow_runtime import model

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from tests.convert.helpers import own_provided

SCRIPT = """pipeline {
  agent any
  stages {
    stage('jenkins2flow_succeeded') { steps { sh 'echo a' } }
    stage('Jenkins2flow_ended') { steps { sh 'echo b' } }
  }
}
"""


def test_a_stage_named_like_a_runtime_task_keeps_its_pipeline_valid() -> None:
    from jenkins2flow_runtime.airflow import build_dag

    conv = convert_job(parse_jenkinsfile(SCRIPT, "Jenkinsfile", "team/reserved"), own_provided())

    assert conv.status == "converted", conv.reasons
    assert conv.pipeline is not None
    ids = [t.id for t in conv.pipeline.tasks]
    assert ids == ["stage_jenkins2flow_succeeded", "stage_jenkins2flow_ended"]
    assert not any(model.is_reserved_task_id(i) for i in ids)

    # a downstream pipeline waits for this one: the runtime adds its marker tasks, under the reserved ids
    spec = conv.pipeline.model_copy(update={"asset_events": ["success", "done"]})
    dag = build_dag(model.make("pipeline", conv.pipeline_name, spec), conv.tasks)
    assert dag.dag_id == conv.pipeline_name
    assert sorted(dag.task_ids) == sorted([*ids, *model.RESERVED_TASK_IDS])
    for marker in model.RESERVED_TASK_IDS:  # each marker after the stages' last task, not in place of a stage task
        assert dag.get_task(marker).upstream_task_ids == {"stage_jenkins2flow_ended"}
    assert dag.get_task("stage_jenkins2flow_ended").upstream_task_ids == {"stage_jenkins2flow_succeeded"}
    assert dag.get_task("stage_jenkins2flow_succeeded").spec["command"] == "echo a"  # type: ignore[attr-defined]

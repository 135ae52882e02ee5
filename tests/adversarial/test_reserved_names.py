"""A stage named like one of the runtime's own tasks (`jenkins2flow_succeeded`) converts and loads like any other."""

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
    conv = convert_job(parse_jenkinsfile(SCRIPT, "Jenkinsfile", "team/reserved"), own_provided())

    assert conv.status == "converted", conv.reasons
    assert conv.pipeline is not None
    ids = [t.id for t in conv.pipeline.tasks]
    assert ids == ["stage_jenkins2flow_succeeded", "stage_jenkins2flow_ended"]
    assert not any(model.is_reserved_task_id(i) for i in ids)

"""A jenkins_only pipeline runs for real: dag.test() runs ONE task, which triggers the whole Jenkins job on a fake
Jenkins (tests/helpers/fake_jenkins.py) with every parameter of the run under its Jenkins name, and waits for the
result; the converted draft is in the pipeline document but never in the DAG. Without Airflow: a failed Jenkins build
fails the task, and a draft task that was not converted fails loudly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from catalog_samples import loaded_conversion
from jenkins2flow_runtime.fallback import FallbackError, run_jenkins_job

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.helpers.fake_jenkins import FakeBuild, FakeJenkins, FakeJob

GOLDEN = Path(__file__).resolve().parents[1] / "convert" / "golden"


@pytest.fixture
def jenkins(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJenkins]:
    fake = FakeJenkins(jobs={"team/export": FakeJob()}, user="robot", token="t0ken")
    fake.start()
    monkeypatch.setenv("JENKINS_URL", fake.url)
    monkeypatch.setenv("JENKINS_USER", "robot")
    monkeypatch.setenv("JENKINS_TOKEN", "t0ken")
    yield fake
    fake.stop()


@pytest.mark.airflow
@pytest.mark.slow
def test_a_jenkins_only_pipeline_runs_one_task_that_triggers_the_job_with_the_run_parameters(
    airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    jenkins: FakeJenkins,
) -> None:

    job = parse_config_xml((GOLDEN / "fallback_params_renamed.config.xml").read_bytes(), "config.xml", "team/export")
    conv = convert_job(job)
    assert conv.status == "jenkins_only" and conv.pipeline is not None and len(conv.pipeline.draft_tasks) == 2
    dag = loaded_conversion(conv, configured_dags_folder, tmp_path, monkeypatch)
    assert sorted(dag.task_ids) == ["run_jenkins_job"]  # the draft is not in the DAG

    run = dag.test(run_conf={"p_1x": "from-the-run", "TOKEN": "s3cret"})

    assert {ti.task_id: str(ti.state) for ti in run.get_task_instances()} == {"run_jenkins_job": "success"}
    [build] = jenkins.jobs["team/export"].builds.values()
    # every parameter under its Jenkins name: the renamed one mapped back, the default of the other, the password
    # given by the run (never a copied default)
    assert build.parameters == {"1x": "from-the-run", "DRY_RUN": "true", "TOKEN": "s3cret"}
    triggers = [p for m, p in jenkins.requests if m == "POST" and "/buildWithParameters" in p]
    assert len(triggers) == 1 and triggers[0].startswith("/job/team/job/export/buildWithParameters")


def test_a_failed_jenkins_build_fails_the_task(jenkins: FakeJenkins) -> None:
    jenkins.on_build = lambda name, params: FakeBuild(0, result="FAILURE", parameters=params)
    with pytest.raises(FallbackError, match=r"Jenkins build 'team/export' #1 ended FAILURE"):
        run_jenkins_job(jenkins_job="team/export", jenkins_parameters={"1x": "p_1x"}, p_1x="a")
    assert jenkins.jobs["team/export"].builds[1].parameters == {"1x": "a"}

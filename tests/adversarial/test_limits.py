"""Limits with clear errors: more steps in one job than `MAX_STEPS` (Jenkinsfile or config.xml, loose or under a
JENKINS_HOME) fails that job alone, without its content; more tasks in one pipeline than `MAX_TASKS` is a field
error, raised before the tasks are read, and a job that converts to more is a `too-many-tasks` error of that job
alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.model import ModelError, make
from jenkins2flow_runtime.model.specs import MAX_TASKS
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.main import cli
from jenkins2flow.convert.job import convert_job
from jenkins2flow.sources import iter_jobs
from jenkins2flow.sources.limits import MAX_STEPS, count_steps

SHELL = "<hudson.tasks.Shell><command>echo {i}</command></hudson.tasks.Shell>"


def _config(builders: int) -> str:
    return "<project><builders>" + "".join(SHELL.format(i=i) for i in range(builders)) + "</builders></project>"


def test_a_job_above_the_step_limit_fails_alone(tmp_path: Path) -> None:
    steps = "\n".join(f"        sh 'echo {i}'" for i in range(MAX_STEPS + 1))
    (tmp_path / "big.Jenkinsfile").write_text(f"node {{\n    stage('s') {{\n{steps}\n    }}\n}}\n")
    (tmp_path / "wide.xml").write_text(_config(MAX_STEPS + 1))
    (tmp_path / "fits.xml").write_text(_config(MAX_STEPS))
    jobs = {j.full_name: j for j in iter_jobs([str(tmp_path)])}
    for name in ("big", "wide"):
        (diag,) = [d for d in jobs[name].diagnostics if d.level == "error"]
        assert diag.code == "too-many-steps" and f"more than {MAX_STEPS:,} steps" in diag.message
        assert jobs[name].stages == () and jobs[name].builders == () and jobs[name].steps == ()
        assert str(diag.span).startswith(str(tmp_path / name))
    assert jobs["big"].kind == "pipeline" and jobs["wide"].kind == "freestyle"
    assert len(jobs["fits"].builders) == MAX_STEPS and not jobs["fits"].diagnostics


def test_the_step_limit_holds_under_a_jenkins_home(tmp_path: Path) -> None:
    job = tmp_path / "jobs" / "wide"
    job.mkdir(parents=True)
    (job / "config.xml").write_text(_config(MAX_STEPS + 5))
    (wide,) = iter_jobs(str(tmp_path))
    assert wide.full_name == "wide" and wide.diagnostics[0].code == "too-many-steps"


def test_steps_are_counted_through_nesting_and_counting_stops_past_the_limit(tmp_path: Path) -> None:
    body = "if (a) { sh 'x' } else { retry(2) { sh 'y'; sh 'z' } }\n"
    (tmp_path / "nested.Jenkinsfile").write_text("node { stage('a') { " + body * 3 + "} }\n")
    (job,) = iter_jobs([str(tmp_path / "nested.Jenkinsfile")])
    assert count_steps(job) == 2 + 3 * 5  # node, stage, then 3 x (if, sh, retry, sh, sh)
    assert count_steps(job, stop_after=4) == 5
    declarative = ("pipeline { agent any\n stages { stage('a') { steps { " + body * 2 + " } } }\n"
                   " post { always { echo 'z' } } }")
    (tmp_path / "decl.Jenkinsfile").write_text(declarative)
    (job,) = iter_jobs([str(tmp_path / "decl.Jenkinsfile")])
    assert count_steps(job) == 2 * 5 + 1


def test_a_pipeline_above_the_task_limit_is_a_field_error() -> None:
    uses = {"kind": "concrete_task", "name": "t", "version": 1}
    fits = {"tasks": [{"id": f"t{i}", "uses": uses} for i in range(MAX_TASKS)]}
    assert len(make("pipeline", "fits", fits).spec.tasks) == MAX_TASKS
    over = {"tasks": [{"id": f"t{i}", "uses": uses} for i in range(MAX_TASKS + 1)]}
    with pytest.raises(ModelError) as info:
        make("pipeline", "over", over)
    assert info.value.issues == [
        ("spec.tasks", f"a pipeline holds at most {MAX_TASKS:,} tasks; this one has {MAX_TASKS + 1:,}: split the job "
                  "into several pipelines")]


def test_a_jenkinsfile_above_the_task_limit_fails_alone_in_convert(tmp_path: Path) -> None:
    """Under the step limit, above the task limit: a per-job error with the limit, the count and the file (not an
    internal error quoting pydantic); the other job of the batch converts, nothing of the big one is saved."""
    count = MAX_TASKS + 200
    stages = "\n".join(f"    stage('s{i}') {{ steps {{ sh 'echo {i}' }} }}" for i in range(count))
    big = tmp_path / "big.Jenkinsfile"
    big.write_text(f"pipeline {{\n  agent any\n  stages {{\n{stages}\n  }}\n}}\n")
    small = tmp_path / "small.Jenkinsfile"
    small.write_text("pipeline {\n  agent any\n  stages { stage('a') { steps { sh 'echo a' } } }\n}\n")
    store = tmp_path / "store.db"
    result = CliRunner().invoke(cli, ["convert", str(big), str(small), "--store", str(store)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output + result.stderr and "pydantic" not in result.output + result.stderr
    assert (f"{big}:1:1: The job converts to {count:,} tasks, more than {MAX_TASKS:,}, the limit for one pipeline; "
            "it was not converted. Split it into several jobs.") in result.stderr.splitlines()
    with open_store(str(store)) as s:
        assert sorted((d.kind, d.name) for d in s.list() if d.kind == "pipeline") == [("pipeline", "small")]
        assert len(s.list()) == 2  # the small job's pipeline and its one task: none of the big job's tasks

    (conv,) = [convert_job(job) for job in iter_jobs([str(big)])]
    assert conv.status == "failed" and conv.pipeline is None and [d.code for d in conv.errors] == ["too-many-tasks"]

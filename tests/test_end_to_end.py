"""The walking skeleton: a sample Jenkinsfile parsed, converted, stored, loaded by Airflow and run for real."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from jenkins2flow_runtime.store import open_store

from jenkins2flow.airflow_env import airflow_env, write_dag_file
from jenkins2flow.cli.demo import run_pipeline
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.sources.files import read_file as load_path
from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "jenkinsfiles" / "daily_sales.Jenkinsfile"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """Convert the sample into a fresh SQLite store and run it once with dag.test() in a real Airflow process."""
    state = tmp_path_factory.mktemp("state")
    store_path = state / "store.db"
    job = load_path(SAMPLE)
    conv = convert_job(job)
    with open_store(str(store_path), create=True) as store:
        save_conversion(store, conv)
    env = airflow_env(state, str(store_path))
    env["JENKINS2FLOW_WORKSPACE"] = str(state / "workspaces")
    env["AIRFLOW_HOME"] = str(state / "airflow")
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(state / "dags")
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{state / 'airflow' / 'airflow.db'}"
    write_dag_file(state / "dags")
    return run_pipeline("daily_sales", env, {"RUN_DATE": "2026-03-01"}), state


def test_sample_parses_into_three_stages_with_shell_steps() -> None:
    job = load_path(SAMPLE)
    assert job.diagnostics == ()
    assert [s.name for s in job.stages] == ["Extract", "Transform", "Load"]
    assert all(s.steps and s.steps[0].name == "sh" for s in job.stages)
    assert [p.name for p in job.parameters] == ["RUN_DATE"]
    assert [(t.kind, t.spec) for t in job.triggers] == [("cron", "H 2 * * *")]
    assert [b.condition for b in job.post] == ["success", "failure"]


def test_dag_loads_with_no_import_errors(demo_run: tuple[dict, Path]) -> None:
    summary, _ = demo_run
    assert summary["import_errors"] == {}


def test_dag_run_succeeds_and_every_task_succeeds(demo_run: tuple[dict, Path]) -> None:
    summary, _ = demo_run
    assert summary["state"] == "success", summary.get("log", "")[-3000:]
    assert [(t["task_id"], t["state"]) for t in summary["tasks"]] == [
        ("extract", "success"),
        ("transform", "success"),
        ("load", "success"),
        # post { failure { mail } }: Jenkins fails the build when the mail cannot be sent, so it is a task of its
        # block (docs/post-conditions.md), skipped with its gate when nothing failed
        ("post_post_failure_gate", "skipped"),
        ("post_post_failure_notify", "skipped"),
        # post { success { archiveArtifacts } }: the block's gate, the check that the pattern matched, the end
        ("post_post_success_gate", "success"),
        ("post_post_success", "success"),
        ("post_end", "success"),
    ]


def test_shell_steps_really_ran(demo_run: tuple[dict, Path]) -> None:
    summary, state = demo_run
    workspace = Path(summary["workspace"])
    assert workspace.is_relative_to(state / "workspaces")
    with open(workspace / "out" / "orders.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 4
    # The run conf reached the shell as $RUN_DATE, and awk's totals are right.
    loaded = workspace / "out" / "warehouse" / "sales_2026-03-01.csv"
    with loaded.open(newline="") as f:
        rows = {r["region"]: r["total"] for r in csv.DictReader(f)}
    assert rows == {"east": "310.00", "north": "162.75", "south": "80.00"}
    assert "extracted 4 orders for 2026-03-01" in summary["log"]


def test_sample_converts_to_template_three_shell_tasks_and_a_pipeline(tmp_path: Path) -> None:
    conv = convert_job(load_path(SAMPLE, "daily_sales"))  # its Jenkins full name: the seed of H in its schedule
    # given alone, the Jenkinsfile's own repository is unknown: its implicit checkout is the one gap (flagged)
    assert conv.status == "partial", [str(d) for d in conv.diagnostics]
    assert [e.element for e in conv.approximations] == ["declarative checkout"]
    assert [t.spec.parameters[0].name for t in conv.templates] == ["RUN_DATE"]
    # three shell steps; the failure block's gate and mail, the success block's gate and archive check, the end
    assert [t.spec.type for t in conv.tasks] == ["shell", "shell", "shell", "python", "python", "python", "python"]
    assert "out/orders.csv" in conv.tasks[0].spec.command
    assert conv.pipeline is not None
    assert [t.id for t in conv.pipeline.tasks] == ["extract", "transform", "load", "post_post_failure_gate",
                                                   "post_post_failure_notify", "post_post_success_gate",
                                                   "post_post_success", "post_end"]
    assert conv.pipeline.schedule is not None and conv.pipeline.schedule.jenkins_spec == "H 2 * * *"
    minute, hour = conv.pipeline.schedule.cron[0].split()[:2]
    assert hour == "2" and 0 <= int(minute) <= 59
    assert conv.pipeline.notifications == []  # the failure mail is a task of its block, failing when not sent
    notify = conv.pipeline.tasks[4].bindings
    assert (notify["notification"]["to"], notify["fail_on_error"]) == (["data-team@example.com"], True)
    with open_store(str(tmp_path / "store.db"), create=True) as store:
        first = save_conversion(store, conv)
        again = save_conversion(store, convert_job(load_path(SAMPLE, "daily_sales")))
        assert (first.version, again.version) == (1, 1)  # converting twice makes no new version
        stored = store.get("pipeline", "daily_sales", "published")
        assert stored.spec == first.spec
        assert [t.uses.version for t in stored.spec.tasks] == [1] * 8

"""The pools `jenkins2flow airflow` creates before its scheduler starts: the missing pools of known size (a Jenkins
lock's, one slot) the published pipelines take; an existing pool is never changed; one of unknown size (an agent
rule's) is left to the user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from jenkins2flow.airflow_pools import PoolPlan, ensure_pools, known_slots, plan_pools, pools_taken
from jenkins2flow.cli.main import cli

JOBS = {
    "deploy": "pipeline { agent any\n stages { stage('A') { steps { lock('db') { sh 'deploy' } } } } }\n",
    "other": "pipeline { agent any\n stages { stage('A') { steps { lock('other') { sh 'y' } } } } }\n",
    "gpu": "pipeline { agent { label 'gpu' }\n stages { stage('T') { steps { sh 'train' } } } }\n",
    "drafted": "pipeline { agent any\n stages { stage('A') { steps { lock('drafted') { sh 'z' }\n shh 'typo' } } } }\n",
}


def test_only_missing_pools_of_known_size_are_created_the_others_are_for_the_user() -> None:
    taken = {"lock_db": ["deploy"], "lock_other": ["other"], "gpu_boxes": ["gpu"], "lock_mine": ["x"]}
    plan = plan_pools(taken, {"lock_db": 1, "lock_other": 1, "lock_gone": 1}, {"lock_other", "default_pool"})
    assert plan.create == {"lock_db": 1} and plan.unknown == ["gpu_boxes", "lock_mine"]
    lines = plan.lines()
    assert lines[0] == "Created Airflow pool 'lock_db' with 1 slot."
    assert "Create Airflow pool 'gpu_boxes'" in lines[1] and lines[1].endswith(
        "airflow pools set gpu_boxes SLOTS 'Jenkins agent label (jenkins2flow)'")
    assert plan_pools({}, {"lock_db": 1}, set()) == PoolPlan()


@pytest.fixture()
def catalog(tmp_path: Path) -> str:
    """A catalog of the published pipelines of JOBS (gpu's label mapped to pool gpu_boxes), with its report."""
    (tmp_path / "jobs").mkdir()
    for name, text in JOBS.items():
        (tmp_path / "jobs" / f"{name}.Jenkinsfile").write_text(text, encoding="utf-8")
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "estate.yaml").write_text("agents:\n  labels:\n    gpu: {pool: gpu_boxes}\n",
                                                   encoding="utf-8")
    store = str(tmp_path / "store.db")
    done = CliRunner().invoke(cli, ["convert", str(tmp_path / "jobs"), "--store", store, "--mappings",
                                    str(tmp_path / "maps")])
    assert done.exit_code == 0, done.output
    return store


def test_the_pools_taken_are_those_of_published_tasks_and_their_sizes_those_of_the_report(catalog: str) -> None:
    # drafted runs on Jenkins (shh): its lock is in its draft, which no scheduler runs
    assert pools_taken(catalog) == {"lock_db": ["deploy"], "lock_other": ["other"], "gpu_boxes": ["gpu"]}
    assert known_slots(catalog) == {"lock_db": 1, "lock_other": 1}


@pytest.mark.airflow
@pytest.mark.slow
def test_the_missing_lock_pools_are_imported_into_airflow_and_an_existing_pool_is_kept(catalog: str,
                                                                                        tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "JENKINS2FLOW"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"})
    airflow = [sys.executable, "-m", "airflow"]
    for command in (["db", "migrate"], ["pools", "set", "lock_other", "5", "ours"]):
        done = subprocess.run([*airflow, *command], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    plan = ensure_pools(catalog, airflow, env, home)
    assert plan.create == {"lock_db": 1} and plan.unknown == ["gpu_boxes"]
    listed = subprocess.run([*airflow, "pools", "list", "-o", "json"], env=env, capture_output=True, text=True,
                            timeout=300)
    pools = {p["pool"]: (int(p["slots"]), p["description"]) for p in json.loads(listed.stdout)}
    assert pools["lock_db"] == (1, "Jenkins lock: one task at a time (jenkins2flow)")
    assert pools["lock_other"] == (5, "ours") and "gpu_boxes" not in pools
    again = ensure_pools(catalog, airflow, env, home)
    assert again.create == {} and again.unknown == ["gpu_boxes"]

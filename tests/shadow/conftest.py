"""A converted daily_sales in a fresh store, and an Airflow home of its own, for the end-to-end shadow tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from jenkins2flow_runtime.store import open_store

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.sources.files import read_file as load_path
from tests.conftest import SAMPLES

JENKINS_HOME = SAMPLES / "jenkins_home"
OUTPUTS = SAMPLES / "shadow" / "daily_sales.yaml"


@dataclass
class ShadowEnv:
    state: Path
    store: str
    workspaces: Path


@pytest.fixture(scope="module")
def shadow_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShadowEnv]:
    state = tmp_path_factory.mktemp("shadow-state")
    store = str(state / "store.db")
    with open_store(store, create=True) as st:
        save_conversion(st, convert_job(load_path(SAMPLES / "jenkinsfiles" / "daily_sales.Jenkinsfile")))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(state / "airflow"))
        mp.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(state / "dags"))
        mp.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{state / 'airflow' / 'airflow.db'}")
        mp.setenv("JENKINS2FLOW_WORKSPACE", str(state / "workspaces"))
        mp.setenv("JENKINS2FLOW_STORE", store)
        yield ShadowEnv(state, store, state / "workspaces")

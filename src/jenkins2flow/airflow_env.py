"""The project-local Airflow environment the toolkit starts Airflow processes with (never importing Airflow)."""

from __future__ import annotations

import os
from pathlib import Path

from jenkins2flow_runtime.dagfile import LOADER_FILE
from jenkins2flow_runtime.dagfile import LOADER_TEXT as DAG_FILE_TEXT


def airflow_env(state_dir: Path, store_uri: str) -> dict[str, str]:
    """os.environ plus the Airflow settings the project uses, unless already set by the caller. Airflow's parsing
    context (`_AIRFLOW_PARSING_CONTEXT_*`, set inside a running task) is left out: in a process started from a task it
    would make the loader build only that task's DAG."""
    state = state_dir.resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("_AIRFLOW_PARSING_CONTEXT_")}
    defaults = {
        "AIRFLOW_HOME": str(state / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(state / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{state / 'airflow' / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        "JENKINS2FLOW_WORKSPACE": str(state / "workspaces"),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env["JENKINS2FLOW_STORE"] = store_uri
    return env


def write_dag_file(dags_folder: Path) -> Path:
    """The one-line DAG file that makes Airflow build every published pipeline."""
    dags_folder.mkdir(parents=True, exist_ok=True)
    path = dags_folder / LOADER_FILE
    if not path.exists() or path.read_text(encoding="utf-8") != DAG_FILE_TEXT:
        path.write_text(DAG_FILE_TEXT, encoding="utf-8")
    return path

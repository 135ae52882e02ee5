"""The environment that points Airflow and the runtime at a test-local folder (SQLite metadata DB, dags folder,
store, workspaces, snapshot). Set it before anything imports airflow: Airflow reads its configuration on import."""

from __future__ import annotations

from pathlib import Path


def airflow_env(root: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'airflow' / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        "JENKINS2FLOW_STORE": str(root / "store.db"),
        "JENKINS2FLOW_WORKSPACE": str(root / "workspaces"),
        "JENKINS2FLOW_SNAPSHOT": str(root / "snapshot.json"),
    }

"""A local Airflow 3 for the migrated pipelines: api-server, scheduler, dag-processor and triggerer on 127.0.0.1,
with the project's settings (its own AIRFLOW_HOME and SQLite database, the loader DAG file over the catalog store).

Started as child processes of the `airflow` command of this Python, never imported, so the toolkit still never
imports Airflow. `jenkins2flow airflow` (and `make airflow`) runs it until Ctrl-C; the REST tests use it too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from jenkins2flow.airflow_env import airflow_env, write_dag_file
from jenkins2flow.airflow_pools import PoolPlan, ensure_pools
from jenkins2flow.errors import Jenkins2flowError

PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
USER = "admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalAirflow:
    url: str
    env: dict[str, str]
    state_dir: Path
    user: str = USER
    password: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pools: PoolPlan = field(default_factory=PoolPlan)  # the pools created before the scheduler started, and missing

    def token(self) -> str:
        """An API token for the admin user (POST /auth/token)."""
        answer = requests.post(f"{self.url}/auth/token", json={"username": self.user, "password": self.password},
                               timeout=10)
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def local_env(state_dir: Path, store_uri: str, port: int) -> dict[str, str]:
    """The project's Airflow settings for processes serving on 127.0.0.1:`port` (see airflow_env for the rest)."""
    state = state_dir.resolve()
    base = f"http://127.0.0.1:{port}"
    env = airflow_env(state, store_uri)
    env.update({
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        # SQLite breaks under Airflow's default parallelism of 32 ("database is locked"): reference/airflow.md
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(state / "airflow" / "passwords.json"),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "JENKINS2FLOW_STATE_DIR": str(state),
    })
    return env


def _password(env: dict[str, str]) -> str:
    """The admin password: kept in the passwords file, made once (Airflow's simple auth manager reads it)."""
    path = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    if path.is_file():
        return str(json.loads(path.read_text(encoding="utf-8")).get(USER, ""))
    import secrets

    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({USER: password}), encoding="utf-8")
    path.chmod(0o600)
    return password


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@contextmanager
def local_airflow(state_dir: Path, store_uri: str, port: int = 0, *, timeout: float = 180,
                  extra_env: dict[str, str] | None = None) -> Iterator[LocalAirflow]:
    """Migrate Airflow's database, create the missing pools of known size the published pipelines take
    (airflow_pools), write the loader DAG file, start the processes, wait until the API is healthy; stop them all
    (their whole process groups) on exit. Logs go to STATE/airflow/logs/<process>.log."""
    env = local_env(state_dir, store_uri, port or free_port())
    env.update(extra_env or {})
    base = env["AIRFLOW__API__BASE_URL"]
    home = Path(env["AIRFLOW_HOME"])
    (home / "logs").mkdir(parents=True, exist_ok=True)
    write_dag_file(Path(env["AIRFLOW__CORE__DAGS_FOLDER"]))
    airflow = [sys.executable, "-m", "airflow"]
    migrate = subprocess.run([*airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    if migrate.returncode != 0:
        tail = " ".join((migrate.stderr or migrate.stdout).split()[-40:])
        raise Jenkins2flowError(f"Airflow could not set up its database under {home}: {tail}")
    running = LocalAirflow(url=base, env=env, state_dir=state_dir, password=_password(env),
                           pools=ensure_pools(store_uri, airflow, env, home))
    logs: list[IO[bytes]] = []
    try:
        for name in PROCESSES:
            log = open(home / "logs" / f"{name}.log", "wb")  # noqa: SIM115 - closed in finally
            logs.append(log)
            running.procs.append(subprocess.Popen([*airflow, name], env=env, stdout=log, stderr=subprocess.STDOUT,
                                                  start_new_session=True))
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            dead = [name for name, p in zip(PROCESSES, running.procs, strict=True) if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                what = f"{', '.join(dead)} ended" if dead else f"no healthy API after {timeout:.0f} s"
                raise Jenkins2flowError(f"Airflow did not start ({what}); see the logs in {home / 'logs'}.")
            time.sleep(1)
        yield running
    finally:
        _stop(running.procs)
        for opened in logs:
            opened.close()

"""The candidate side of a shadow run: the migrated pipeline run in Airflow, in shadow mode.

Shadow mode: the run gets `JENKINS2FLOW_SHADOW=1` (in its environment for local runs, and in the run conf, which
the runtime passes to shell tasks as environment) and a separate workspace root, `<workspace root>/shadow`, so
files the pipeline writes never land where production runs keep theirs.

- `LocalAirflow` runs the DAG with `dag.test()` in a child process (`jenkins2flow_runtime.airflow.testrun`).
- `RestAirflow` triggers a DAG run through the Airflow 3 REST API v2 and polls it to the end.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jenkins2flow_runtime.workspace import run_workspace

from jenkins2flow.shadow.compare.status import status_of
from jenkins2flow.shadow.errors import CannotRun
from jenkins2flow.shadow.outcome import SideRun

SUMMARY_MARK = "JENKINS2FLOW-SUMMARY "
_DATABASE_ERROR = re.compile(r"OperationalError|ProgrammingError|database|no such table", re.I)
SHADOW_FLAG = "JENKINS2FLOW_SHADOW"
def shadow_conf(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, SHADOW_FLAG: "1"}


def run_testrun(dag_id: str, env: dict[str, str], conf: dict[str, Any], timeout: float | None = None
                ) -> tuple[dict[str, Any] | None, str, int]:
    """Run one DAG with dag.test() in a child Airflow process (jenkins2flow_runtime.airflow.testrun):
    (its JSON summary or None, its whole output, its exit code). Raises subprocess.TimeoutExpired and OSError."""
    argv = [sys.executable, "-m", "jenkins2flow_runtime.airflow.testrun", dag_id, "--conf", json.dumps(conf)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    summary = next((json.loads(line[len(SUMMARY_MARK):]) for line in proc.stdout.splitlines()
                    if line.startswith(SUMMARY_MARK)), None)
    return summary, proc.stdout + proc.stderr, proc.returncode


class LocalAirflow:
    """Run one DAG with dag.test() in a child process with the project's Airflow env, bounded by `timeout`."""

    def __init__(self, env: dict[str, str], *, timeout: float = 1800) -> None:
        self.env = dict(env)
        self.timeout = timeout

    def run(self, dag_id: str, params: dict[str, Any]) -> SideRun:
        env = {**self.env, SHADOW_FLAG: "1"}  # the runtime keeps shadow runs under <workspace root>/shadow
        started = time.time()
        try:
            summary, output, code = run_testrun(dag_id, env, shadow_conf(params), self.timeout)
        except subprocess.TimeoutExpired as exc:
            raise CannotRun(f"The Airflow run of {dag_id!r} did not finish within {self.timeout:g} s.") from exc
        except OSError as exc:
            raise CannotRun(f"Could not start Airflow for {dag_id!r}: {exc}") from exc
        if summary is None:
            last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "no output")
            raise CannotRun(f"The Airflow run of {dag_id!r} ended without a summary (exit {code}): {last}"
                            f"{self._database_hint(last)}")
        if summary.get("state") == "not run":
            error = str(summary.get("error") or "")
            raise CannotRun(f"Airflow could not run {dag_id!r}: {error} {summary.get('import_errors') or ''}".strip()
                            + self._database_hint(error))
        run_id = str(summary.get("run_id", ""))
        return SideRun(
            side="candidate", source="airflow-local", id=run_id, status=status_of(summary.get("state")),
            raw_status=str(summary.get("state")), url=str(summary.get("dags_folder", "")),
            stages=[{"name": t["task_id"], "status": status_of(t["state"])} for t in summary.get("tasks", [])],
            params=params, files_root=str(summary.get("workspace", "")), run_tokens=[run_id],
            started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            duration_s=round(time.time() - started, 3), log=output,
        )


    def _database_hint(self, error: str) -> str:
        """Where Airflow looked, when the failure is about its database (e.g. AIRFLOW_HOME set to another folder)."""
        if not _DATABASE_ERROR.search(error):
            return ""
        return (f" (AIRFLOW_HOME {self.env.get('AIRFLOW_HOME', '?')}, database "
                f"{self.env.get('AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', '?')}: it must open and be migrated; unset "
                "AIRFLOW_HOME and AIRFLOW__DATABASE__SQL_ALCHEMY_CONN to use the project's own)")


class RestAirflow:
    """Trigger and follow a DAG run through the Airflow 3 REST API v2.

    Auth: a bearer token from POST /auth/token with `username` / `password` (simple or FAB auth manager), or a
    given `token`, or none (simple auth manager with all admins). Every wait is bounded by `timeout` seconds.
    """

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None,
                 token: str | None = None, workspace_root: Path | None = None, timeout: float = 1800,
                 poll: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.username, self.password, self.token = username, password, token
        self.workspace_root = workspace_root
        self.timeout = timeout
        self.poll = poll
        self.sleep = sleep

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        try:
            resp = self.session.request(method, self.url + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            raise CannotRun(f"Airflow at {self.url} is not reachable ({method} {path}): {type(exc).__name__}: "
                            f"{exc}") from exc
        if resp.status_code in (401, 403):
            raise CannotRun(f"Airflow at {self.url} refused {method} {path} ({resp.status_code}); check the "
                            "username/password or token.")
        return resp

    def login(self) -> None:
        if self.token is None and self.username:
            resp = self._request("POST", "/auth/token", json={"username": self.username, "password": self.password})
            if resp.status_code not in (200, 201):
                raise CannotRun(f"Airflow at {self.url} gave no token for {self.username!r} ({resp.status_code}: "
                                f"{resp.text[:200]}).")
            self.token = resp.json()["access_token"]
        if self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"

    def _json(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        resp = self._request(method, path, **kwargs)
        if resp.status_code not in ok:
            raise CannotRun(f"Airflow at {self.url}: {method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def wait_for_dag(self, dag_id: str, deadline: float) -> dict[str, Any]:
        """The DAG's details, waiting while the dag-processor has not parsed it yet."""
        while True:
            resp = self._request("GET", f"/api/v2/dags/{quote(dag_id)}")
            if resp.status_code == 200:
                return dict(resp.json())
            if resp.status_code != 404 or time.monotonic() > deadline:
                raise CannotRun(f"Airflow at {self.url} has no DAG {dag_id!r} ({resp.status_code}); is the pipeline "
                                "published and the dag-processor running?")
            self.sleep(self.poll)

    def run(self, dag_id: str, params: dict[str, Any]) -> SideRun:
        deadline = time.monotonic() + self.timeout
        self.login()
        dag = self.wait_for_dag(dag_id, deadline)
        d = quote(dag_id)
        if dag.get("is_paused"):
            self._json("PATCH", f"/api/v2/dags/{d}", json={"is_paused": False})
        started = time.time()
        run = self._json("POST", f"/api/v2/dags/{d}/dagRuns", ok=(200, 201),
                         json={"logical_date": None, "conf": shadow_conf(params)})
        run_id = run["dag_run_id"]
        r = quote(run_id, safe="")
        while run.get("state") not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise CannotRun(f"DAG run {run_id!r} of {dag_id!r} was still {run.get('state')!r} after "
                                f"{self.timeout:g} s; gave up.")
            self.sleep(self.poll)
            run = self._json("GET", f"/api/v2/dags/{d}/dagRuns/{r}")
        tis = self._json("GET", f"/api/v2/dags/{d}/dagRuns/{r}/taskInstances").get("task_instances", [])
        tis.sort(key=lambda t: (t.get("start_date") or "9999", t.get("task_id", "")))
        logs = [self.task_log(d, r, t) for t in tis]
        root = self.workspace_root
        return SideRun(
            side="candidate", source="airflow-rest", id=run_id, status=status_of(run.get("state")),
            raw_status=str(run.get("state")), url=f"{self.url}/dags/{dag_id}/runs/{run_id}",
            stages=[{"name": t["task_id"], "status": status_of(t.get("state"))} for t in tis],
            params=params,
            files_root=str(run_workspace(dag_id, run_id, shadow=True, root=root)) if root else "",
            run_tokens=[run_id], started_at=str(run.get("start_date") or ""),
            duration_s=round(time.time() - started, 3), log="\n".join(logs),
        )

    def task_log(self, d: str, r: str, ti: dict[str, Any]) -> str:
        tries = max(int(ti.get("try_number") or 1), 1)
        task = quote(ti["task_id"])
        resp = self._request("GET", f"/api/v2/dags/{d}/dagRuns/{r}/taskInstances/{task}/logs/{tries}",
                             params={"full_content": "true"}, headers={"Accept": "application/json"})
        if resp.status_code != 200:
            return ""
        content = resp.json().get("content", "")
        if isinstance(content, list):
            return "\n".join(c.get("event", "") if isinstance(c, dict) else str(c) for c in content)
        return str(content)


def local_env(state_dir: Path, store: str) -> dict[str, str]:
    from jenkins2flow.airflow_env import airflow_env, write_dag_file

    env = airflow_env(state_dir, store)
    write_dag_file(Path(env["AIRFLOW__CORE__DAGS_FOLDER"]))
    return env

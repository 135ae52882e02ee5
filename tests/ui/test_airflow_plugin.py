"""The catalog UI inside a real Airflow api-server (3.1+ plugin `fastapi_apps`), started on 127.0.0.1 with the
simple auth manager: Airflow's own tokens and cookie authenticate, Airflow roles map to catalog roles, the
navigation link is registered, and an unauthenticated browser is sent to Airflow's login."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
USERS = "viewer1:viewer,user1:user,op1:op,admin1:admin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("airflow-ui")
    port = _free_port()
    (home / "dags").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "JENKINS2FLOW"))},
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": USERS,
        "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-jwt-secret-" + "x" * 32, "AIRFLOW__API__SECRET_KEY": "test-secret",
        "SCARF_ANALYTICS": "false", "DO_NOT_TRACK": "1",
        "JENKINS2FLOW_STORE": str(home / "store.db"), "JENKINS2FLOW_STATE_DIR": str(home / "state"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "runtime" / "src"),
                                       os.environ.get("PYTHONPATH", "")]),
    }
    from jenkins2flow_runtime.store import open_store

    open_store(str(home / "store.db"), create=True).close()  # inside Airflow the UI opens a catalog, never makes one
    airflow_bin = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    log = (home / "api-server.log").open("w")
    server = subprocess.Popen([airflow_bin, "api-server", "--port", str(port), "--workers", "1"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the api-server did not start:\n" + (home / "api-server.log").read_text()[-3000:])
            time.sleep(0.5)
        passwords = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())
        tokens = {}
        for user, password in passwords.items():
            answer = httpx.post(f"{base}/auth/token", json={"username": user, "password": password}, timeout=10)
            assert answer.status_code in (200, 201), answer.text
            tokens[user] = answer.json()["access_token"]
        yield {"base": base, "tokens": tokens, "home": home}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _bearer(af: dict[str, Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {af['tokens'][user]}"}


def test_airflow_users_get_their_catalog_roles(airflow: dict[str, Any]) -> None:
    base = airflow["base"] + "/jenkins2flow"
    roles = {u: httpx.get(f"{base}/api/v1/me", headers=_bearer(airflow, u)).json() for u in airflow["tokens"]}
    assert {u: (r["role"], r["via"]) for u, r in roles.items()} == {
        "viewer1": ("viewer", "airflow"), "user1": ("editor", "airflow"), "op1": ("publisher", "airflow"),
        "admin1": ("admin", "airflow")}
    assert httpx.get(f"{base}/api/v1/me").status_code == 401
    assert httpx.get(f"{base}/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_writes_follow_airflow_roles(airflow: dict[str, Any]) -> None:
    base = airflow["base"] + "/jenkins2flow/api/v1"
    body = {"spec": {"type": "shell", "command": "echo hi\n"}, "expected_version": 0}
    assert httpx.put(f"{base}/tasks/hello", json=body, headers=_bearer(airflow, "viewer1")).status_code == 403
    made = httpx.put(f"{base}/tasks/hello", json=body, headers=_bearer(airflow, "user1"))
    assert made.status_code == 201 and made.json()["created_by"] == "user1"
    assert httpx.post(f"{base}/tasks/hello/publish", headers=_bearer(airflow, "user1")).status_code == 403
    assert httpx.post(f"{base}/tasks/hello/publish", headers=_bearer(airflow, "op1")).status_code == 200


def test_the_airflow_ui_cookie_opens_the_pages_and_forms(airflow: dict[str, Any]) -> None:
    base = airflow["base"] + "/jenkins2flow"
    anonymous = httpx.get(f"{base}/catalog")
    assert anonymous.status_code == 303 and "/auth/login" in anonymous.headers["location"]
    with httpx.Client(cookies={"_token": airflow["tokens"]["user1"]}) as browser:
        page = browser.get(f"{base}/catalog")
        assert page.status_code == 200 and "user1" in page.text and 'href="/jenkins2flow/static/app.css"' in page.text
        form = browser.get(f"{base}/new/tasks")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        assert form.cookies.get("j2f_nonce") or browser.cookies.get("j2f_nonce")
        sent = browser.post(f"{base}/new/tasks", data={"csrf_token": csrf, "expected_version": "0", "name": "made-here",
                                                       "spec.type": "shell", "spec.command": "true"})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/jenkins2flow/tasks/made-here")
        no_csrf = browser.post(f"{base}/new/tasks", data={"name": "x", "spec.type": "shell", "spec.command": "true"})
        assert no_csrf.status_code == 400


def test_the_plugin_and_its_navigation_link_are_registered(airflow: dict[str, Any]) -> None:
    plugins = httpx.get(airflow["base"] + "/api/v2/plugins", headers=_bearer(airflow, "admin1")).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "jenkins2flow")
    assert [a["url_prefix"] for a in ours["fastapi_apps"]] == ["/jenkins2flow"]
    assert [(v["name"], v["href"], v["destination"]) for v in ours["external_views"]] == [
        ("Catalog", "/jenkins2flow/catalog", "nav")]
    assert "jenkins2flow_runtime.airflow.timetables.JenkinsCronTriggerTimetable" in ours["timetables"]

"""`jenkins2flow ui`: serves the catalog with uvicorn on 127.0.0.1 (first run: an admin with a random password);
`ui user` and `ui token` manage the users file."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml
from click.testing import CliRunner

from jenkins2flow.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def test_user_and_token_commands(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    made = CliRunner().invoke(cli, ["ui", "user", "ann", "--role", "editor", "--team", "sales", "--password", "pw",
                                    "--users", str(users)])
    assert made.exit_code == 0, made.output
    data = yaml.safe_load(users.read_text())
    assert data["users"]["ann"]["role"] == "editor" and data["users"]["ann"]["teams"] == ["sales"]
    assert data["users"]["ann"]["password"].startswith("scrypt$") and len(data["secret_key"]) == 64
    promoted = CliRunner().invoke(cli, ["ui", "user", "ann", "--role", "publisher", "--users", str(users)],
                                  input="\n\n")
    assert promoted.exit_code == 0
    again = yaml.safe_load(users.read_text())["users"]["ann"]
    assert again["role"] == "publisher" and again["password"] == data["users"]["ann"]["password"]  # kept
    new_without_password = CliRunner().invoke(cli, ["ui", "user", "bob", "--users", str(users)], input="\n\n")
    assert new_without_password.exit_code == 1 and "is new: give a password" in new_without_password.output
    token = CliRunner().invoke(cli, ["ui", "token", "ci", "--role", "publisher", "--users", str(users)])
    assert token.exit_code == 0 and token.output.startswith("j2f_")
    assert token.output.strip() not in users.read_text()
    bad_role = CliRunner().invoke(cli, ["ui", "user", "x", "--role", "boss", "--users", str(users)])
    assert bad_role.exit_code == 2


def test_jenkins2flow_ui_serves_the_catalog(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "runtime" / "src")])}
    env.pop("JENKINS2FLOW_STORE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "jenkins2flow.cli", "ui", "--store", str(tmp_path / "store.db"), "--port", str(port),
         "--state-dir", str(tmp_path / "state")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        password = re.search(r"user 'admin', password: (\S+)", first)
        assert password, first
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert (tmp_path / "state" / "ui-users.yaml").is_file()
        with httpx.Client(base_url=base) as browser:
            assert browser.get("/catalog").status_code == 303
            form = browser.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            logged = browser.post("/login", data={"username": "admin", "password": password.group(1),
                                                  "csrf_token": csrf, "next": "/catalog"})
            assert logged.status_code == 303
            page = browser.get("/catalog")
            assert page.status_code == 200 and "admin" in page.text and "Nothing matches" in page.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        if server.stdout is not None:
            server.stdout.close()

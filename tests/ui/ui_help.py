"""What the UI tests share besides fixtures (conftest.py): the test users, a client per app, the JSON API as one
user, logging in through the form, and the CSRF token of a page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from jenkins2flow_runtime.ui import UiSettings, create_app

PASSWORD = "correct horse"
# name -> (role, teams)
USERS = {
    "vic": ("viewer", ()),
    "eddie": ("editor", ("sales",)),
    "erin": ("editor", ("ops",)),
    "pat": ("publisher", ("sales",)),
    "polly": ("publisher", ("ops",)),
    "ada": ("admin", ()),
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Users:
    path: Path
    tokens: dict[str, str]


def make_client(store: str, users: Users, state_dir: Path, **settings: Any) -> TestClient:
    """The app as `jenkins2flow ui` serves it (it may start a catalog from nothing)."""
    settings.setdefault("create_store", True)
    app = create_app(UiSettings(store=store, state_dir=state_dir, users_file=users.path, **settings))
    return TestClient(app, follow_redirects=False)


class Api:
    """The JSON API as one user (bearer token: no cookie, no CSRF)."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers, **kw)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.put("/api/v1" + path, headers=self.headers, json=body)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post("/api/v1" + path, headers=self.headers, json=body or {})


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text),
                                           "next": "/catalog"})
    assert response.status_code == 303, response.text

"""Catalog UI fixtures: an app per test over a fresh store (SQLite, mongomock, and a real MongoDB when
JENKINS2FLOW_TEST_MONGO_URI is set), a users file with one user per role, and clients logged in as each."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from jenkins2flow_runtime.store import open_store
from jenkins2flow_runtime.ui import UiSettings, create_app
from jenkins2flow_runtime.ui.auth import add_token, set_user

REAL_MONGO = os.environ.get("JENKINS2FLOW_TEST_MONGO_URI", "")
BACKENDS = ["sqlite", "mongomock", *(["mongodb"] if REAL_MONGO else [])]
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


@dataclass
class Users:
    path: Path
    tokens: dict[str, str]


@pytest.fixture(scope="session")
def users(tmp_path_factory: pytest.TempPathFactory) -> Users:
    path = tmp_path_factory.mktemp("ui-users") / "users.yaml"
    tokens = {}
    for name, (role, teams) in USERS.items():
        set_user(path, name, password=PASSWORD, role=role, teams=teams)
        tokens[name] = add_token(path, f"{name}-token", role=role, teams=teams)
    return Users(path, tokens)


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


@pytest.fixture(params=BACKENDS)
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    database = "j2f_ui_" + uuid.uuid4().hex[:12]
    uri = _with_database("mongomock://localhost" if request.param == "mongomock" else REAL_MONGO, database)
    yield uri
    store = open_store(uri)
    store.client.drop_database(database)  # type: ignore[attr-defined]
    store.close()


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    return str(tmp_path / "store.db")


def make_client(store: str, users: Users, state_dir: Path, **settings: Any) -> TestClient:
    app = create_app(UiSettings(store=store, state_dir=state_dir, users_file=users.path, **settings))
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def app_client(store_uri: str, users: Users, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(store_uri, users, tmp_path) as client:
        yield client


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


@pytest.fixture
def api(app_client: TestClient, users: Users) -> dict[str, Api]:
    return {name: Api(app_client, users.tokens[name]) for name in USERS}


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf_of(page.text),
                                           "next": "/catalog"})
    assert response.status_code == 303, response.text

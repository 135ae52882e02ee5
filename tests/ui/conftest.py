"""Catalog UI fixtures: an app per test over a fresh store (SQLite, mongomock, and a real MongoDB when
JENKINS2FLOW_TEST_MONGO_URI is set), a users file with one user per role and an API token each."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from jenkins2flow_runtime.store import open_store
from jenkins2flow_runtime.ui.auth import add_token, set_user
from ui_help import PASSWORD, USERS, Api, Users, make_client

REAL_MONGO = os.environ.get("JENKINS2FLOW_TEST_MONGO_URI", "")
BACKENDS = ["sqlite", "mongomock", *(["mongodb"] if REAL_MONGO else [])]


@pytest.fixture(scope="session")
def users(tmp_path_factory: pytest.TempPathFactory) -> Users:
    path = tmp_path_factory.mktemp("ui-users") / "users.yaml"
    tokens = {}
    for name, (role, teams) in USERS.items():
        set_user(path, name, password=PASSWORD, role=role, teams=teams)
        tokens[name] = add_token(path, f"{name}-token", role=role, teams=teams)
    return Users(path, tokens)


@pytest.fixture(params=BACKENDS)
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """As tests/store/conftest.py's, with a database name of our own."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    base = urlsplit("mongomock://localhost" if request.param == "mongomock" else REAL_MONGO)
    database = "j2f_ui_" + uuid.uuid4().hex[:12]
    uri = urlunsplit((base.scheme, base.netloc, "/" + database, base.query, ""))
    yield uri
    store = open_store(uri, create=True)
    store.client.drop_database(database)  # type: ignore[attr-defined]
    store.close()


@pytest.fixture
def app_client(store_uri: str, users: Users, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(store_uri, users, tmp_path) as client:
        yield client


@pytest.fixture
def api(app_client: TestClient, users: Users) -> dict[str, Api]:
    return {name: Api(app_client, users.tokens[name]) for name in USERS}

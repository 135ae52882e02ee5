"""Store fixtures: every contract test runs on SQLite, mongomock, and a real MongoDB when
JENKINS2FLOW_TEST_MONGO_URI is set (one fresh database per test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from jenkins2flow_runtime.store import Store, open_store

REAL_MONGO = os.environ.get("JENKINS2FLOW_TEST_MONGO_URI", "")
BACKENDS = ["sqlite", "mongomock", *(["mongodb"] if REAL_MONGO else [])]


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


@pytest.fixture(params=BACKENDS)
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    database = "j2f_test_" + uuid.uuid4().hex[:12]
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    uri = _with_database("mongomock://localhost" if request.param == "mongomock" else REAL_MONGO, database)
    yield uri
    store = open_store(uri, create=True)
    store.client.drop_database(database)  # type: ignore[attr-defined]
    store.close()


@pytest.fixture
def store(store_uri: str) -> Iterator[Store]:
    with open_store(store_uri, create=True) as s:
        yield s

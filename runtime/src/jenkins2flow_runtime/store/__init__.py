"""The catalog store: one interface, SQLite (embedded default) and MongoDB backends."""

from __future__ import annotations

import os

from jenkins2flow_runtime.store.base import (
    AuditEntry,
    ConflictError,
    InvalidDocument,
    NotFoundError,
    RefError,
    Store,
    StoreError,
    Usage,
)

DEFAULT_URI = ".jenkins2flow/store.db"


def store_uri(uri: str | None = None) -> str:
    """The store URI: the argument, else $JENKINS2FLOW_STORE, else the embedded SQLite default."""
    return uri or os.environ.get("JENKINS2FLOW_STORE") or DEFAULT_URI


def open_store(uri: str | None = None) -> Store:
    """Open the store at `uri`: `mongodb://host/db`, `mongodb+srv://...`, `mongomock://host/db` (tests), or a SQLite
    file path (`sqlite:///` optional). The database defaults to `jenkins2flow`."""
    uri = store_uri(uri)
    if uri.startswith(("mongodb://", "mongodb+srv://", "mongomock://")):
        from jenkins2flow_runtime.store.mongo import MongoStore

        return MongoStore(uri)
    from jenkins2flow_runtime.store.sqlite import SqliteStore

    path = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else uri
    return SqliteStore(path)


__all__ = [
    "DEFAULT_URI", "AuditEntry", "ConflictError", "InvalidDocument", "NotFoundError", "RefError", "Store",
    "StoreError", "Usage", "open_store", "store_uri",
]

"""The catalog store: one interface, SQLite (embedded default) and MongoDB backends."""

from __future__ import annotations

import os

from jenkins2flow_runtime.store.base import (
    AuditEntry,
    ConflictError,
    InvalidDocument,
    NotFoundError,
    PipelineHead,
    RefError,
    Store,
    StoreError,
    StoreMissing,
    StoreUnavailable,
    Usage,
)

DEFAULT_URI = ".jenkins2flow/store.db"


def store_uri(uri: str | None = None) -> str:
    """The store URI: the argument, else $JENKINS2FLOW_STORE, else the embedded SQLite default."""
    return uri or os.environ.get("JENKINS2FLOW_STORE") or DEFAULT_URI


def is_mongo(uri: str) -> bool:
    return uri.startswith(("mongodb://", "mongodb+srv://", "mongomock://"))


def sqlite_path(uri: str) -> str:
    """The file path of a SQLite store URI (`sqlite:///` optional)."""
    return uri.removeprefix("sqlite:///")


def open_store(uri: str | None = None, *, create: bool = False, timeout: float | None = None) -> Store:
    """Open the store at `uri`: `mongodb://host/db`, `mongodb+srv://...`, `mongomock://host/db` (tests), or a SQLite
    file path (`sqlite:///` optional). The database defaults to `jenkins2flow`.

    Only `create=True` (what a writer that may start from nothing passes: convert, catalog import) makes a new
    catalog, with its folder; otherwise a missing catalog raises StoreMissing ("no catalog at PATH"), so a read
    never leaves an empty store behind a typo. `timeout` is how long (seconds) to wait for a SQLite writer's lock
    or a MongoDB server before StoreUnavailable (default: 60 s for SQLite, the URI's or 10 s for MongoDB).
    Every failure to open is a StoreUnavailable with a one-line message naming the store."""
    uri = store_uri(uri)
    if is_mongo(uri):
        from jenkins2flow_runtime.store.mongo import MongoStore

        return MongoStore(uri, create=create, timeout=timeout)
    from jenkins2flow_runtime.store.sqlite import SqliteStore

    return SqliteStore(sqlite_path(uri), create=create, timeout=timeout)


__all__ = [
    "DEFAULT_URI", "AuditEntry", "ConflictError", "InvalidDocument", "NotFoundError", "PipelineHead", "RefError",
    "Store", "StoreError", "StoreMissing", "StoreUnavailable", "Usage", "is_mongo", "open_store", "sqlite_path",
    "store_uri",
]

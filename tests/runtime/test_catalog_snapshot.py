"""The catalog read and its snapshot (no Airflow needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_samples import publish_all, shell_pipeline
from jenkins2flow_runtime.catalog import Snapshot, StoreUnavailable, load_from_store, redact


def test_snapshot_round_trip_and_rewrite_only_on_change(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    publish_all(store, shell_pipeline("one"))
    catalog = load_from_store(str(store))
    assert [p.name for p in catalog.pipelines] == ["one"] and len(catalog.docs) == 1
    snap = Snapshot(tmp_path / "snap.json")
    assert snap.save(catalog) is True
    assert snap.save(load_from_store(str(store))) is False  # unchanged: not rewritten
    back = snap.load()
    assert back.source == "snapshot" and back.fingerprint == catalog.fingerprint
    assert [p.model_dump() for p in back.pipelines] == [p.model_dump() for p in catalog.pipelines]
    publish_all(store, shell_pipeline("two")[1:])
    assert snap.save(load_from_store(str(store))) is True


def test_missing_store_is_an_outage_not_an_empty_catalog(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="no catalog at .*nope.db'; run convert first or pass --store"):
        load_from_store(str(tmp_path / "nope.db"))
    assert not (tmp_path / "nope.db").exists()


def test_corrupt_store_is_an_outage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match="is not a readable SQLite catalog"):
        load_from_store(str(bad))


def test_redact() -> None:
    assert redact("mongodb://u:pw@h:27017/db") == "mongodb://u:***@h:27017/db"
    assert redact("/a/store.db") == "/a/store.db"

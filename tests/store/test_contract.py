"""The store contract, run against every backend (see conftest: sqlite, mongomock, real MongoDB when configured)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from jenkins2flow_runtime.model import PipelineSpec, make, spec_hash
from jenkins2flow_runtime.store import (
    ConflictError,
    NotFoundError,
    PipelineHead,
    RefError,
    Store,
    StoreError,
    StoreMissing,
    is_mongo,
    open_store,
)
from store_docs import batch, pipeline, task, template

HERE = Path(__file__).resolve().parent


def test_save_creates_a_version_only_when_the_spec_changes(store: Store) -> None:
    first = store.save(task("build"), by="ann", comment="first")
    assert (first.version, first.status, first.created_by, first.comment) == (1, "draft", "ann", "first")
    again = store.save(task("build"), by="bob")
    assert again.version == 1 and again.created_by == "ann"
    second = store.save(task("build", "echo changed"), by="bob")
    assert second.version == 2
    assert [d.version for d in store.history("concrete_task", "build")] == [1, 2]
    assert [(a.version, a.action, a.by) for a in store.audit("concrete_task", "build")] == [
        (1, "save", "ann"),
        (2, "save", "bob"),
    ]


def test_get_latest_published_and_numbered(store: Store) -> None:
    store.save(task("a", "echo 1"))
    store.save(task("a", "echo 2"))
    assert store.get("concrete_task", "a").spec.command == "echo 2"  # type: ignore[union-attr]
    assert store.get("concrete_task", "a", 1).spec.command == "echo 1"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError, match="no published version"):
        store.get("concrete_task", "a", "published")
    with pytest.raises(NotFoundError, match="no version 3"):
        store.get("concrete_task", "a", 3)
    with pytest.raises(NotFoundError, match="No concrete_task 'zzz'"):
        store.get("concrete_task", "zzz")
    store.publish("concrete_task", "a", 1)
    assert store.get("concrete_task", "a", "published").version == 1


def test_list_filters(store: Store) -> None:
    store.save_many(
        [
            task("t1", tags=["etl"]),
            task("t2"),
            template("tpl"),
            pipeline("p1", ("t1", 0), tags=["nightly"], owners=["ann"], provenance={"job": "folder/p1"}),
            pipeline("p2", ("t2", 0), tags=["nightly", "finance"], owners=["bob"], provenance={"job": "p2"}),
        ]
    )
    store.publish("concrete_task", "t1")
    names = lambda docs: [d.name for d in docs]  # noqa: E731
    assert names(store.list()) == ["t1", "t2", "tpl", "p1", "p2"]  # by kind, then name
    assert names(store.list("pipeline")) == ["p1", "p2"]
    assert names(store.list("pipeline", tag="nightly")) == ["p1", "p2"]
    assert names(store.list(tag="finance")) == ["p2"]
    assert names(store.list(tag="etl")) == ["t1"]
    assert names(store.list(owner="ann")) == ["p1"]
    assert names(store.list(source_job="folder/p1")) == ["p1"]
    assert names(store.list("concrete_task", "published")) == ["t1"]
    assert names(store.published("concrete_task")) == ["t1"]
    assert names(store.list("concrete_task", "draft")) == ["t2"]
    store.retire("concrete_task", "t1")
    assert names(store.list("concrete_task", "retired")) == ["t1"]
    assert store.published("concrete_task") == []


def test_diff_is_readable(store: Store) -> None:
    store.save(task("x"))
    store.save(pipeline("p", ("x", 1), tags=["a"]))
    store.save(pipeline("p", ("x", 1), tags=["a", "b"], description="new"))
    lines = store.diff("pipeline", "p", 1, 2)
    assert "spec.description: '' -> 'new'" in lines
    assert "spec.tags[1]: added 'b'" in lines
    store.save(task("x", "echo 1\necho 2"))
    text = store.diff("concrete_task", "x", 1, "latest")
    assert text[0] == "spec.command: text changed" and "    +echo 2" in text


def test_status_changes_keep_version_bodies_and_are_audited(store: Store) -> None:
    store.save(task("t", "echo 1"), by="ann")
    store.save(task("t", "echo 2"), by="ann")
    before = [d.model_dump(exclude={"status"}) for d in store.history("concrete_task", "t")]
    assert store.publish("concrete_task", "t", 1, by="rel", comment="go").status == "published"
    assert store.publish("concrete_task", "t", by="rel").version == 2
    assert [d.status for d in store.history("concrete_task", "t")] == ["draft", "published"]
    assert store.retire("concrete_task", "t", by="ops", comment="gone").status == "retired"
    assert [d.status for d in store.history("concrete_task", "t")] == ["draft", "retired"]
    after = [d.model_dump(exclude={"status"}) for d in store.history("concrete_task", "t")]
    assert before == after
    trail = [(a.action, a.version, a.by, a.comment) for a in store.audit("concrete_task", "t")]
    assert trail == [
        ("save", 1, "ann", ""),
        ("save", 2, "ann", ""),
        ("publish", 1, "rel", "go"),
        ("publish", 2, "rel", ""),
        ("retire", 2, "ops", "gone"),
    ]
    assert all(a.at.tzinfo is not None for a in store.audit())


def test_rollback_publishes_the_old_spec_as_a_new_version(store: Store) -> None:
    store.save(task("t", "echo good"))
    store.publish("concrete_task", "t")
    store.save(task("t", "echo bad"))
    store.publish("concrete_task", "t")
    rolled = store.rollback("concrete_task", "t", 1, by="ops")
    assert (rolled.version, rolled.status, rolled.spec.command) == (3, "published", "echo good")  # type: ignore[union-attr]
    history = store.history("concrete_task", "t")
    assert [(d.version, d.spec.command) for d in history] == [(1, "echo good"), (2, "echo bad"), (3, "echo good")]  # type: ignore[union-attr]
    assert [a.action for a in store.audit("concrete_task", "t")][-2:] == ["rollback", "publish"]
    assert store.rollback("concrete_task", "t", 1).version == 3  # already that spec: no new version


def test_optimistic_concurrency(store: Store) -> None:
    store.save(task("t", "echo 1"), expected_version=0)
    with pytest.raises(ConflictError, match="at version 1, not 0"):
        store.save(task("t", "echo 2"), expected_version=0)
    assert store.save(task("t", "echo 2"), expected_version=1).version == 2
    with pytest.raises(ConflictError):
        store.save_many([task("u"), task("t", "echo 3")], expected_versions=[None, 1])
    assert store.get("concrete_task", "t").version == 2
    with pytest.raises(NotFoundError):
        store.get("concrete_task", "u")  # the batch failed before writing anything


def test_references_are_checked_on_save_and_publish(store: Store) -> None:
    with pytest.raises(RefError) as err:
        store.save(pipeline("p", ("missing", 1), ("gone", 0)))
    assert "spec.tasks[0].uses: concrete_task 'missing' is not in the store" in str(err.value)
    assert "spec.tasks[1].uses: concrete_task 'gone' is not in the store" in str(err.value)
    store.save(task("a"))
    with pytest.raises(RefError, match="has no version 4"):
        store.save(pipeline("p", ("a", 4)))
    store.save(template("tpl"))
    store.save(task("b"))
    spec = pipeline("p", ("a", 0), ("b", 1)).spec.model_dump()
    spec["parameters"] = {"templates": [{"kind": "parameter_template", "name": "tpl", "version": 1}]}
    saved = store.save(make("pipeline", "p", spec))
    assert isinstance(saved.spec, PipelineSpec) and saved.spec.tasks[0].uses.version == 1  # pinned to latest
    with pytest.raises(RefError) as err:
        store.publish("pipeline", "p")
    message = str(err.value)
    assert message.startswith("Cannot publish pipeline 'p' version 1: ")
    for where in ("spec.parameters.templates[0]", "spec.tasks[0].uses", "spec.tasks[1].uses"):
        assert f"{where}: " in message and "not published" in message
    store.publish("concrete_task", "a")
    store.publish("concrete_task", "b")
    store.publish("parameter_template", "tpl")
    assert store.publish("pipeline", "p").status == "published"
    store.save(task("a", "echo newer"))
    store.publish("concrete_task", "a")  # v1 of a was released: the pipeline pinning it stays publishable
    store.publish("pipeline", "p")
    store.retire("concrete_task", "a", 1)
    with pytest.raises(RefError, match=r"spec.tasks\[0\].uses: concrete_task 'a' version 1 is retired"):
        store.publish("pipeline", "p")


def test_where_used(store: Store) -> None:
    store.save_many([task("a"), task("b"), pipeline("p1", ("a", 0)), pipeline("p2", ("a", 0), ("b", 0))])
    store.publish("concrete_task", "a")
    store.publish("concrete_task", "b")
    store.publish("pipeline", "p2")
    store.save(pipeline("p2", ("b", 1)))  # the latest p2 no longer uses a; the published one does
    used = store.where_used("concrete_task", "a")
    assert [(u.pipeline, u.version, u.status, u.uses_version, u.where) for u in used] == [
        ("p1", 1, "draft", 1, "spec.tasks[0].uses"),
        ("p2", 1, "published", 1, "spec.tasks[0].uses"),
    ]
    assert [(u.pipeline, u.version) for u in store.where_used("concrete_task", "b")] == [("p2", 1), ("p2", 2)]
    with pytest.raises(NotFoundError):
        store.where_used("concrete_task", "nope")


def test_bulk_save_and_resave_is_a_no_op(store: Store) -> None:
    docs = batch(50)
    saved = store.save_many(docs, by="batch")
    assert [d.name for d in saved] == [d.name for d in docs]  # input order
    assert all(d.version == 1 for d in saved)
    assert {d.spec.tasks[0].uses.version for d in saved if isinstance(d.spec, PipelineSpec)} == {1}
    assert len(store.audit()) == 100
    again = store.save_many(batch(50), by="batch")
    assert [d.version for d in again] == [1] * 100 and len(store.audit()) == 100
    changed = store.save_many(batch(50, tag="v2"))
    assert all(d.version == 2 for d in changed)
    assert {d.spec.tasks[0].uses.version for d in changed if isinstance(d.spec, PipelineSpec)} == {2}
    same_name_twice = store.save_many([task("dup", "echo 1"), task("dup", "echo 2"), task("dup", "echo 2")])
    assert [d.version for d in same_name_twice] == [1, 2, 2]


def test_publish_many_publishes_in_order_and_refuses_a_pipeline_whose_tasks_are_not_published(store: Store) -> None:
    saved = store.save_many([task("a"), task("b"), pipeline("p", ("a", 0), ("b", 0))])
    with pytest.raises(RefError) as err:
        store.publish_many([("concrete_task", "a", 1), ("pipeline", "p", 1)])
    assert str(err.value).startswith("Cannot publish pipeline 'p' version 1: spec.tasks[1].uses: concrete_task 'b' "
                                     "version 1 is not published")
    if store.__class__.__name__ == "SqliteStore":  # one transaction: nothing of the refused batch is published
        assert store.get("concrete_task", "a").status == "draft"
    store.publish_many([(d.kind, d.name, d.version) for d in saved], by="batch", comment="converted")
    assert {store.get(d.kind, d.name).status for d in saved} == {"published"}
    assert [(e.name, e.action, e.by, e.comment) for e in store.audit() if e.action == "publish"][-3:] == [
        ("a", "publish", "batch", "converted"), ("b", "publish", "batch", "converted"),
        ("p", "publish", "batch", "converted")]
    store.save(task("a", "echo 2"))
    store.publish_many([("concrete_task", "a", 2)])
    assert store.get("concrete_task", "a", 1).status == "draft" and store.get("concrete_task", "a", 2).status == (
        "published")
    with pytest.raises(NotFoundError, match="has no version 9"):
        store.publish_many([("concrete_task", "a", 9)])


def test_pipeline_heads_name_each_pipeline_with_its_latest_provenance(store: Store) -> None:
    assert store.pipeline_heads() == {}
    provenance = {"job": "team/etl", "source": "/jenkins/jobs/team/jobs/etl/config.xml"}
    store.save_many([task("a"), pipeline("etl", ("a", 0), provenance=provenance), pipeline("plain", ("a", 0))])
    store.publish_many([("concrete_task", "a", 1), ("pipeline", "etl", 1)])
    store.save(pipeline("etl", ("a", 1), provenance={**provenance, "job": "team/etl2"}))
    store.retire("pipeline", "plain", 1)
    heads = store.pipeline_heads()
    assert heads == {
        "etl": PipelineHead("etl", 2, 1, False, "team/etl2", provenance["source"]),
        "plain": PipelineHead("plain", 1, None, True, "", ""),
    }
    assert store.pipeline_heads(["plain", "nope", "plain"]) == {"plain": heads["plain"]}
    assert store.pipeline_heads([]) == {} and store.pipeline_heads(["a"]) == {}  # a task is not a pipeline


def test_a_document_given_without_its_spec_hash_is_hashed_on_save(store: Store) -> None:
    first = store.save_many([task("a").model_copy(update={"spec_hash": ""}),
                             pipeline("p", ("a", 0)).model_copy(update={"spec_hash": ""})])
    assert [d.spec_hash for d in first] == [spec_hash(d.spec) for d in first] and "" not in [d.spec_hash for d in first]
    assert [d.version for d in store.save_many([task("a"), pipeline("p", ("a", 0))])] == [1, 1]  # the same specs


def test_save_many_without_reading_unchanged_documents_back(store: Store) -> None:
    first = store.save_many([task("a"), pipeline("p", ("a", 0))], by="first", comment="one")
    store.publish("concrete_task", "a")
    again = store.save_many([task("a"), pipeline("p", ("a", 0)), task("b")], by="second", comment="two",
                            read_unchanged=False)
    assert [(d.name, d.version, d.status) for d in again] == [("a", 1, "published"), ("p", 1, "draft"),
                                                              ("b", 1, "draft")]
    assert again[1].spec == first[1].spec  # the pipeline as given, its reference pinned as stored
    assert again[0].created_by == "" and again[2].created_by == "second"  # as given (unchanged); new: stored
    assert store.get("concrete_task", "a").created_by == "first"


# -- concurrency ----------------------------------------------------------------------------------------------------

def _increment(uri: str, name: str, times: int) -> None:
    """Read-modify-write with optimistic concurrency: every increment must land exactly once."""
    with open_store(uri) as store:
        for _ in range(times):
            while True:
                cur = store.get("concrete_task", name)
                count = int(cur.spec.command.split()[-1])  # type: ignore[union-attr]
                try:
                    store.save(task(name, f"echo {count + 1}"), expected_version=cur.version)
                    break
                except ConflictError:
                    continue


def _append(uri: str, name: str, writer: int, times: int) -> None:
    """Blind saves of distinct specs: each must become its own version."""
    with open_store(uri) as store:
        for i in range(times):
            store.save(task(name, f"echo {writer}-{i}"), by=f"w{writer}")


def _check_concurrent(store: Store, writers: int, times: int) -> None:
    counter = store.get("concrete_task", "counter")
    assert counter.spec.command == f"echo {writers * times}"  # type: ignore[union-attr]  # no lost update
    assert counter.version == writers * times + 1
    history = store.history("concrete_task", "log")
    assert [d.version for d in history] == list(range(1, writers * times + 1))  # no duplicate or missing number
    assert {d.spec.command for d in history} == {f"echo {w}-{i}" for w in range(writers) for i in range(times)}  # type: ignore[union-attr]


def test_concurrent_writers_threads(store_uri: str) -> None:
    writers, times = 4, 10
    with open_store(store_uri, create=True) as store:
        store.save(task("counter", "echo 0"))
    threads = [threading.Thread(target=_increment, args=(store_uri, "counter", times)) for _ in range(writers)]
    threads += [threading.Thread(target=_append, args=(store_uri, "log", w, times)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open_store(store_uri, create=True) as store:
        _check_concurrent(store, writers, times)


def test_concurrent_writers_processes(store_uri: str) -> None:
    if store_uri.startswith("mongomock://"):
        pytest.skip("mongomock lives in one process's memory: the process case runs on SQLite and a real MongoDB")
    writers, times = 3, 8
    with open_store(store_uri, create=True) as store:
        store.save(task("counter", "echo 0"))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(store_uri, "counter", times)) for _ in range(writers)]
    procs += [ctx.Process(target=_append, args=(store_uri, "log", w, times)) for w in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_store(store_uri) as store:
        _check_concurrent(store, writers, times)


# -- crash safety ---------------------------------------------------------------------------------------------------

def _assert_consistent(store: Store) -> None:
    """Everything visible is complete: every visible pipeline pins visible versions; audit matches history."""
    docs = store.list()
    for d in docs:
        assert [h.version for h in store.history(d.kind, d.name)] == list(range(1, d.version + 1))
        if isinstance(d.spec, PipelineSpec):
            for t in d.spec.tasks:
                assert store.get(t.uses.kind, t.uses.name, t.uses.version).version == t.uses.version
    saves = [(a.kind, a.name, a.version) for a in store.audit() if a.action == "save"]
    assert sorted(saves) == sorted((d.kind, d.name, v) for d in docs for v in range(1, d.version + 1))


CRASH_CHILD = """
import os, sys, time
sys.path.insert(0, {here!r})
from store_docs import batch
from jenkins2flow_runtime.store.sqlite import SqliteStore

class Dying(SqliteStore):
    def _checkpoint(self, stage):
        if stage == "heads":
            open({marker!r}, "w").close()
            time.sleep(60)

Dying({path!r}).save_many(batch({n}, tag={tag!r}))
"""


def test_crash_mid_batch_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    with open_store(path, create=True) as store:
        store.save_many(batch(20))
    marker = tmp_path / "inside"
    script = CRASH_CHILD.format(here=str(HERE), marker=str(marker), path=path, n=200, tag="v2")
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), "the child never reached the middle of its batch"
        os.kill(child.pid, signal.SIGKILL)  # versions and heads written, not committed
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    with open_store(path) as store:
        assert [d.version for d in store.list()] == [1] * 40  # nothing of the killed batch is visible
        _assert_consistent(store)
        assert len(store.save_many(batch(200, tag="v2"))) == 400  # running it again completes it
        assert len(store.list()) == 400 and all("v2" in d.spec.model_dump_json() for d in store.list())
        assert [d.version for d in store.save_many(batch(200, tag="v2"))] == [2] * 20 + [1] * 180 + [2] * 20 + [1] * 180
        _assert_consistent(store)
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # type: ignore[attr-defined]


@pytest.mark.parametrize("stage", ["versions", "heads"])
def test_crash_mid_batch_mongo(store_uri: str, stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not store_uri.startswith(("mongomock://", "mongodb://", "mongodb+srv://")):
        pytest.skip("the SQLite crash is a real SIGKILL (test_crash_mid_batch_sqlite)")
    import jenkins2flow_runtime.store.mongo as mongo

    monkeypatch.setattr(mongo, "CHUNK", 7)  # several head chunks: die after the first one
    store = open_store(store_uri, create=True)
    store.save_many(batch(5))

    def die(stage_now: str) -> None:
        if stage_now == stage:
            raise RuntimeError("simulated crash")

    monkeypatch.setattr(store, "_checkpoint", die)
    with pytest.raises(RuntimeError, match="simulated crash"):
        store.save_many(batch(30, tag="v2"))
    monkeypatch.undo()
    monkeypatch.setattr(mongo, "CHUNK", 7)
    _assert_consistent(store)
    visible = [d for d in store.list() if "v2" in d.spec.model_dump_json()]
    assert len(visible) == (0 if stage == "versions" else 7)  # only whole head chunks, tasks first
    assert all(d.kind == "concrete_task" for d in visible)
    saved = store.save_many(batch(30, tag="v2"))  # running it again adopts the orphans and completes
    assert [d.version for d in saved] == [2] * 5 + [1] * 25 + [2] * 5 + [1] * 25
    assert {d.version for d in store.list() if d.name in {f"task-{i}" for i in range(5)}} == {2}
    assert len(store.list()) == 60
    _assert_consistent(store)
    audit = len(store.audit())
    assert [d.version for d in store.save_many(batch(30, tag="v2"))] == [d.version for d in saved]
    assert len(store.audit()) == audit  # the third run changes nothing
    store.close()


def test_errors_are_store_errors(store: Store) -> None:
    store.save(task("x"))
    with pytest.raises(StoreError, match="not a number"):
        store.get("concrete_task", "x", "v1")


def test_opening_a_missing_catalog_creates_nothing(store_uri: str) -> None:
    with pytest.raises(StoreMissing, match="^no catalog at .*; run convert first or pass --store$"):
        open_store(store_uri)
    if not is_mongo(store_uri):
        assert not Path(store_uri).exists()
    with pytest.raises(StoreMissing):
        open_store(store_uri)  # still nothing: the failed open made nothing either
    with open_store(store_uri, create=True) as store:
        store.save(task("t"))
    with open_store(store_uri) as store:
        assert store.get("concrete_task", "t").version == 1


def test_batches_commit_one_by_one(store: Store) -> None:
    docs = batch(12)  # 12 tasks, then 12 pipelines pinning them (version 0)
    saved = store.save_many(docs, batch_size=5)
    assert [(d.kind, d.name, d.version) for d in saved] == [(d.kind, d.name, 1) for d in docs]  # input order
    assert [d.version for d in store.save_many(docs, batch_size=5)] == [1] * 24  # the same again: nothing new
    changed = batch(12, tag="v2")
    with pytest.raises(ConflictError, match="'pipe-11' is at version 1, not 0"):
        # tasks first: batches t0-t4, t5-t9, t10 t11 p0-p2, p3-p7, p8-p11; the last one conflicts
        store.save_many(changed, expected_versions=[1] * 23 + [0], batch_size=5)
    versions = {d.name: d.version for d in store.list()}
    assert all(versions[f"task-{i}"] == 2 for i in range(12))
    assert [versions[f"pipe-{i}"] for i in range(12)] == [2] * 8 + [1] * 4  # earlier batches stay, each complete
    _assert_consistent(store)
    assert [d.version for d in store.save_many(changed, batch_size=5)] == [2] * 24  # saving again completes it

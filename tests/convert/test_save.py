"""Saving conversions many at a time (BatchSaver): one transaction per batch and one to publish, each job's
documents pinned and published as when saved alone, and one job's error kept to that job."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow_runtime.store import ConflictError, open_store

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.identity import IdentityConflict
from jenkins2flow.convert.save import BatchSaver, Saved, save_conversion
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile


def _conv(name: str, command: str = "make", source: str = ""):  # type: ignore[no-untyped-def]
    text = f"pipeline {{ agent any\n stages {{ stage('A') {{ steps {{ sh '{command}'\n sh 'echo shared' }} }} }} }}\n"
    return convert_job(parse_jenkinsfile(text, source or f"{name}.Jenkinsfile", name))


def test_a_batch_is_saved_published_and_pinned_as_each_job_alone(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "s.db"), create=True) as store:
        convs = [_conv("a"), _conv("b", "make b"), _conv("c")]
        saved = BatchSaver(store, by="batch").save(convs)
        assert all(isinstance(s, Saved) for s in saved)
        a, b, c = (s for s in saved if isinstance(s, Saved))
        assert [s.pipeline.name for s in (a, b, c)] == ["a", "b", "c"] and {s.pipeline.status for s in (a, b, c)} == {
            "published"}
        assert (a.new, a.unchanged) == (3, 0) and (c.new, c.unchanged) == (1, 2)  # c shares a's two tasks
        pinned = {t.uses.name: t.uses.version for s in (a, c) for t in s.pipeline.spec.tasks}  # type: ignore[union-attr]
        assert set(pinned.values()) == {1}
        alone = tmp_path / "alone.db"
        with open_store(str(alone), create=True) as other:
            for conv in convs:
                save_conversion(other, conv, by="batch")
            for s in (a, b, c):
                same = other.get("pipeline", s.pipeline.name)
                assert (same.spec, same.version, same.status) == (s.pipeline.spec, s.pipeline.version, "published")
        again = BatchSaver(store, by="batch").save(convs)
        assert [(s.new, s.pipeline.version) for s in again if isinstance(s, Saved)] == [(0, 1), (0, 1), (0, 1)]
        assert len(store.audit()) == len({*[(d.kind, d.name) for conv in convs for d in conv.tasks], "a", "b", "c"}) * 2


def test_one_jobs_error_stays_with_that_job(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "s.db"), create=True) as store:
        save_conversion(store, _conv("b", source="elsewhere/b.Jenkinsfile"))  # b belongs to another source
        saver = BatchSaver(store)
        first = saver.save([_conv("a"), _conv("b"), _conv("c")])
        assert isinstance(first[1], IdentityConflict) and "also read from elsewhere/b.Jenkinsfile" in str(first[1])
        assert [s.pipeline.name for s in first if isinstance(s, Saved)] == ["a", "c"]
        # someone saves d's pipeline after the saver read the heads: the batch fails, its jobs are saved one by one
        saver = BatchSaver(store)
        d = _conv("d", "make d")
        heads = store.pipeline_heads(["e", "d", "f"])  # read before someone else saves d
        save_conversion(store, _conv("d", "other"), publish=False)
        second = saver.save([_conv("e"), d, _conv("f", "make f")], heads)
        assert isinstance(second[1], ConflictError)
        assert [s.pipeline.name for s in second if isinstance(s, Saved)] == ["e", "f"]
        assert store.get("pipeline", "f").status == "published"

"""Job identity (convert.identity): which job of a batch keeps a pipeline name, when two sources are one, and when
a stored pipeline belongs to another job."""

from __future__ import annotations

import os
from pathlib import Path

from jenkins2flow.convert.identity import claim, same_source, stored_owner
from jenkins2flow.ir import Job, Span


def _job(name: str, source: str, line: int = 2) -> Job:
    return Job(name, "freestyle", Span(source, line, 1), source=source)


def test_the_first_job_keeps_the_name_and_later_ones_are_refused_with_both_places() -> None:
    jobs = [_job("a/b", "h/jobs/a/jobs/b/config.xml"), _job("etl", "h1/etl.xml"), _job("etl", "h2/etl.xml"),
            _job("etl", "h3/etl.xml")]
    out = list(claim(jobs))
    assert [(j.source, d is None) for j, d in out] == [
        ("h/jobs/a/jobs/b/config.xml", True), ("h1/etl.xml", True), ("h2/etl.xml", False), ("h3/etl.xml", False)]
    assert [str(d) for _, d in out[2:]] == [
        f"h{n}/etl.xml:2:1: job 'etl' is also read from h1/etl.xml in this batch; one pipeline never holds two "
        f"Jenkins jobs, so nothing is saved for 'etl' from h{n}/etl.xml: convert each Jenkins into its own store "
        "(--store) or select one with --only." for n in (2, 3)]


def test_one_job_from_one_source_named_twice_is_kept_once(tmp_path: Path) -> None:
    config = tmp_path / "jobs" / "etl" / "config.xml"
    config.parent.mkdir(parents=True)
    config.write_text("<project/>")
    other_spelling = os.path.relpath(config)
    out = list(claim([_job("etl", str(config)), _job("etl", other_spelling)]))
    assert [(j.source, d) for j, d in out] == [(str(config), None)]


def test_after_a_first_look_only_the_names_it_read_twice_are_kept_whole_and_claims_come_out_the_same() -> None:
    """The estate service's first look collects the names read twice (`repeated`); the conversion's claim keeps
    only those names' first jobs whole (the others as names) and refuses exactly what a whole claim refuses."""
    jobs = [_job("a/b", "h/a/b.xml"), _job("etl", "h1/etl.xml"), _job("x", "h/x.xml"), _job("etl", "h2/etl.xml"),
            _job("x", "h/x.xml")]  # x: one job read twice from one source
    repeated: set[str] = set()
    whole = [(j.source, str(d) if d else None) for j, d in claim(jobs, repeated=repeated)]
    assert repeated == {"etl", "x"}
    assert [(j.source, str(d) if d else None) for j, d in claim(jobs, repeated)] == whole
    assert [s for s, d in whole if d] == ["h2/etl.xml"]


def test_a_name_read_twice_that_the_first_look_read_once_refuses_the_second_job() -> None:
    """The estate changed between the look and the conversion: the second job is refused (nothing is saved over
    the first), and the message says why."""
    jobs = [_job("etl", "h1/etl.xml"), _job("etl", "h2/etl.xml")]
    out = list(claim(jobs, contested=set()))
    assert [(j.source, d is None) for j, d in out] == [("h1/etl.xml", True), ("h2/etl.xml", False)]
    assert "changed since the first look" in str(out[1][1]) and "nothing is saved for 'etl'" in str(out[1][1])


def test_sources_are_equal_by_text_or_by_file_and_urls_only_by_text(tmp_path: Path) -> None:
    f = tmp_path / "c.xml"
    f.write_text("x")
    assert same_source(str(f), os.path.relpath(f))
    assert same_source("https://j/job/a/", "https://j/job/a/")
    assert not same_source("https://j/job/a/", "https://k/job/a/")
    assert not same_source(str(f), str(tmp_path / "d.xml"))
    assert not same_source("", str(f))


def test_a_stored_pipeline_is_this_jobs_or_retired_or_an_error_that_names_both() -> None:
    assert stored_owner("etl", "etl", "h1/c.xml", "etl", "h1/c.xml", retired=False) is None
    assert stored_owner("etl", "etl", "h2/c.xml", "etl", "h1/c.xml", retired=True) is None
    other = stored_owner("a.b", "a/b", "h/jobs/a/jobs/b/config.xml", "a.b", "old/jobs/a.b/config.xml",
                         retired=False)
    assert other is not None and other.startswith(
        "job 'a/b' and job 'a.b' (old/jobs/a.b/config.xml) in the store both map to pipeline 'a.b'")
    assert other.endswith("retire the stored pipeline first (jenkins2flow pipelines retire a.b).")
    by_hand = stored_owner("etl", "etl", "h1/c.xml", "", "", retired=False)
    assert by_hand is not None and by_hand.startswith("pipeline 'etl' in the store was not converted from a Jenkins")

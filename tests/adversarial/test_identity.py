"""Two Jenkins jobs never become one pipeline: folder `a` + job `b` vs a top-level `a.b`, three loose
`test/config.xml`, one full name in two JENKINS_HOMEs, a crafted name that collides with a hashed one, and a store
that already holds the pipeline of another job. A collision is one error line naming both sources (the batch goes
on, exit 1), never a new version. Each command runs in its own process with a time limit (adversarial_helpers.cli).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from adversarial_helpers import ROOT, cli
from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import open_store

from jenkins2flow.convert.estate import convert_estate
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.sources import iter_jobs


def _config(command: str, downstream: str = "") -> str:
    publisher = (f"<hudson.tasks.BuildTrigger><childProjects>{downstream}</childProjects><threshold><name>SUCCESS"
                 "</name></threshold></hudson.tasks.BuildTrigger>") if downstream else ""
    return (f"<?xml version='1.1' encoding='UTF-8'?>\n<project><builders><hudson.tasks.Shell><command>{command}"
            f"</command></hudson.tasks.Shell></builders><publishers>{publisher}</publishers></project>\n")


def _folder() -> str:
    return "<?xml version='1.1'?>\n<com.cloudbees.hudson.plugins.folder.Folder/>\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _home(root: Path, jobs: dict[str, str]) -> Path:
    """A JENKINS_HOME with the given jobs (full name -> shell command); folders are made for `a/b` names."""
    for full, command in jobs.items():
        parts = full.split("/")
        where = root / "jobs"
        for folder in parts[:-1]:
            _write(where / folder / "config.xml", _folder())
            where = where / folder / "jobs"
        _write(where / parts[-1] / "config.xml", _config(command))
    return root


def _pipelines(store: Path) -> dict[str, tuple[str, str, int]]:
    """Pipeline name -> (provenance job, provenance source, number of versions)."""
    with open_store(str(store)) as st:
        return {d.name: (d.spec.provenance.job, d.spec.provenance.source, len(st.history("pipeline", d.name)))
                for d in st.list("pipeline")}


def test_folder_job_and_dotted_top_level_job_are_two_pipelines(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"a/b": "echo folder", "a.b": "echo dotted"})
    store = tmp_path / "s.db"
    proc = cli("convert", str(home), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    stored = _pipelines(store)
    dotted = safe_name("a.b")
    assert dotted.startswith("a.b-") and dotted != "a.b"
    assert {k: v[0] for k, v in stored.items()} == {"a.b": "a/b", dotted: "a.b"}


def test_links_to_a_dotted_job_reach_that_job_not_the_folder_job(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"a/b": "echo folder", "a.b": "echo dotted"})
    _write(home / "jobs" / "up" / "config.xml", _config("echo up", downstream="a.b"))
    estate = convert_estate(iter_jobs(str(home)))
    schedules = {c.job: c.pipeline.schedule for c in estate.conversions if c.pipeline is not None}
    assert schedules["a/b"] is None
    assert schedules["a.b"] is not None and [u.pipeline for u in schedules["a.b"].upstream] == ["up"]


def test_three_loose_test_config_files_convert_once_and_name_both_sources(tmp_path: Path) -> None:
    files = [_write(tmp_path / d / "test" / "config.xml", _config(f"echo {d}")) for d in ("x", "y", "z")]
    store = tmp_path / "s.db"
    proc = cli("convert", *map(str, files), "--store", str(store))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in proc.stderr, proc.stderr
    for line, refused in zip(lines, files[1:], strict=True):
        assert line.startswith(f"{refused}:2:1: job 'test' is also read from {files[0]} in this batch"), line
        assert "nothing is saved for 'test'" in line
    assert _pipelines(store) == {"test": ("test", str(files[0]), 1)}


def test_loose_config_files_in_a_jenkins_home_layout_keep_their_full_names(tmp_path: Path) -> None:
    home = _home(tmp_path / "copy", {"team/test": "echo 1", "other/test": "echo 2"})
    files = sorted(home.rglob("test/config.xml"))
    store = tmp_path / "s.db"
    proc = cli("convert", *map(str, files), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert sorted(_pipelines(store)) == ["other.test", "team.test"]


def test_one_full_name_in_two_jenkins_homes_of_one_batch_is_an_error(tmp_path: Path) -> None:
    first = _home(tmp_path / "h1", {"etl": "echo one", "only1": "true"})
    second = _home(tmp_path / "h2", {"etl": "echo two", "only2": "true"})
    store = tmp_path / "s.db"
    proc = cli("convert", str(first), str(second), "--store", str(store))
    assert proc.returncode == 1
    source1, source2 = (str(h / "jobs" / "etl" / "config.xml") for h in (first, second))
    assert proc.stderr.strip() == (
        f"{source2}:2:1: job 'etl' is also read from {source1} in this batch; one pipeline never holds two "
        f"Jenkins jobs, so nothing is saved for 'etl' from {source2}: convert each Jenkins into its own store "
        "(--store) or select one with --only.")
    stored = _pipelines(store)
    assert stored["etl"] == ("etl", source1, 1) and {"only1", "only2"} <= set(stored)  # the batch went on


def test_a_name_crafted_to_equal_a_hashed_name_is_refused_in_the_batch(tmp_path: Path) -> None:
    crafted = "x_y-" + hashlib.sha256(b"x y").hexdigest()[:6]
    assert safe_name("x y") == safe_name(crafted) == crafted  # naming cannot tell them apart: the batch must
    home = _home(tmp_path / "home", {"x y": "echo spaced", crafted: "echo crafted"})
    estate = convert_estate(iter_jobs(str(home)))
    by_job = {c.job: c for c in estate.conversions}
    assert by_job["x y"].pipeline is not None  # the first in the batch keeps the name
    refused = by_job[crafted]
    assert refused.status == "failed" and refused.pipeline is None
    source = str(home / "jobs" / "x y" / "config.xml")
    assert f"job {crafted!r} and job 'x y' ({source}) in this batch both map to pipeline {crafted!r}" in (
        refused.reasons[0])


def test_a_pipeline_of_another_home_in_the_store_is_never_a_new_version(tmp_path: Path) -> None:
    first = _home(tmp_path / "h1", {"etl": "echo one"})
    second = _home(tmp_path / "h2", {"etl": "echo two"})
    store = tmp_path / "s.db"
    assert cli("convert", str(first), "--store", str(store)).returncode == 0
    proc = cli("convert", str(second), "--store", str(store))
    source1, source2 = (str(h / "jobs" / "etl" / "config.xml") for h in (first, second))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"{source2}:1:1: cannot save 'etl': job 'etl' is also read from {source1} in the store; one pipeline "
        f"never holds two Jenkins jobs, so nothing is saved for 'etl' from {source2}: convert each Jenkins into its "
        "own store (--store) or select one with --only. If it is the same job read from a new place, retire the "
        "stored pipeline first (jenkins2flow pipelines retire etl).")
    assert _pipelines(store) == {"etl": ("etl", source1, 1)}
    # the same job from the same source is a re-convert: no new version
    assert cli("convert", str(first), "--store", str(store)).returncode == 0
    assert _pipelines(store) == {"etl": ("etl", source1, 1)}
    # spelled as a relative path (the command runs in ROOT), it is still the same source: saved, the new spelling
    # of the source recorded
    relative = os.path.relpath(first, ROOT)
    assert cli("convert", relative, "--store", str(store)).returncode == 0
    assert _pipelines(store) == {"etl": ("etl", str(Path(relative) / "jobs" / "etl" / "config.xml"), 2)}
    # retiring the stored pipeline gives the name to the other job, as a new version
    assert cli("pipelines", "retire", "etl", "--store", str(store)).returncode == 0
    assert cli("convert", str(second), "--store", str(store)).returncode == 0
    assert _pipelines(store) == {"etl": ("etl", source2, 3)}


def test_a_pipeline_converted_under_the_old_naming_is_not_taken_by_the_folder_job(tmp_path: Path) -> None:
    """Before names became injective, the top-level job `a.b` was saved as pipeline `a.b`: the folder job `a/b`
    now maps to that name, and the store refuses it."""
    old = _home(tmp_path / "old", {"a.b": "echo dotted"})
    store = tmp_path / "s.db"
    assert cli("convert", str(old), "--store", str(store)).returncode == 0
    with open_store(str(store)) as st:  # rename the stored pipeline as the old naming had it
        doc = st.get("pipeline", safe_name("a.b"))
        st.save(model.make("pipeline", "a.b", doc.spec))
    folder = _home(tmp_path / "new", {"a/b": "echo folder"})
    proc = cli("convert", str(folder), "--store", str(store))
    assert proc.returncode == 1
    assert "job 'a/b' and job 'a.b' (" in proc.stderr and "both map to pipeline 'a.b'" in proc.stderr
    assert _pipelines(store)["a.b"][0] == "a.b"

"""Converting in worker processes (convert.workers) gives the same catalog, DAG files, report and job states as
converting in one process, for a JENKINS_HOME and for loose files; a worker that dies loses no job; a re-run
sends nothing to the workers."""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.records import Records
from jenkins2flow_runtime.store import open_store

import jenkins2flow.convert.workers as workers_module
from jenkins2flow.cli.main import cli
from jenkins2flow.estate_service import EstateOptions, EstateService, JobResult
from jenkins2flow.ir import Job, Span
from jenkins2flow.sources import read_unread, unread_job
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "convert" / "golden"
FLOW = ("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><definition class=\"org.jenkinsci.plugins."
        "workflow.cps.CpsFlowDefinition\"><script>{}</script></definition></flow-definition>\n")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")  # when a version was saved
FOLDER = "<com.cloudbees.hudson.plugins.folder.Folder/>"


def _home(root: Path) -> Path:
    """The golden inputs as a JENKINS_HOME in two folders, and a config.xml that is not XML."""
    for i, path in enumerate(sorted(GOLDEN.glob("*.config.xml")) + sorted(GOLDEN.glob("*.Jenkinsfile"))):
        folder = root / "jobs" / f"team{i % 2}"
        job = folder / "jobs" / path.name.split(".")[0]
        job.mkdir(parents=True)
        data = path.read_bytes() if path.name.endswith(".xml") else FLOW.format(
            html.escape(path.read_text(encoding="utf-8"))).encode()
        (job / "config.xml").write_bytes(data)
        (folder / "config.xml").write_text(FOLDER, encoding="utf-8")
    (root / "jobs" / "team1" / "jobs" / "garbage").mkdir()
    (root / "jobs" / "team1" / "jobs" / "garbage" / "config.xml").write_bytes(b"not xml at all")
    return root


def _convert(sources: list[str], work: Path, workers: int) -> dict[str, Any]:
    results: list[JobResult] = []
    options = EstateOptions(store=str(work / "store.db"), dags_dir=work / "dags", workers=workers)
    run = EstateService(sources, options, on_job=results.append).convert()
    with run.report:
        rows = list(run.report.rows())
        totals = run.report.totals()
    with open_store(str(work / "store.db")) as store:
        docs = sorted((d.kind, d.name, d.version, d.status, d.spec.model_dump_json(), d.comment)
                      for kind in ("task", "parameter_template", "pipeline") for latest in store.list(kind)
                      for d in store.history(kind, latest.name))
    with Records(str(work / "store.db")) as records:
        states = [(r.job, records.job_state(r.job)) for r in results]
    return {"results": results, "rows": rows, "totals": totals, "docs": docs,
            "dags": {p.name: STAMP.sub("<time>", p.read_text(encoding="utf-8"))
                     for p in sorted((work / "dags").glob("*.py"))},
            "states": [(job, s.input, s.links, s.pipeline, s.version, s.context) for job, s in states if s]}


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in a:
        assert a[key] == b[key], key


def test_workers_give_what_one_process_gives_from_a_jenkins_home(tmp_path: Path) -> None:
    home = _home(tmp_path / "home")
    other = tmp_path / "other" / "jobs" / "team0"  # the same full name from another source: refused
    (other / "jobs" / "control_build_timeout").mkdir(parents=True)
    (other / "config.xml").write_text(FOLDER, encoding="utf-8")
    script = html.escape((GOLDEN / "control_catch_echo.Jenkinsfile").read_text(encoding="utf-8"))
    (other / "jobs" / "control_build_timeout" / "config.xml").write_text(FLOW.format(script), encoding="utf-8")
    one = _convert([str(home), str(other.parent.parent)], tmp_path / "one", 0)
    two = _convert([str(home), str(other.parent.parent)], tmp_path / "two", 2)
    _same(one, two)
    statuses = {r.status for r in one["results"]}
    assert {"converted", "partial", "failed"} <= statuses, statuses
    assert len(one["docs"]) > 60 and len(one["dags"]) > 50, (len(one["docs"]), len(one["dags"]))
    refused = [r for r in two["results"] if r.job == "team0/control_build_timeout" and r.status == "failed"]
    assert len(refused) == 1 and "is also read from" in refused[0].error
    # the refused job is reported as the kind of job it is, as one process reads it, not as a stub
    assert sum('"kind": "pipeline"' in r for r in two["rows"] if '"team0/control_build_timeout"' in r) == 1


def test_workers_give_what_one_process_gives_from_loose_files(tmp_path: Path) -> None:
    files = sorted(str(p) for p in GOLDEN.iterdir() if p.name.endswith((".Jenkinsfile", ".config.xml")))
    _same(_convert(files, tmp_path / "one", 0), _convert(files, tmp_path / "two", 2))


def test_a_re_run_sends_nothing_to_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path / "home")
    _convert([str(home)], tmp_path / "w", 1)
    sent: list[str] = []
    monkeypatch.setattr(workers_module.Workers, "submit", lambda self, job: sent.append(job.full_name))
    again = _convert([str(home)], tmp_path / "w", 1)
    assert sent == []
    assert all(r.unchanged for r in again["results"] if r.status != "failed")


def _broken_in_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breaks: Any, workers: int) -> list[str]:
    """A run whose worker `breaks` the conversion of control_catch_error gives what one process gives; the jobs
    the main process converted itself."""
    home = _home(tmp_path / "home")
    one = _convert([str(home)], tmp_path / "one", 0)
    main, real = os.getpid(), workers_module.convert_done
    here: list[str] = []

    def convert_done(job: Any, *args: Any) -> Any:
        if os.getpid() == main:
            here.append(job.full_name)
            return real(job, *args)
        done = real(job, *args)
        if job.full_name.endswith("control_catch_error"):
            breaks(done)
        return done

    monkeypatch.setattr(workers_module, "convert_done", convert_done)
    _same(one, _convert([str(home)], tmp_path / "two", workers))
    return here


def test_a_worker_that_dies_loses_no_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = _broken_in_a_worker(tmp_path, monkeypatch, lambda done: os._exit(3), 2)  # as the kernel kills a worker
    assert "team1/control_catch_error" in here  # converted by the main process once its worker was gone


def test_a_result_that_cannot_come_back_is_converted_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers_module.Workers, "_take_back", lambda self: False)  # only the worker converts
    here = _broken_in_a_worker(tmp_path, monkeypatch, lambda done: done.conv.tasks.append(lambda: None), 1)
    assert here == ["team1/control_catch_error"]  # pickle refused it in the worker: only that job, converted here


def test_jobs_a_slow_worker_holds_are_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rather than wait for a worker, the main process converts the jobs it would reach last, which it skips."""
    home = _home(tmp_path / "home")
    one = _convert([str(home)], tmp_path / "one", 0)
    main, real = os.getpid(), workers_module.convert_done
    here: list[str] = []
    log = tmp_path / "worker.log"

    def convert_done(job: Any, *args: Any) -> Any:
        if os.getpid() == main:
            here.append(job.full_name)
        else:
            time.sleep(0.05)  # a worker slower than the main process
            with log.open("a", encoding="utf-8") as fh:
                fh.write(job.full_name + "\n")
        return real(job, *args)

    monkeypatch.setattr(workers_module, "convert_done", convert_done)
    _same(one, _convert([str(home)], tmp_path / "two", 1))
    there = log.read_text(encoding="utf-8").split()
    converted = {r.job for r in one["results"]} - {"team1/garbage"}  # (not XML: read here, never deferred)
    assert here and there and set(here) | set(there) == converted
    assert len(here) + len(there) < len(converted) + 2  # the worker skipped what was taken back (one may race)


def test_a_deferred_job_is_read_as_its_reader_reads_it(tmp_path: Path) -> None:
    data = (GOLDEN / "control_catch_error.Jenkinsfile").read_bytes()
    stub = unread_job("etl/load", "/x/Jenkinsfile", "deferred")
    job = read_unread(stub, data)
    assert (job.full_name, job.root_tag, job.source) == ("etl/load", "Jenkinsfile", "/x/Jenkinsfile")
    assert job.stages
    folder = Job("f", "unsupported", Span("/h/jobs/f/config.xml"), source="/h/jobs/f/config.xml", children=("f/a",))
    xml = read_unread(folder, FOLDER.encode())
    assert xml.root_tag == "com.cloudbees.hudson.plugins.folder.Folder" and xml.children == ("f/a",)


def test_convert_takes_workers_and_says_the_same(tmp_path: Path) -> None:
    home = _home(tmp_path / "home")
    said = []
    for n in (0, 2):
        out = CliRunner().invoke(cli, ["convert", str(home), "--store", str(tmp_path / f"s{n}.db"), "--workers",
                                       str(n)])
        assert out.exit_code == 1, out.output  # the config.xml that is not XML fails
        said.append([line for line in out.output.splitlines() if "jobs/s" not in line])
    assert said[0] == said[1] and len(said[0]) > 60
    refused = CliRunner().invoke(cli, ["convert", str(home), "--store", str(tmp_path / "s.db"), "--workers", "-1"])
    assert refused.exit_code == 2 and "-1" in refused.output

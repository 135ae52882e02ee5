"""The estate service: one flow from sources to the catalog, streamed (jobs read, converted and let go one at a
time), that leaves a job alone on a re-run only when nothing its conversion depends on changed; and the only
assembly of that flow (convert, demo and the bench use it)."""

from __future__ import annotations

import ast
import gc
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.records import Records
from jenkins2flow_runtime.store import open_store

import jenkins2flow.convert.estate as estate_module
import jenkins2flow.convert.unchanged as unchanged_module
import jenkins2flow.estate_service as service_module
import jenkins2flow.render.dag as dag_module
from jenkins2flow.cli.main import cli
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.estate import ConvertOptions, convert_stream
from jenkins2flow.convert.links import Links
from jenkins2flow.estate_service import EstateOptions, EstateService, JobResult, may_link
from jenkins2flow.ir import Job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.render.dag import Recent, StoredDocs
from tests.conftest import ROOT

FLOW = ("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><definition class=\"org.jenkinsci.plugins."
        "workflow.cps.CpsFlowDefinition\"><script>{}</script></definition></flow-definition>\n")


def _freestyle(command: str, downstream: str = "") -> str:
    publisher = (f"<hudson.tasks.BuildTrigger><childProjects>{downstream}</childProjects><threshold><name>SUCCESS"
                 "</name></threshold></hudson.tasks.BuildTrigger>") if downstream else ""
    return (f"<?xml version='1.1' encoding='UTF-8'?>\n<project><builders><hudson.tasks.Shell><command>{command}"
            f"</command></hudson.tasks.Shell></builders><publishers>{publisher}</publishers></project>\n")


def _home(root: Path, jobs: dict[str, str]) -> Path:
    for name, config in jobs.items():
        job = root / "jobs" / name
        job.mkdir(parents=True, exist_ok=True)
        (job / "config.xml").write_text(config, encoding="utf-8")
    return root


def _run(home: Path, tmp_path: Path, **options: object) -> tuple[dict[str, JobResult], EstateService]:
    results: dict[str, JobResult] = {}
    opts = EstateOptions(store=str(tmp_path / "store.db"), dags_dir=tmp_path / "dags", **options)  # type: ignore[arg-type]
    service = EstateService([str(home)], opts, on_job=lambda r: results.__setitem__(r.job, r))
    service.convert().report.close()
    return results, service


def _versions(tmp_path: Path) -> tuple[dict[str, int], int]:
    with open_store(str(tmp_path / "store.db")) as s:
        return {f"{d.kind}/{d.name}": d.version for d in s.list()}, len(s.audit())


# ---- streaming -------------------------------------------------------------------------------------------------


def _jobs(n: int, made: list[int]) -> Iterator[Job]:
    for i in range(n):
        made[0] += 1
        yield parse_jenkinsfile(f"node {{ stage('A') {{ sh 'echo {i}' }} }}\n",
                                f"job{i}.Jenkinsfile", f"job{i}")


def test_a_generator_of_jobs_is_consumed_once_and_as_the_conversions_go() -> None:
    made = [0]
    jobs = _jobs(40, made)
    seen = 0
    for i, item in enumerate(convert_stream(jobs, ConvertOptions(), Links())):
        assert item.conv is not None and item.conv.job == f"job{i}" and item.conv.status == "converted"
        assert made[0] <= i + 1, "a job is read only when the one before it is converted"
        seen += 1
    assert seen == 40 and made[0] == 40 and next(jobs, None) is None  # consumed once, to the end


def test_conversions_are_let_go_as_the_estate_streams_into_the_store(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path / "home", {f"job{i}": _freestyle(f"echo {i}") for i in range(30)})
    made: list[weakref.ref[Conversion]] = []
    real = estate_module.convert_job

    def convert_job(*args: object) -> Conversion:
        conv = real(*args)  # type: ignore[arg-type]
        made.append(weakref.ref(conv))
        return conv

    def alive() -> int:
        gc.collect()
        return sum(1 for ref in made if ref() is not None)

    monkeypatch.setattr(estate_module, "convert_job", convert_job)
    most = [0]
    service = EstateService([str(home)], EstateOptions(store=str(tmp_path / "s.db"), batch=5),
                            on_job=lambda _: most.__setitem__(0, max(most[0], alive())))
    run = service.convert()
    with run.report:
        assert run.totals.statuses == {"converted": 30} and run.report.jobs == 30
        assert len(list(run.report.details())) == 30
    assert len(made) == 30 and 0 < most[0] <= 5, "at most one batch of conversions is held"
    assert alive() == 0, "nothing keeps a conversion once its job is saved and reported"


def test_a_batch_is_saved_once_its_pipelines_hold_batch_tasks_tasks(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A large job (thousands of draft tasks) fills a batch alone: memory follows the tasks held, not the jobs."""
    home = _home(tmp_path / "home", {f"job{i}": _freestyle(f"echo {i}") for i in range(12)})
    saved: list[int] = []
    real = service_module.BatchSaver.save

    def save(self: object, convs: list[Conversion]) -> object:
        if convs:  # (the last flush may have none)
            saved.append(sum(len(c.pipeline.tasks) + len(c.pipeline.draft_tasks) for c in convs if c.pipeline))
        return real(self, convs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_module.BatchSaver, "save", save)
    for tasks, batches in ((1_000, 1), (1, 12)):
        saved.clear()
        options = EstateOptions(store=str(tmp_path / f"s{tasks}.db"), batch=50, batch_tasks=tasks)
        run = EstateService([str(home)], options).convert()
        run.report.close()
        assert run.totals.statuses == {"converted": 12}
        assert (len(saved), sum(saved) >= 12) == (batches, True), saved
    assert max(saved) < 1_000


def test_the_documents_kept_for_dag_files_are_bounded_and_the_files_the_same(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path / "home", {f"job{i}": _freestyle(f"echo {i % 7}") for i in range(30)})
    files = {}
    kept: list[StoredDocs] = []
    real = dag_module.write_stored_dag

    def write_stored_dag(*args: object, cache: StoredDocs | None = None, **kwargs: object) -> object:
        assert cache is not None
        kept.append(cache)
        return real(*args, cache=cache, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service_module, "write_stored_dag", write_stored_dag)
    for keep in (1_000, 2):
        monkeypatch.setattr(dag_module, "KEEP_DOCS", keep)
        results, _ = _run(home, tmp_path / f"keep{keep}")
        assert {r.dag for r in results.values()} == {"written"}
        files[keep] = {p.name: re.sub(r"'created_at': '[^']*'", "", p.read_text(encoding="utf-8"))  # two runs
                       for p in (tmp_path / f"keep{keep}" / "dags").iterdir()}
        assert len(kept[-1].docs) <= keep and len(kept[-1].texts) <= keep
    assert len(files[2]) == 30 and files[2] == files[1_000]  # versions let go are read again, laid out the same


def test_recent_keeps_the_most_recently_used() -> None:
    recent: Recent[str, int] = Recent(2)
    recent["a"], recent["b"] = 1, 2
    assert recent["a"] == 1  # a read counts as a use
    recent["c"] = 3
    assert dict(recent) == {"a": 1, "c": 3}


def test_the_first_look_parses_only_the_jobs_that_may_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = {f"plain{i}": _freestyle(f"echo {i}") for i in range(6)}
    jobs |= {"up": _freestyle("make", downstream="down"), "down": _freestyle("load")}
    home = _home(tmp_path / "home", jobs)
    import jenkins2flow.sources.jenkins_home as jenkins_home

    parsed: list[str] = []
    real = jenkins_home.read_config_xml
    monkeypatch.setattr(jenkins_home, "read_config_xml", lambda data, path, name: parsed.append(name) or real(
        data, path, name))
    results, _ = _run(home, tmp_path)
    assert sorted(parsed) == sorted([*jobs, "up"])  # every job once, and `up` (a BuildTrigger) once more first
    with open_store(str(tmp_path / "store.db")) as s:
        down = s.get("pipeline", "down").spec
        assert [u.pipeline for u in down.schedule.upstream] == ["up"]  # type: ignore[union-attr]


def test_may_link_reads_words_through_character_references_and_utf16() -> None:
    assert may_link(b"<hudson.tasks.BuildTrigger/>") and may_link(b"triggers { upstream('a') }")
    assert may_link(b"<script>&#117;pstream(&#x27;a&#x27;)</script>") and may_link("upstream".encode("utf-16"))
    assert not may_link(b"<project><builders/></project>") and not may_link(b"echo &#x27;up stream&#x27;")
    assert may_link(b"up&#0115;tream") and may_link(b"Build&#X54;rigger") and may_link(b"&#x0042;uildTrigger")
    assert not may_link(b"up&#xd;stream") and not may_link(b"&#x62;uildTrigger")  # no word made


def test_the_report_rows_come_with_each_batch_and_a_failed_run_leaves_no_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path / "home", {name: _freestyle(f"echo {name}") for name in "abcde"})
    _run(home, tmp_path, batch=2)
    with Records(str(tmp_path / "store.db")) as records:
        first = records.latest_estate_report("convert")
        assert first is not None and first.report["jobs"] == 5
        assert [j["job"] for j in records.estate_jobs(first).rows] == list("abcde")  # three batches, in order
    flushes = []
    real = service_module._Run.flush

    def flush(self: service_module._Run, pending: list[service_module._Pending]) -> None:
        flushes.append(len(pending))
        if len(flushes) == 2:
            raise MemoryError("out of memory")
        real(self, pending)

    monkeypatch.setattr(service_module._Run, "flush", flush)
    with pytest.raises(MemoryError):
        _run(home, tmp_path, batch=2, force=True)
    with Records(str(tmp_path / "store.db")) as records:
        latest = records.latest_estate_report("convert")
        assert latest is not None and latest.id == first.id  # the failed run's report is not there, nor its rows
        assert records.db is not None
        assert records.db.execute("SELECT COUNT(*) FROM estate_report_jobs").fetchone() == (5,)


# ---- re-runs -----------------------------------------------------------------------------------------------------


def test_an_unchanged_job_is_left_alone_and_a_changed_one_converted_again(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"a": _freestyle("echo a"), "b": _freestyle("echo b"), "c": _freestyle("echo c")})
    first, _ = _run(home, tmp_path)
    assert not any(r.unchanged for r in first.values()) and {r.dag for r in first.values()} == {"written"}
    before, audit = _versions(tmp_path)

    again, service = _run(home, tmp_path)
    assert all(r.unchanged and r.dag == "unchanged" for r in again.values())
    assert [(r.status, r.pipeline, r.version) for r in again.values()] == [
        (r.status, r.pipeline, r.version) for r in first.values()]
    assert _versions(tmp_path) == (before, audit), "a job left alone creates no version and no audit entry"
    with Records(str(tmp_path / "store.db")) as records:
        record = records.latest_estate_report("convert")
        assert record is not None and record.report["jobs"] == 3  # left alone, still in the report
        assert [j["job"] for j in records.estate_jobs(record).rows] == ["a", "b", "c"]

    (home / "jobs" / "b" / "config.xml").write_text(_freestyle("echo B"), encoding="utf-8")
    (tmp_path / "dags" / "c.py").unlink()
    changed, _ = _run(home, tmp_path)
    assert {k: r.unchanged for k, r in changed.items()} == {"a": True, "b": False, "c": True}
    assert changed["b"].version == 2 and changed["c"].dag == "written"  # a missing DAG file is written again
    assert (tmp_path / "dags" / "c.py").is_file()


def test_a_changed_mapping_or_converter_converts_every_job_again_without_new_versions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path / "home", {"a": _freestyle("echo a"), "b": _freestyle("echo b")})
    _run(home, tmp_path)
    before = _versions(tmp_path)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "extra.yaml").write_text("steps:\n  myStep: {waive: done elsewhere}\n", encoding="utf-8")
    from jenkins2flow.cli.options import setup

    rules, _ = setup((mappings,), None)
    with_mapping, _ = _run(home, tmp_path, convert=ConvertOptions(rules=rules))
    assert not any(r.unchanged for r in with_mapping.values())
    assert _versions(tmp_path) == before  # converted again, nothing new to save
    assert all(r.unchanged for r in _run(home, tmp_path, convert=ConvertOptions(rules=rules))[0].values())

    monkeypatch.setattr(unchanged_module, "converter_digest", lambda: "a newer converter")
    newer, _ = _run(home, tmp_path, convert=ConvertOptions(rules=rules))
    assert not any(r.unchanged for r in newer.values())
    forced, _ = _run(home, tmp_path, convert=ConvertOptions(rules=rules), force=True)
    assert not any(r.unchanged for r in forced.values())


def test_a_job_whose_links_or_stored_pipeline_changed_is_converted_again(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"up": _freestyle("make"), "down": _freestyle("load")})
    _run(home, tmp_path)
    # a third job now triggers `down`: down's bytes are the same, its schedule is not
    _home(home, {"trigger": _freestyle("extract", downstream="down")})
    linked, _ = _run(home, tmp_path)
    assert {k: r.unchanged for k, r in linked.items()} == {"down": False, "trigger": False, "up": True}
    with open_store(str(tmp_path / "store.db")) as s:
        assert [u.pipeline for u in s.get("pipeline", "down").spec.schedule.upstream] == ["trigger"]  # type: ignore[union-attr]
        s.retire("pipeline", "up", by="someone")
    retired, _ = _run(home, tmp_path)
    assert {k: r.unchanged for k, r in retired.items()} == {"down": True, "trigger": True, "up": False}
    assert retired["up"].version == 1  # the retired version taken back, published again


def test_a_run_with_a_workspace_reads_every_job(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"a": _freestyle("echo a")})
    _run(home, tmp_path)
    workspace, _ = _run(home, tmp_path, convert=ConvertOptions(workspace=tmp_path))
    assert not workspace["a"].unchanged  # its SQL files are not among its bytes
    assert _run(home, tmp_path)[0]["a"].unchanged


# ---- the CLI and the one assembly ----------------------------------------------------------------------------


def test_convert_ends_with_totals_and_where_the_warnings_are(tmp_path: Path) -> None:
    home = _home(tmp_path / "home", {"plain": _freestyle("echo a"), "unbound": _freestyle("echo $NOT_SET"),
                                     "pipe": FLOW.format("pipeline { agent any\n stages { stage('A') { steps {\n"
                                                         " sh 'echo hi' } } } }")})
    args = ["convert", str(home), "--store", str(tmp_path / "s.db"), "--dags-dir", str(tmp_path / "dags"),
            "--report", str(tmp_path / "r.json")]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    *_, totals, documents, warnings = first.output.splitlines()
    assert totals.startswith("3 jobs in ") and " jobs/s): " in totals and totals.endswith("; 0 left alone (unchanged "
                                                                                         "since the last run)")
    assert "2 converted, 1 partial" in totals
    assert documents.startswith("documents: ") and documents.endswith("; DAG files: 3 written, 0 unchanged")
    assert " new versions, 0 unchanged" in documents
    assert warnings == (f"warnings: 1 in 1 jobs; one job's with `jenkins2flow audit {home} --explain JOB`, every "
                        f"job's in the report {tmp_path / 'r.json'} and in the catalog UI's migration view "
                        "(`jenkins2flow ui`)")
    again = CliRunner().invoke(cli, args)
    assert "; 3 left alone (unchanged since the last run)" in again.output
    assert "documents: 0 new versions, 0 unchanged; DAG files: 0 written, 3 unchanged" in again.output
    assert "unbound: partial, pipeline unbound v1 (unchanged since the last run)" in again.output


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}


@pytest.mark.parametrize("path", ["src/jenkins2flow/cli/convert_cmd.py", "src/jenkins2flow/cli/demo.py",
                                  "bench/convert_estate.py"])
def test_convert_demo_and_bench_use_the_service_and_assemble_nothing_themselves(path: str) -> None:
    names = _imports(ROOT / path)
    assert "EstateService" in names
    assert not names & {"convert_job", "convert_stream", "convert_estate", "save_conversion", "BatchSaver",
                        "write_stored_dag", "write_dag", "render_dag", "record_report"}


def test_convert_and_demo_run_through_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    class Stop(Exception):
        pass

    def convert(self: EstateService) -> None:
        calls.append(self.sources)
        raise Stop

    monkeypatch.setattr(EstateService, "convert", convert)
    sample = str(ROOT / "samples" / "jenkinsfiles")
    for args in (["convert", sample, "--store", str(tmp_path / "s.db")],
                 ["demo", "--samples", sample, "--store", str(tmp_path / "s.db"), "--state-dir", str(tmp_path)]):
        assert isinstance(CliRunner().invoke(cli, args).exception, Stop)
    assert calls == [[sample], [sample]]

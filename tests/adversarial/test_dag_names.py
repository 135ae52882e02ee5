"""DAG ids and DAG file names are unique and stable: jobs named `a-b`, `a_b` and `a.b` (and `A-B` beside them) become
four pipelines, four DAG ids and four DAG files, the same ones on every run, and four files on a case-insensitive
filesystem too (`A-B+5.py` beside `a-b.py`); the `A-B.py` an earlier release wrote is replaced, never a file of
another pipeline or one jenkins2flow did not write."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from jenkins2flow_runtime import dagfile

from jenkins2flow.cli.main import cli
from tests.render.dagcheck import static_data

NAMES = ("a-b", "a_b", "a.b", "A-B")
SCRIPT = "pipeline {{ agent any\n  stages {{ stage('Run') {{ steps {{ sh 'echo {name}' }} }} }}\n}}\n"


def _convert(tmp_path: Path, jobs: Path) -> dict[str, dict[str, object]]:
    dags = tmp_path / "dags"
    result = CliRunner().invoke(cli, ["convert", str(jobs), "--store", str(tmp_path / "store.db"),
                                      "--dags-dir", str(dags), "--timezone", "UTC"])
    assert result.exit_code == 0, result.output + result.stderr
    return {p.name: static_data(p.read_text(encoding="utf-8")) for p in sorted(dags.glob("*.py"))}


def test_similar_job_names_give_distinct_stable_dags(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for name in NAMES:
        (jobs / f"{name}.Jenkinsfile").write_text(SCRIPT.format(name=name), encoding="utf-8")

    files = _convert(tmp_path, jobs)
    assert len(files) == len(NAMES)
    assert len({name.casefold() for name in files}) == len(NAMES)  # no two are one file on macOS or Windows
    jobs_of = {data["PIPELINE"]["spec"]["provenance"]["job"]: data for data in files.values()}  # type: ignore[index]
    assert sorted(jobs_of) == sorted(NAMES)  # each job its own pipeline, so its own DAG id
    for name, data in files.items():
        pipeline = data["PIPELINE"]["name"]  # type: ignore[index]
        assert name == dagfile.dag_file_name(pipeline)
        job = data["PIPELINE"]["spec"]["provenance"]["job"]  # type: ignore[index]
        assert any(f"echo {job}" in str(d) for d in data["DOCUMENTS"]), name  # type: ignore[union-attr]

    again = _convert(tmp_path, jobs)  # a second run: the same files, byte for byte the same data
    assert again == files


def test_names_differing_only_in_case_get_files_differing_in_more() -> None:
    names = ["ab", "Ab", "aB", "AB", "ab-1", "Ab-1", "x" * 199 + "Y", "X" * 200]
    files = [dagfile.dag_file_name(n) for n in names]
    assert files[:4] == ["ab.py", "Ab+1.py", "aB+2.py", "AB+3.py"]
    assert len({f.casefold() for f in files}) == len(names)
    assert all(len(f.encode()) <= 255 for f in files)  # the longest name, all capitals, still fits a file name


def test_an_earlier_releases_file_is_replaced_and_nothing_else(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for name in ("A-B", "Other"):
        (jobs / f"{name}.Jenkinsfile").write_text(SCRIPT.format(name=name), encoding="utf-8")
    dags = tmp_path / "dags"
    dags.mkdir()
    legacy = "# jenkins2flow static DAG: pipeline=A-B\nPIPELINE = {}\n"  # what an earlier release wrote for A-B
    (dags / "A-B.py").write_text(legacy, encoding="utf-8")
    mine = "# my own DAG file, named like a pipeline\n"
    (dags / "Other.py").write_text(mine, encoding="utf-8")

    files = _convert(tmp_path, jobs)
    assert sorted(files) == ["A-B+5.py", "Other+1.py", "Other.py"]  # the legacy A-B.py is gone, Other.py stays
    assert (dags / "Other.py").read_text(encoding="utf-8") == mine
    assert files["A-B+5.py"]["PIPELINE"]["name"] == "A-B"  # type: ignore[index]

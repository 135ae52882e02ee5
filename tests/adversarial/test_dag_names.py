"""DAG ids and DAG file names are unique and stable: jobs named `a-b`, `a_b` and `a.b` (and `A-B` beside them) become
four pipelines, four DAG ids and four DAG files, the same ones on every run."""

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
    jobs_of = {data["PIPELINE"]["spec"]["provenance"]["job"]: data for data in files.values()}  # type: ignore[index]
    assert sorted(jobs_of) == sorted(NAMES)  # each job its own pipeline, so its own DAG id
    for name, data in files.items():
        pipeline = data["PIPELINE"]["name"]  # type: ignore[index]
        assert name == dagfile.dag_file_name(pipeline)
        job = data["PIPELINE"]["spec"]["provenance"]["job"]  # type: ignore[index]
        assert any(f"echo {job}" in str(d) for d in data["DOCUMENTS"]), name  # type: ignore[union-attr]

    again = _convert(tmp_path, jobs)  # a second run: the same files, byte for byte the same data
    assert again == files

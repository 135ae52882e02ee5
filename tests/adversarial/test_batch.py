"""One job whose DAG file cannot be rendered or written (a folder in the way, memory running out) never stops the
batch: the other DAG files are written, the failure is one line with the job, and the exit code is 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import jenkins2flow.render.dag as dag
from jenkins2flow.cli.main import cli

JOB = "node {{ stage('A') {{ sh 'echo {name}' }} }}\n"


def _jobs(root: Path, names: list[str]) -> list[str]:
    for name in names:
        (root / f"{name}.Jenkinsfile").write_text(JOB.format(name=name))
    return [str(root / f"{name}.Jenkinsfile") for name in names]


def test_a_folder_in_the_way_of_one_dag_file(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    (dags / "beta.py").mkdir(parents=True)  # where beta's DAG file goes
    args = ["convert", *_jobs(tmp_path, ["alpha", "beta", "gamma"]), "--store", str(tmp_path / "s.db"),
            "--dags-dir", str(dags)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert sorted(p.name for p in dags.glob("*.py") if p.is_file()) == ["alpha.py", "gamma.py"]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'beta.Jenkinsfile'}:1:1: cannot write the DAG file of 'beta': ")
    assert "not overwritten" in line
    assert "gamma: converted" in result.stdout


def test_memory_running_out_while_rendering_one_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = dag.render_dag

    def render(pipeline: Any, *args: Any) -> str:
        if pipeline.name == "beta":
            raise MemoryError()
        return real(pipeline, *args)

    monkeypatch.setattr(dag, "render_dag", render)
    dags = tmp_path / "dags"
    args = ["convert", *_jobs(tmp_path, ["alpha", "beta", "gamma"]), "--store", str(tmp_path / "s.db"),
            "--dags-dir", str(dags)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert sorted(p.name for p in dags.glob("*.py")) == ["alpha.py", "gamma.py"]
    beta = tmp_path / "beta.Jenkinsfile"
    assert result.stderr.strip() == f"{beta}:1:1: cannot write the DAG file of 'beta': MemoryError"

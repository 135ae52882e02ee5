"""Every traceback becomes one line and a non-zero exit: `shadow run` with another AIRFLOW_HOME (an empty folder,
or a database file that is not a database) says in one line why Airflow could not run, and exits 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JENKINS_HOME = ROOT / "samples" / "jenkins_home"


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return subprocess.run([sys.executable, "-m", "jenkins2flow.cli", *args], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.airflow
@pytest.mark.parametrize("case", ["empty AIRFLOW_HOME", "not a database"])
def test_shadow_run_with_another_airflow_home_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    assert _cli(["convert", str(JENKINS_HOME), "--store", "s.db"], tmp_path).returncode == 0
    home = tmp_path / "elsewhere"
    home.mkdir()
    env = {"AIRFLOW_HOME": str(home)}
    if case == "not a database":
        (home / "airflow.db").write_text("these are not the tables you are looking for\n" * 100)
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    done = _cli(["shadow", "run", "daily_sales", "--store", "s.db", "--jenkins-home", str(JENKINS_HOME)], tmp_path,
                **env)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    (verdict,) = [line for line in done.stdout.splitlines() if line.startswith("ERROR")]
    assert "Airflow could not run 'daily_sales': " in verdict and f"AIRFLOW_HOME {home}" in verdict
    assert ("unable to open database file" if case == "empty AIRFLOW_HOME" else "file is not a database") in verdict

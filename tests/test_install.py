"""The two wheels, built as a user builds them and installed (not editable) into a fresh virtualenv, convert the
samples: the default rules (mappings/) and templates travel inside the wheel, and the toolkit runs without the
source tree, without Airflow and without the optional extras."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow
PROJECT_FILES = ("pyproject.toml", "README.md", "src", "mappings", "runtime")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: the installed package must not fall back on this checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JENKINS2FLOW_STORE")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the two wheels and their required dependencies; its bin/ folder."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"  # a copy, so that building leaves nothing in the checkout (build/, *.egg-info)
    source.mkdir()
    for name in PROJECT_FILES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.so"))
        else:
            shutil.copy2(item, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "wheels", source, source / "runtime",
         cwd=tmp)
    wheels = sorted((tmp / "wheels").glob("*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == ["jenkins2flow", "jenkins2flow_runtime"]
    _run(sys.executable, "-m", "venv", tmp / "venv", cwd=tmp)
    _run(tmp / "venv" / "bin" / "python", "-m", "pip", "install", "-q", *wheels, cwd=tmp)
    return tmp / "venv" / "bin"


def test_installed_wheels_convert_the_samples_into_a_store(installed: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    done = _run(installed / "jenkins2flow", "convert", SAMPLES / "jenkinsfiles", "--store", store, cwd=tmp_path)
    assert "daily_sales: converted" in done.stdout
    with sqlite3.connect(store) as db:
        heads = db.execute("SELECT name FROM versions WHERE kind='pipeline'").fetchall()
    assert heads == [("daily_sales",)]
    listed = _run(installed / "jenkins2flow", "pipelines", "list", "--store", store, cwd=tmp_path)
    assert listed.stdout.split()[:3] == ["daily_sales", "v1", "published"]


def test_installed_toolkit_reads_its_rules_from_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = ("import jenkins2flow, jenkins2flow.convert.rules as r; print(jenkins2flow.__file__); "
            "print(r.DEFAULT_DIR); print(sorted(p.name for p in r.DEFAULT_DIR.glob('*.yaml')))")
    out = _run(installed / "python", "-c", code, cwd=tmp_path).stdout.splitlines()
    site = Path(out[0]).parent
    assert str(ROOT) not in out[0] and "site-packages" in out[0]
    assert Path(out[1]) == site / "mappings"
    assert out[2] == str(sorted(p.name for p in (ROOT / "mappings").glob("*.yaml")))

"""The two wheels, built as a user builds them and installed (not editable) into a fresh virtualenv, convert the
samples: the default rules (mappings/) and templates travel inside the wheel, and the toolkit runs without the
source tree, without Airflow and without the optional extras. Each package has one version, which the toolkit's
requirement on the runtime follows."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import jenkins2flow_runtime
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import jenkins2flow
from tests.conftest import ROOT, SAMPLES

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


@pytest.mark.slow
def test_installed_wheels_convert_the_samples_into_a_store(installed: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    done = _run(installed / "jenkins2flow", "convert", SAMPLES / "jenkinsfiles", "--store", store, "--job-name",
                "daily_sales", "--timezone", "UTC", cwd=tmp_path)  # the job's Jenkins name and zone: H is exact
    # partial: given alone, the Jenkinsfile's implicit checkout of its own repository is flagged (scm.own unset)
    assert "daily_sales: partial" in done.stdout
    with sqlite3.connect(store) as db:
        heads = db.execute("SELECT name FROM versions WHERE kind='pipeline'").fetchall()
    assert heads == [("daily_sales",)]
    listed = _run(installed / "jenkins2flow", "pipelines", "list", "--store", store, cwd=tmp_path)
    assert listed.stdout.split()[:3] == ["daily_sales", "v1", "published"]


@pytest.mark.slow
def test_installed_toolkit_reads_its_rules_from_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = ("import jenkins2flow, jenkins2flow.convert.rules as r; print(jenkins2flow.__file__); "
            "print(r.DEFAULT_DIR); print(sorted(p.name for p in r.DEFAULT_DIR.glob('*.yaml')))")
    out = _run(installed / "python", "-c", code, cwd=tmp_path).stdout.splitlines()
    site = Path(out[0]).parent
    assert str(ROOT) not in out[0] and "site-packages" in out[0]
    assert Path(out[1]) == site / "mappings"
    assert out[2] == str(sorted(p.name for p in (ROOT / "mappings").glob("*.yaml")))


@pytest.mark.slow
def test_installed_versions_and_missing_extras(installed: Path, tmp_path: Path) -> None:
    code = "from importlib.metadata import version as v; print(v('jenkins2flow'), v('jenkins2flow-runtime'))"
    out = _run(installed / "python", "-c", code, cwd=tmp_path).stdout.split()
    assert out == [jenkins2flow.__version__, jenkins2flow_runtime.__version__]
    for module in ("boto3", "pymongo", "airflow"):
        absent = subprocess.run([installed / "python", "-c", f"import {module}"], capture_output=True, check=False)
        assert absent.returncode == 1, f"{module} was installed without its extra"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([installed / "jenkins2flow", "pipelines", "list", "--store", "mongodb://localhost:1/c"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "pip install 'jenkins2flow[mongo]'" in done.stderr, done.stderr


def test_one_version_per_package_and_the_toolkit_needs_the_runtime_of_its_release_line() -> None:
    for pyproject, package in ((ROOT / "pyproject.toml", jenkins2flow), (ROOT / "runtime" / "pyproject.toml",
                                                                       jenkins2flow_runtime)):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
        assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": f"{package.__name__}.__version__"}
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    runtime = next(Requirement(d) for d in deps if Requirement(d).name == "jenkins2flow-runtime")
    line = Version(jenkins2flow.__version__).release[:2]
    assert runtime.specifier.contains(jenkins2flow_runtime.__version__)
    assert runtime.specifier.contains(f"{line[0]}.{line[1]}.99")
    assert not runtime.specifier.contains(f"{line[0]}.{line[1] + 1}.0") and not runtime.specifier.contains("0.0.1")

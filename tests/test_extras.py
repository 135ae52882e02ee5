"""boto3 and pymongo are extras ([aws], [mongo]): without them, what needs them says in one sentence which extra to
install, and nothing else is affected. (The packages are hidden here; tests/test_install.py runs a real install
without the extras.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime.extras import MissingExtra
from jenkins2flow_runtime.fargate import FargateConfig, FargateLauncher
from jenkins2flow_runtime.model.shadow import S3Output
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.main import cli
from jenkins2flow.shadow.compare.s3 import compare_s3
from jenkins2flow.shadow.normalize import Normalizer


def _hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    monkeypatch.delitem(sys.modules, "jenkins2flow_runtime.store.mongo", raising=False)  # imported afresh


def test_fargate_without_boto3_names_the_aws_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "boto3")
    with pytest.raises(MissingExtra, match=r"^Container tasks on Fargate needs boto3, .*'jenkins2flow\[aws\]'"):
        FargateLauncher(FargateConfig())


def test_s3_comparison_without_boto3_is_an_error_result_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "boto3")
    result = compare_s3(S3Output(kind="s3", prefix="s3://lake/x"), Normalizer())
    assert result.status == "error"
    assert result.error.startswith("Comparing S3 outputs needs boto3, which is not installed: install the 'aws' extra")


def test_mongo_store_without_pymongo_names_the_mongo_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _hide(monkeypatch, "pymongo", "pymongo.errors")
    with pytest.raises(MissingExtra, match=r"^The MongoDB store needs pymongo, .*'jenkins2flow-runtime\[mongo\]'"):
        open_store("mongodb://localhost:1/catalog")
    open_store(f"{tmp_path}/store.db", create=True).close()  # the SQLite store needs neither


def test_cli_prints_the_missing_extra_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "pymongo", "pymongo.errors")
    result = CliRunner().invoke(cli, ["pipelines", "list", "--store", "mongodb://localhost:1/catalog"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "The MongoDB store needs pymongo, which is not installed: install the 'mongo' extra (pip install "
        "'jenkins2flow[mongo]', or 'jenkins2flow-runtime[mongo]' where only the runtime is installed)."]

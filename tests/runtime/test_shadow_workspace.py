"""Shadow runs never write where production runs do: the runtime puts them under <workspace root>/shadow."""

from __future__ import annotations

from pathlib import Path

import pytest
from jenkins2flow_runtime.workspace import is_shadow, run_workspace


@pytest.fixture(autouse=True)
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JENKINS2FLOW_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("JENKINS2FLOW_SHADOW", raising=False)
    return tmp_path / "ws"


def test_production_and_shadow_runs_have_separate_roots(root: Path) -> None:
    assert run_workspace("p", "manual__1") == root / "p" / "manual__1"
    assert run_workspace("p", "manual__1", shadow=True) == root / "shadow" / "p" / "manual__1"


def test_a_root_that_is_already_the_shadow_root_is_not_nested(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENKINS2FLOW_WORKSPACE", str(root / "shadow"))
    assert run_workspace("p", "r", shadow=True) == root / "shadow" / "p" / "r"


@pytest.mark.parametrize(("conf", "env", "expected"), [
    ({"JENKINS2FLOW_SHADOW": "1"}, None, True),
    ({"JENKINS2FLOW_SHADOW": True}, None, True),
    ({}, "1", True),
    ({}, None, False),
    ({"JENKINS2FLOW_SHADOW": "0"}, "1", False),  # the run conf decides over the environment
    (None, None, False),
])
def test_shadow_flag(conf: dict | None, env: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if env is not None:
        monkeypatch.setenv("JENKINS2FLOW_SHADOW", env)
    assert is_shadow(conf) is expected


def test_run_ids_cannot_escape_the_root(root: Path) -> None:
    path = run_workspace("../../etc", "../../../passwd", shadow=True)
    assert path.is_relative_to(root / "shadow")

"""Hostile files given to `catalog import`: YAML alias and depth bombs, a binary file, an oversized file. Each is
one line on stderr and exit 1, within a bounded time (the subprocess timeout: a bomb that expanded would blow it),
and nothing is written. YAML with ordinary anchors still imports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from adversarial_helpers import cli, one_line_error
from jenkins2flow_runtime.store import open_store

from jenkins2flow import safe_yaml

HEADER = "kind: concrete_task\nname: bomb\nspec:\n  type: shell\n  command: echo hi\n  env:\n"


def _laughs(levels: int = 10) -> str:
    """The billion laughs: 10 aliases per level, 10**levels strings once expanded, a few hundred bytes here."""
    lines = ['    l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return HEADER + "\n".join(lines) + "\n"


BOMBS = {
    "alias-bomb": (_laughs(), "aliases expand to more than 1000000 nodes"),
    "deep-flow": (HEADER + "    deep: " + "[" * 200_000 + "]" * 200_000 + "\n", "nested more than 64 levels deep"),
    "deep-block": (HEADER + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(2000)) + "  " * 2002 + "end\n",
                   "nested more than 64 levels deep"),
    "self-alias": (HEADER + "    loop: &loop [*loop]\n", "an alias refers to a node that contains it"),
    "alias-depth": (HEADER + "".join(f"    d{i}: &d{i} [[[[[[[[[[*d{i - 1}]]]]]]]]]]\n" if i else
                                     "    d0: &d0 [x]\n" for i in range(12)), "aliases expand to more than 64 levels"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_yaml_bombs_are_refused_in_one_line(case: str, tmp_path: Path) -> None:
    text, reason = BOMBS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    store = tmp_path / "store.db"

    line = one_line_error(cli("catalog", "import", str(path), "--store", str(store), timeout=60))

    assert line.startswith(f"Error: {case}.yaml: not valid YAML: ") and reason in line, line
    assert not store.exists()  # files are read before the store is opened: nothing written, nothing created


def test_binary_and_oversized_files_are_refused_in_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    line = one_line_error(cli("catalog", "import", str(binary), "--store", str(tmp_path / "s.db")))
    assert line == "Error: blob.yaml: not valid YAML: not a UTF-8 text file (byte 0x89 at offset 0)"

    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"kind: concrete_task\x00\x00\n")
    assert "unacceptable character #x0000" in one_line_error(cli("catalog", "import", str(nul), "--store",
                                                                 str(tmp_path / "s.db")))
    big = tmp_path / "big.yaml"
    big.write_text(HEADER + "    X: '" + "x" * safe_yaml.MAX_BYTES + "'\n")
    line = one_line_error(cli("catalog", "import", str(big), "--store", str(tmp_path / "s.db")))
    assert f"more than the {safe_yaml.MAX_BYTES} a catalog file may have" in line
    assert not (tmp_path / "s.db").exists()


def test_ordinary_anchors_still_import(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("kind: concrete_task\nname: shared_env\nspec:\n  type: shell\n  command: &cmd env\n"
                    "  env: &base {REGION: eu, AGAIN: *cmd}\n  parameters:\n"
                    "    - {name: a, type: string, default: *cmd}\n")
    store = str(tmp_path / "s.db")
    done = cli("catalog", "import", str(path), "--store", store)
    assert done.returncode == 0, done.stderr
    with open_store(store) as s:
        spec = s.get("concrete_task", "shared_env").spec
        assert spec.env == {"REGION": "eu", "AGAIN": "env"} and spec.parameters[0].default == "env"  # type: ignore[union-attr]

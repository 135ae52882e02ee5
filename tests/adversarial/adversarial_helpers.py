"""Helpers of the adversarial store tests (imported by the test modules, and by their child processes)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `jenkins2flow` entry point in its own process (bounded: a hang fails the test, never blocks it)."""
    return subprocess.run([sys.executable, "-m", "jenkins2flow.cli", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})}, cwd=ROOT)


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that failed with exit 1 and no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` (a file) unwritable, even for root (chattr +i), then writable again."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False).returncode:
            pytest.skip("running as root on a filesystem without chattr +i: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run([chattr, "-i", str(path)], check=False)
        return
    mode = path.stat().st_mode
    path.chmod(0o444)
    try:
        yield
    finally:
        path.chmod(mode)


def small_catalog(store: Path | str) -> None:
    """Two published pipelines on one shared task, in a new SQLite store."""
    sys.path.insert(0, str(ROOT / "tests" / "runtime"))
    from catalog_samples import publish_all, shell_pipeline

    publish_all(store, shell_pipeline("alpha") + shell_pipeline("beta")[1:])



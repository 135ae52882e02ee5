"""Run a child process with an exact environment, stream its output line by line, return its exit code."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def stream_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Callable[[str], None] = print,
    timeout: float | None = None,
) -> int:
    """Run `argv` in its own session; every output line goes to `log`; on any interruption the whole process
    group is killed (so Airflow's timeout or kill never leaves children behind)."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        with proc.stdout:
            for line in proc.stdout:
                log(line.rstrip("\n"))
        return proc.wait(timeout=timeout)
    except BaseException:
        kill_group(proc)
        raise


def kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()

"""Run a child process with an exact environment, stream its output line by line, return its exit code (and, when
asked, its standard output)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True, slots=True)
class Ran:
    """How a process ended: its exit code and, when captured, its whole standard output (untrimmed)."""

    code: int
    stdout: str | None = None


def stream_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Callable[[str], None] = print,
    timeout: float | None = None,
    capture: bool = False,
) -> Ran:
    """Run `argv` in its own session; every output line goes to `log`; on any interruption the whole process
    group is killed (so Airflow's timeout or kill never leaves children behind). With `capture`, the standard
    output is kept (not logged, as Jenkins' `sh(returnStdout: true)` does not print it) and standard error is
    logged."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture else subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        if not capture:
            with proc.stdout:
                for line in proc.stdout:
                    log(line.rstrip("\n"))
            return Ran(proc.wait(timeout=timeout))
        assert proc.stderr is not None
        errors = threading.Thread(target=_log_lines, args=(proc.stderr, log), daemon=True)
        errors.start()
        with proc.stdout:
            out = proc.stdout.read()
        code = proc.wait(timeout=timeout)
        errors.join()
        return Ran(code, out)
    except BaseException:
        kill_group(proc)
        raise


def _log_lines(stream: IO[str], log: Callable[[str], None]) -> None:
    with stream:
        for line in stream:
            log(line.rstrip("\n"))


def kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()

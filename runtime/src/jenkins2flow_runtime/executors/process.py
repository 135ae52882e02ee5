"""Run a child process with an exact environment, stream its output line by line, return its exit code (and, when
asked, its standard output, as Jenkins' `sh(returnStdout: true)` returns it).

The task ends when the child itself ends, not when its output does: a background process it started (`sleep 300 &`)
keeps the output pipe open, so once the child has exited its output is drained for at most `DRAIN_SECONDS`, and
then its whole process group is killed, as Jenkins kills the processes a build started when the build (for a
Pipeline `sh` step: the step) ends. As in Jenkins, a child started with `BUILD_ID=dontKillMe` or
`JENKINS_NODE_COOKIE=dontKillMe` in its environment is left running; what it writes after the task ended is not
logged. A `timeout` bounds the whole run, output included.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DRAIN_SECONDS = 1.0
DONT_KILL = "dontKillMe"
_EOF = object()


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
    group is killed (so Airflow's timeout or kill never leaves children behind). Raises subprocess.TimeoutExpired
    after `timeout` seconds. With `capture`, the standard output is kept whole (not logged: Jenkins' `sh(returnStdout:
    true)` does not print it) and only standard error is logged."""
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
    lines: queue.Queue[object] = queue.Queue()
    kept: list[str] | None = [] if capture else None
    pipes = [(proc.stdout, kept)] + ([(proc.stderr, None)] if capture and proc.stderr is not None else [])
    for stream, keep in pipes:
        threading.Thread(target=_pump, args=(stream, lines, keep), name="j2f-output", daemon=True).start()
    open_pipes = len(pipes)
    deadline = None if timeout is None else time.monotonic() + timeout

    def ran(code: int) -> Ran:
        return Ran(code, None if kept is None else "".join(kept))

    try:
        drain_until: float | None = None
        while True:
            try:
                item = lines.get(timeout=0.05)
            except queue.Empty:
                item = None
            if item is _EOF:
                open_pipes -= 1
                if not open_pipes:  # every writer closed the pipes: only the child's own end is left to wait for
                    return ran(proc.wait(timeout=None if deadline is None else max(0.0, deadline - time.monotonic())))
            if isinstance(item, str):
                log(item.rstrip("\n"))
            now = time.monotonic()
            if deadline is not None and now > deadline:
                raise subprocess.TimeoutExpired(list(argv), timeout or 0.0)
            if drain_until is None and proc.poll() is not None:
                drain_until = now + DRAIN_SECONDS
            if drain_until is not None and now > drain_until:
                break  # the child has ended; what still holds its output is a process it left behind
        if not _dont_kill(env):
            kill_group(proc)
            _drain(lines, log, time.monotonic() + DRAIN_SECONDS)
        return ran(proc.returncode)
    except BaseException:
        kill_group(proc)
        raise


def _pump(stream: IO[str], lines: queue.Queue[object], keep: list[str] | None = None) -> None:
    """Each line of `stream` to the log queue (or kept in `keep`), then the end marker."""
    try:
        with stream:
            for line in stream:
                if keep is None:
                    lines.put(line)
                else:
                    keep.append(line)
    except (OSError, ValueError):  # the pipe went away under us
        pass
    finally:
        lines.put(_EOF)


def _drain(lines: queue.Queue[object], log: Callable[[str], None], until: float) -> None:
    """The lines written before the group was killed, until the pipe closes (or `until`)."""
    while time.monotonic() < until:
        try:
            item = lines.get(timeout=0.05)
        except queue.Empty:
            continue
        if item is _EOF:
            return
        if isinstance(item, str):
            log(item.rstrip("\n"))


def _dont_kill(env: Mapping[str, str]) -> bool:
    return DONT_KILL in (env.get("BUILD_ID"), env.get("JENKINS_NODE_COOKIE"))


def kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()

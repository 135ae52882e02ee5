"""A background child holding stdout open does not hold the task past its own end: once the shell has exited, its
output is drained briefly and its process group killed (Jenkins' behaviour), unless BUILD_ID=dontKillMe; a timeout
bounds the whole run, output included."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from jenkins2flow_runtime.executors.process import DRAIN_SECONDS, stream_process
from jenkins2flow_runtime.executors.shell import run_shell

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pgid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _group_alive(pgid):
            return True
        time.sleep(0.05)
    return False


def test_a_background_child_does_not_hold_the_task(tmp_path: Path) -> None:
    lines: list[str] = []
    started = time.monotonic()
    code = stream_process(["sh", "-c", "sleep 30 & echo $$; echo done"], cwd=tmp_path, env=ENV, log=lines.append).code
    elapsed = time.monotonic() - started
    assert code == 0 and lines[1:] == ["done"]
    assert elapsed < DRAIN_SECONDS + 5  # about a second, not the 30 s of the sleep
    assert _gone_within(int(lines[0]), 5)  # the sleep was killed with its group


def test_the_exit_code_is_the_shells_and_late_output_within_the_drain_is_kept(tmp_path: Path) -> None:
    lines: list[str] = []
    code = stream_process(["sh", "-c", "(sleep 0.2; echo late) & echo early; exit 3"], cwd=tmp_path, env=ENV,
                          log=lines.append).code
    assert code == 3 and lines == ["early", "late"]


def test_dont_kill_me_leaves_the_child_running(tmp_path: Path) -> None:
    lines: list[str] = []
    env = {**ENV, "BUILD_ID": "dontKillMe"}
    started = time.monotonic()
    code = stream_process(["sh", "-c", "sleep 30 & echo $$"], cwd=tmp_path, env=env, log=lines.append).code
    pgid = int(lines[0])
    try:
        assert code == 0 and time.monotonic() - started < DRAIN_SECONDS + 5
        assert _group_alive(pgid)
    finally:
        os.killpg(pgid, signal.SIGKILL)


def test_a_timeout_bounds_the_run_even_while_output_flows(tmp_path: Path) -> None:
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_shell("echo $$\nwhile true; do echo tick; sleep 0.05; done\n", cwd=tmp_path, env=ENV, log=lines.append,
                  timeout=0.5)
    assert time.monotonic() - started < 5  # the loop never ends and never closes its output
    assert lines[1].isdigit() and lines.count("tick") >= 2  # (sh -x echoes each command first)
    assert _gone_within(int(lines[1]), 5)


def test_a_background_child_does_not_hold_a_captured_output(tmp_path: Path) -> None:
    """With the standard output kept (sh returnStdout), a child left behind still does not hold the task, and what
    was written before the shell ended is kept whole."""
    lines: list[str] = []
    started = time.monotonic()
    ran = stream_process(["sh", "-c", "sleep 30 & echo $$ >&2; printf 'v1\\n'"], cwd=tmp_path, env=ENV,
                         log=lines.append, capture=True)
    assert ran.code == 0 and ran.stdout == "v1\n" and time.monotonic() - started < DRAIN_SECONDS + 5
    assert _gone_within(int(lines[0]), 5)

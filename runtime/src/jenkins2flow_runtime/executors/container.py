"""Container tasks: where they run (local subprocess for development, or ECS Fargate) and the local runner.

The executor is the pipeline task's `executor` (local | fargate); $JENKINS2FLOW_CONTAINER_EXECUTOR, when set,
overrides it for every task of the deployment (e.g. `local` on a laptop, `fargate` in production).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from jenkins2flow_runtime.executors.process import Ran, stream_process

EXECUTORS = ("local", "fargate")


def container_executor(task_choice: str, env: Mapping[str, str] | None = None) -> str:
    forced = (env if env is not None else os.environ).get("JENKINS2FLOW_CONTAINER_EXECUTOR", "").strip().lower()
    choice = forced or task_choice or "local"
    if choice not in EXECUTORS:
        raise ValueError(
            f"Container executor {choice!r} is not known; use one of {', '.join(EXECUTORS)} "
            "(JENKINS2FLOW_CONTAINER_EXECUTOR or the pipeline task's executor)."
        )
    return choice


def container_argv(command: str) -> list[str]:
    """The argv a container task runs, in the image or locally: the command through `sh -c`."""
    return ["/bin/sh", "-c", command]


def run_local(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Callable[[str], None] = print,
    timeout: float | None = None,
    capture: bool = False,
) -> Ran:
    """Run the container command as a subprocess on this worker (no image is pulled: development only)."""
    return stream_process(container_argv(command), cwd=cwd, env=env, log=log, timeout=timeout, capture=capture)

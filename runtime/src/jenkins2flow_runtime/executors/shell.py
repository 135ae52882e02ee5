"""Run a shell step the way Jenkins' `sh` does: the script is data, written to a file and run with `sh -xe`.

The script text is never rendered by any template engine. Output is streamed line by line to `log`; the exit code
is returned, and a non-zero code fails the task (Jenkins' fail-fast `sh`) unless the task records its status.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from jenkins2flow_runtime.executors.process import Ran, stream_process


class ShellError(RuntimeError):
    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


def shell_command(script_path: Path, script: str, shell: str) -> list[str]:
    """The argv Jenkins would use: a shebang line runs the file itself, else `sh -xe file`."""
    if shell == "sh":
        if script.startswith("#!"):
            script_path.chmod(0o700)
            return [str(script_path)]
        return ["/bin/sh", "-xe", str(script_path)]
    if shell == "powershell":
        pwsh = shutil.which("pwsh") or shutil.which("powershell")
        if pwsh is None:
            raise ShellError("A powershell step needs `pwsh` on the worker, and none is installed.", 127)
        return [pwsh, "-NoProfile", "-NonInteractive", "-File", str(script_path)]
    if os.name == "nt":  # Jenkins' bat: cmd /c call script
        return [os.environ.get("COMSPEC", "cmd.exe"), "/d", "/c", "call", str(script_path)]
    raise ShellError(f"A {shell!r} step (Windows batch) cannot run on this worker; route it to a Windows queue.", 127)


def run_shell(
    script: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    shell: str = "sh",
    log: Callable[[str], None] = print,
    timeout: float | None = None,
    capture: bool = False,
) -> Ran:
    """Run `script` in `cwd` with exactly `env`; stream its output to `log`; return its exit code (and, with
    `capture`, its standard output: see stream_process)."""
    suffix = {"sh": ".sh", "powershell": ".ps1"}.get(shell, ".cmd")
    with tempfile.TemporaryDirectory(prefix="j2f-") as tmp:
        path = Path(tmp) / f"script{suffix}"
        path.write_text(script, encoding="utf-8")
        argv = shell_command(path, script, shell)
        return stream_process(argv, cwd=cwd, env=env, log=log, timeout=timeout, capture=capture)

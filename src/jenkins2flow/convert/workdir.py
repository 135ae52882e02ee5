"""The folder a shell task runs in: a custom workspace (`customWorkspace`, `ws`, a freestyle <customWorkspace>) and
`dir` steps, as lines put before the script in the script's own language. Jenkins creates both folders when they
are missing; a custom workspace also becomes the task's WORKSPACE. The run's workspace is the process's folder.
"""

from __future__ import annotations

import re
import shlex

# a shebang that runs a POSIX shell: the folder lines go after it, in that shell
_POSIX_SHEBANG = re.compile(r"^#!\s*(?:/usr)?/bin/(?:env\s+)?(?:sh|bash|dash|ksh|zsh)\b")
_BAT_SAFE = re.compile(r"^[\w .\-/\\:]+$")


def _ps(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lines(shell: str, workspace: str, cwd: str) -> list[str] | None:
    """The lines that enter `workspace` (setting WORKSPACE) then `cwd`; None when a path cannot be written safely."""
    out: list[str] = []
    for path, is_workspace in ((workspace, True), (cwd, False)):
        if not path:
            continue
        if shell == "sh":
            q = shlex.quote(path)
            out.append(f"mkdir -p -- {q} && cd -- {q} || exit 1")
            if is_workspace:
                out.append('WORKSPACE="$PWD"; export WORKSPACE')
        elif shell == "powershell":
            out.append(f"New-Item -ItemType Directory -Force -Path {_ps(path)} | Out-Null; "
                       f"Set-Location -LiteralPath {_ps(path)}")
            if is_workspace:
                out.append("$env:WORKSPACE = (Get-Location).Path")
        else:  # bat: no quoting can make %, ^, &, " safe inside cmd.exe's parser
            if not _BAT_SAFE.match(path):
                return None
            win = path.replace("/", "\\")
            out += [f'if not exist "{win}\\" mkdir "{win}"', f'cd /d "{win}" || exit /b 1']
            if is_workspace:
                out.append('set "WORKSPACE=%CD%"')
    return out


def folder(workspace: str, cwd: str) -> str:
    """Where a task runs, relative to the run's workspace ("" for the workspace itself): the ws() folder, then the
    dir() folder inside it."""
    return "/".join(p for p in (workspace, cwd) if p)


def in_workdir(script: str, shell: str, workspace: str, cwd: str) -> tuple[str, str]:
    """(the script that runs in the folder, "") or (the script unchanged, why it runs in the run's workspace)."""
    if not workspace and not cwd:
        return script, ""
    where = folder(workspace, cwd)
    lines = _lines(shell, workspace, cwd)
    if lines is None:
        return script, f"the folder {where!r} cannot be written safely for cmd.exe: the script runs in the run's " \
                       "workspace"
    if script.startswith("#!"):
        first, _, rest = script.partition("\n")
        if not _POSIX_SHEBANG.match(first):
            return script, f"the script runs its own interpreter ({first.strip()!r}): it starts in the run's " \
                           f"workspace, not in {where!r}"
        return "\n".join([first, *lines, rest]), ""
    sep = "\r\n" if shell == "bat" else "\n"
    return sep.join([*lines, script]), ""

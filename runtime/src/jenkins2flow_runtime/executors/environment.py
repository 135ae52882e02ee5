"""Jenkins' `NAME+SUFFIX=value` variables (`PATH+JDK=/opt/jdk/bin` from a tool, `withEnv(['PATH+X=...'])`): each
prepends its value to NAME, as Jenkins' EnvVars.override does, instead of being a variable of its own.

On this worker the task's environment is known, so they are applied to it (`apply_prepends`); a Fargate container's
PATH is the image's, so there they become a line of shell before the command (`prepend_command`), with every value
quoted (nothing from Jenkins is run as shell text of its own)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping


def split_prepends(env: Mapping[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(the plain variables, the (NAME, value) prepends in order)."""
    plain: dict[str, str] = {}
    prepends: list[tuple[str, str]] = []
    for key, value in env.items():
        name, plus, suffix = key.partition("+")
        if plus and name and suffix:
            prepends.append((name, value))
        else:
            plain[key] = value
    return plain, prepends


def apply_prepends(env: Mapping[str, str], sep: str = os.pathsep) -> dict[str, str]:
    """`env` with each `NAME+X=value` prepended to NAME (the later ones first, as Jenkins applies them in turn)."""
    out, prepends = split_prepends(env)
    for name, value in prepends:
        out[name] = f"{value}{sep}{out[name]}" if out.get(name) else value
    return out


def prepend_command(env: Mapping[str, str], command: str) -> tuple[dict[str, str], str]:
    """(the plain variables, the command after shell lines that prepend to the image's own variables)."""
    plain, prepends = split_prepends(env)
    lines = [f'{name}={shlex.quote(value)}"${{{name}:+:${name}}}"; export {name}' for name, value in prepends
             if name.isidentifier()]
    return plain, "\n".join([*lines, command]) if lines else command

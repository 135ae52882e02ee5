"""Jenkins `sh`/`bat`/`powershell` steps as shell scripts that run unchanged outside Jenkins.

Groovy interpolation happens before the shell sees the script. Parameters and environment variables are exported
to the shell as environment variables at run time, so `${params.X}`, `${env.X}` and `${X}` become the shell
reference `${X}`; any other Groovy expression cannot be evaluated outside Jenkins and is reported.
"""

from __future__ import annotations

import re

from jenkins2flow.ir import Expr, GString, Interp, Step

SHELL_STEPS = {"sh": "sh", "bat": "bat", "powershell": "powershell", "pwsh": "powershell"}
_SIMPLE_REF = re.compile(r"^(?:params\.|env\.)?([A-Za-z_][A-Za-z0-9_]*)$")


def script_arg(step: Step) -> object:
    """The script argument of a shell step: the first positional argument, or `script:`."""
    if step.args:
        return step.args[0]
    return step.kwarg("script")


def to_shell(value: object) -> tuple[str, list[str]]:
    """The script text and the Groovy expressions that could not be turned into shell references."""
    if isinstance(value, str):
        return value, []
    if isinstance(value, GString):
        out: list[str] = []
        unresolved: list[str] = []
        for part in value.parts:
            if isinstance(part, Interp):
                m = _SIMPLE_REF.match(part.expr.strip())
                if m:
                    out.append("${" + m.group(1) + "}")
                else:
                    unresolved.append(part.expr)
                    out.append("${" + part.expr + "}")
            else:
                out.append(part)
        return "".join(out), unresolved
    if isinstance(value, Expr):
        return value.text, [value.text]
    return "", [repr(value)]

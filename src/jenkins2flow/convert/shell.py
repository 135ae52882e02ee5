"""Jenkins `sh`/`bat`/`powershell` steps: where their script is. The script itself is a Groovy value made into the
task's shell text by the evaluator (convert.evaluate.shell_text), through `Scope.ev.shell`."""

from __future__ import annotations

from jenkins2flow.ir import Step

SHELL_STEPS = {"sh": "sh", "bat": "bat", "powershell": "powershell", "pwsh": "powershell"}


def script_arg(step: Step) -> object:
    """The script argument of a shell step: the first positional argument, or `script:`."""
    if step.args:
        return step.args[0]
    return step.kwarg("script")

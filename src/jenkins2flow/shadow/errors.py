"""A shadow run that could not run: exit code 2, with the reason."""

from __future__ import annotations

from jenkins2flow.errors import Jenkins2flowError


class CannotRun(Jenkins2flowError):
    exit_code = 2

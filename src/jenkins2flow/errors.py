"""One base exception for errors a user can act on; each carries its exit code."""

from __future__ import annotations


class Jenkins2flowError(Exception):
    exit_code = 1


class UsageError(Jenkins2flowError):
    exit_code = 2


class ConversionFailed(Jenkins2flowError):
    """At least one job failed to convert; the message has one `path:line:col: message` line per failed job."""

    exit_code = 1

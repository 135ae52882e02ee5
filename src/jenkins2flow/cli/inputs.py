"""The SOURCE arguments of the estate commands (audit, convert, dry-run, inspect): files found in a folder that are
not jobs are named on stderr, and bad arguments make the command exit 1 once the rest of the batch is done."""

from __future__ import annotations

import click

from jenkins2flow.errors import Jenkins2flowError
from jenkins2flow.sources import Inputs


def finish(inputs: Inputs, *, unreadable: bool = True, more: list[str] | None = None,
           error: type[Jenkins2flowError] = Jenkins2flowError) -> None:
    """Name the skipped files; raise `error` (exit 1) with one line per bad argument, per job that could not be read
    (with `unreadable`; `convert` reports those as failed jobs itself) and per line of `more`."""
    for line in inputs.skipped:
        click.echo(f"skipped {line}", err=True)
    lines = inputs.errors + (inputs.unreadable if unreadable else []) + (more or [])
    if lines:
        raise error("\n".join(lines))

"""Progress bars (rich) for the long commands, on stderr and only when it is a terminal: CI logs and pipes stay plain
(the commands print the same lines either way)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from jenkins2flow.cli.console import make_console


class Bar:
    """One bar: `start(total)` when the total is known, `advance(text)` per item, `phase(text)` for a step of a
    command that has steps rather than items. Does nothing off a terminal."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self.progress = progress
        self.task = task

    @property
    def shown(self) -> bool:
        return self.progress is not None

    def start(self, total: int | None) -> None:
        self._update(total=total)

    def advance(self, text: str = "", steps: int = 1) -> None:
        self._update(advance=steps, **({"description": text[:60]} if text else {}))

    def phase(self, text: str) -> None:
        self._update(description=text[:60])

    def _update(self, **changes: Any) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, **changes)


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Bar]:
    """A bar on stderr while the block runs (gone when it ends), when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield Bar()
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=make_console(stderr=True), transient=True) as progress:
        yield Bar(progress, progress.add_task(description, total=total))


__all__ = ["Bar", "progress_bar"]

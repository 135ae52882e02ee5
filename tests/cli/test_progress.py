"""Progress bars show on a terminal only: CI logs and pipes get the commands' plain lines and nothing else."""

from __future__ import annotations

import io
import sys

import pytest

from jenkins2flow.cli.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_and_nothing_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    with progress_bar("converting") as bar:
        bar.start(3)
        bar.advance("converting team/etl")
        assert not bar.shown
    assert plain.getvalue() == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("converting") as bar:
        bar.start(3)
        bar.advance("converting team/etl")
        bar.phase("saving")
        assert bar.shown and bar.progress is not None
        task = bar.progress.tasks[0]
        assert (task.total, task.completed, task.description) == (3, 1, "saving")

"""PipelineTask.matrix: cells validated with field paths; a task without a matrix keeps its hash."""

from __future__ import annotations

from typing import Any

import pytest
from jenkins2flow_runtime.model import ModelError, make

USES = {"kind": "concrete_task", "name": "build", "version": 1}


def _spec(matrix: Any = None) -> dict[str, Any]:
    task: dict[str, Any] = {"id": "build", "uses": USES}
    if matrix is not None:
        task["matrix"] = matrix
    return {"tasks": [{"id": "first", "uses": USES}, task]}


def _issues(matrix: Any) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as err:
        make("pipeline", "p", _spec(matrix))
    return err.value.issues


def test_valid_matrix_is_kept_in_order() -> None:
    cells = [{"PLATFORM": "linux", "BROWSER": "firefox"}, {"PLATFORM": "mac", "BROWSER": "safari"}]
    doc = make("pipeline", "p", _spec(cells))
    assert doc.spec.tasks[1].matrix == cells  # type: ignore[union-attr]


def test_bad_cells_are_named_by_field_path() -> None:
    found = _issues([{"PLATFORM": "linux", "BROWSER": "firefox"},
                     {"PLATFORM": "mac"},  # an axis missing
                     {"PLATFORM": "linux", "BROWSER": "firefox"},  # a repeat of cell 0
                     {},  # no axes at all
                     {"PLATFORM": "win", "BROWSER": "edge", "bad-name": "x"}])
    paths = [p for p, _ in found]
    assert paths == ["spec.tasks[1].matrix[1]", "spec.tasks[1].matrix[2]", "spec.tasks[1].matrix[3]",
                     "spec.tasks[1].matrix[4].bad-name", "spec.tasks[1].matrix[4]"]
    messages = dict(found)
    assert "every cell has the same axes" in messages["spec.tasks[1].matrix[1]"]
    assert "repeats matrix[0]" in messages["spec.tasks[1].matrix[2]"]
    assert "not valid as an environment variable" in messages["spec.tasks[1].matrix[4].bad-name"]


def test_axis_values_must_be_strings() -> None:
    found = _issues([{"PLATFORM": 3}])
    assert [p for p, _ in found] == ["spec.tasks[1].matrix[0].PLATFORM"]


def test_no_matrix_leaves_the_hash_unchanged() -> None:
    assert make("pipeline", "p", _spec()).spec_hash == make("pipeline", "p", _spec([])).spec_hash
    assert make("pipeline", "p", _spec([{"A": "1"}])).spec_hash != make("pipeline", "p", _spec()).spec_hash

"""Golden conversions of Groovy values (issue 12, classes 3, 4, 6 and 10): `golden_groovy/<case>.Jenkinsfile` ->
`golden_groovy/<case>.expected.yaml`: the status, every ledger entry that is not `mapped` (with its place), then
each task as the pipeline has it (what it runs, its dependencies, environment, bindings, outputs, cells, condition)
and the notifications.

Adding a case is adding its Jenkinsfile; `JENKINS2FLOW_UPDATE_GOLDEN=1 pytest tests/convert/test_groovy_golden.py`
writes the expected files (review the diff: is this what Jenkins does?). The property each case is about is also
asserted by tests/convert/test_groovy_values.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

GOLDEN = Path(__file__).parent / "golden_groovy"
CASES = sorted(p.name[: -len(".Jenkinsfile")] for p in GOLDEN.glob("*.Jenkinsfile"))


def convert_case(name: str) -> Conversion:
    path = GOLDEN / f"{name}.Jenkinsfile"
    return convert_job(parse_jenkinsfile(path.read_text(encoding="utf-8"), path.name, name))


def _task(task: Any, docs: dict[str, Any]) -> dict[str, Any]:
    spec = docs[task.uses.name].spec
    out: dict[str, Any] = {"id": task.id}
    if getattr(spec, "command", ""):
        out["runs"] = spec.command
    elif getattr(spec, "callable", ""):
        out["calls"] = spec.callable.rsplit(":", 1)[-1]
    else:
        out["sql"] = spec.sql
    out["after"] = list(task.depends_on)
    if task.trigger_rule != "all_success":
        out["trigger_rule"] = task.trigger_rule
    for field in ("env", "bindings", "outputs", "condition"):
        if getattr(task, field):
            out[field] = getattr(task, field)
    if getattr(spec, "secrets", None):
        out["secrets"] = [f"{s.env} <- {s.source} {s.id} {s.field}".strip() for s in spec.secrets]
    if task.matrix:
        out["cells"] = [" ".join(f"{k}={v}" for k, v in cell.items()) for cell in task.matrix]
    for field in ("retries", "timeout_seconds"):
        if getattr(task, field) is not None:
            out[field] = getattr(task, field)
    return out


def render(conv: Conversion) -> str:
    data: dict[str, Any] = {
        "status": conv.status,
        "not_mapped": [f"{e.outcome} {e.element} at {e.span}: {e.reason}" for e in conv.ledger
                       if e.outcome != "mapped"],
    }
    if conv.pipeline is not None:
        docs = {d.name: d for d in conv.tasks}
        data["tasks"] = [_task(t, docs) for t in conv.pipeline.tasks]
        data["notifications"] = [n.model_dump(mode="json", exclude_defaults=True) for n in conv.pipeline.notifications]
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=120)


class _NoAliases(yaml.SafeDumper):
    """Trees shared between tasks are written out in full (no &anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    got = render(convert_case(name))
    expected = GOLDEN / f"{name}.expected.yaml"
    if os.environ.get("JENKINS2FLOW_UPDATE_GOLDEN") == "1":
        expected.write_text(got, encoding="utf-8")
    assert expected.is_file(), f"{expected.name} is missing; run with JENKINS2FLOW_UPDATE_GOLDEN=1 to write it."
    assert got == expected.read_text(encoding="utf-8")


def test_every_expected_file_has_its_input() -> None:
    orphans = [p.name for p in GOLDEN.glob("*.expected.yaml") if p.name[: -len(".expected.yaml")] not in CASES]
    assert not orphans, f"expected files without an input (delete them): {orphans}"
    assert len(CASES) >= 12

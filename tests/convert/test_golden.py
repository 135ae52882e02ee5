"""Golden conversions: `golden/<case>.Jenkinsfile` or `golden/<case>.config.xml` -> `golden/<case>.expected.yaml`
(status, reasons, ledger summary, lint findings, then the pipeline and its documents as `dry-run` prints them).

Adding a case is adding its input file; `JENKINS2FLOW_UPDATE_GOLDEN=1 pytest tests/convert/test_golden.py` writes
the expected files (review the diff before committing). See golden/README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.render.explain import ledger_data, pipeline_data

GOLDEN = Path(__file__).parent / "golden"
SUFFIXES = (".Jenkinsfile", ".config.xml")
CASES = sorted(p for p in GOLDEN.iterdir() if p.name.endswith(SUFFIXES))


def case_name(path: Path) -> str:
    return next(path.name[: -len(s)] for s in SUFFIXES if path.name.endswith(s))


def convert_case(name: str) -> Conversion:
    """The conversion of golden case `name` (its input file found by name), with the file name as its path, by the
    default rules plus the case's own folder of rules `<name>.mappings/` when it has one (as --mappings)."""
    mappings = GOLDEN / f"{name}.mappings"
    rules = load_rules([mappings]) if mappings.is_dir() else None
    for suffix in SUFFIXES:
        path = GOLDEN / f"{name}{suffix}"
        if path.is_file():
            if suffix == ".config.xml":
                return convert_job(parse_config_xml(path.read_bytes(), path.name, name), rules)
            return convert_job(parse_jenkinsfile(path.read_text(encoding="utf-8"), path.name, name), rules)
    raise FileNotFoundError(f"no golden case {name!r} in {GOLDEN}")


def render_case(conv: Conversion) -> str:
    data = ledger_data(conv)
    if conv.pipeline is not None:
        data |= pipeline_data(conv)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


@pytest.mark.parametrize("path", CASES, ids=[case_name(p) for p in CASES])
def test_golden(path: Path) -> None:
    got = render_case(convert_case(case_name(path)))
    expected = GOLDEN / f"{case_name(path)}.expected.yaml"
    if os.environ.get("JENKINS2FLOW_UPDATE_GOLDEN") == "1":
        expected.write_text(got, encoding="utf-8")
    assert expected.is_file(), f"{expected.name} is missing; run with JENKINS2FLOW_UPDATE_GOLDEN=1 to write it."
    assert got == expected.read_text(encoding="utf-8")


def test_every_expected_file_has_its_input() -> None:
    inputs = {case_name(p) for p in CASES}
    orphans = [p.name for p in GOLDEN.glob("*.expected.yaml") if p.name[: -len(".expected.yaml")] not in inputs]
    assert not orphans, f"expected files without an input (delete them): {orphans}"
    assert len(CASES) >= 40  # issue 12: at least 40 jobs written for the tests

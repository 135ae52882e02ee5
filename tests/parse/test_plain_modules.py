"""The package is pure Python: every module of `jenkins2flow.parse` loads from its `.py` file (a leftover extension
module from an older, compiled build would shadow its source and run old code)."""

from __future__ import annotations

import importlib
import pkgutil

import jenkins2flow.parse


def test_every_parse_module_is_its_python_source() -> None:
    names = [m.name for m in pkgutil.walk_packages(jenkins2flow.parse.__path__, "jenkins2flow.parse.")]
    assert "jenkins2flow.parse.job_xml" in names and "jenkins2flow.parse.xml.common" in names
    compiled = [n for n in names if not str(importlib.import_module(n).__file__).endswith(".py")]
    assert compiled == [], f"compiled modules shadow their source: {compiled}; delete them (`make clean`)"

"""The build's one extra step: the config.xml reader is compiled to C extension modules with mypyc.

`parse/job_xml.py` and `parse/xml/*.py` (all but `raw.py`, whose lazy node class mypyc cannot compile) read every
config.xml of an estate; compiled, they run about 1.3x faster (`bench/parse_xml.py`). The Python source ships too and
is the same program: `jenkins2flow.parse` loads it instead of the compiled modules when JENKINS2FLOW_PURE is set or
when a compiled module no longer matches its source (see `parse/compiled.py`, which also names the modules).

Everything else about the package is in pyproject.toml. Building without a C compiler, or with
JENKINS2FLOW_PURE=1, gives the pure-Python package, with a warning in the first case.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC / "jenkins2flow" / "parse"))
from compiled import (  # noqa: E402 - a plain module, imported before the package exists
    COMPILED,
    MANIFEST,
    compiled_files,
    source_digest,
    source_path,
)

GROUP = "jenkins2flow_reader"  # the name of the shared library of the compiled modules (`GROUP__mypyc`)


def _warn(message: str) -> None:
    print(f"jenkins2flow build: {message}", file=sys.stderr)


def _in_source_outputs() -> list[Path]:
    """What an in-place (editable) build leaves in src/: the compiled modules, their shared library, the manifest."""
    return [*compiled_files(SRC), *SRC.glob(f"{GROUP}__mypyc.*"), SRC / "jenkins2flow" / "parse" / MANIFEST]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


class BuildCompiled(build_ext):
    """build_ext that records the compiled sources' digests, and falls back to pure Python when compiling fails."""

    def run(self) -> None:
        in_source = self.inplace or getattr(self, "editable_mode", False)
        if in_source:
            _remove(_in_source_outputs())  # a failed build below must not leave older compiled modules behind
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers...: the package still works, slower
            _warn(f"compiling the config.xml reader failed ({type(exc).__name__}: {exc}); building pure Python.")
            _remove([Path(self.build_lib, *self.get_ext_filename(ext.name).split("/")) for ext in self.extensions])
            if in_source:
                _remove(_in_source_outputs())
            return
        manifest = json.dumps({name: source_digest(source_path(SRC, name)) for name in COMPILED}, indent=1) + "\n"
        targets = [Path(self.build_lib, "jenkins2flow", "parse", MANIFEST)]
        if in_source:
            targets.append(SRC / "jenkins2flow" / "parse" / MANIFEST)
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(manifest, encoding="utf-8")


def _extensions() -> list[object]:
    if os.environ.get("JENKINS2FLOW_PURE"):
        _remove(_in_source_outputs())
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not installed; building pure Python.")
        return []
    # A module mypyc rejects is a bug of ours (`make lint` type-checks the same code): the build stops and says why.
    paths = [str(source_path(SRC, name).relative_to(ROOT)) for name in COMPILED]
    return list(mypycify(paths, opt_level="3", group_name=GROUP))


os.chdir(ROOT)  # mypyc writes its C files under ./build
setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildCompiled})

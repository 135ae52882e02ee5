"""Which config.xml reader runs: the modules compiled by the build (setup.py, mypyc), or their Python source.

The build records, in `_compiled.json` beside this file, a digest of the source of each module it compiled. The
compiled modules are used only when every recorded digest still matches its `.py` file and JENKINS2FLOW_PURE is
unset; otherwise all of them are loaded from source (all or none: compiled modules call each other directly, so a mix
could run old code). A mismatch is what an editable checkout shows after an edit, until it is rebuilt (`make venv`):
the source then runs, with a warning.

This module imports nothing but the standard library: setup.py loads it before the package exists.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

COMPILED = (
    "jenkins2flow.parse.job_xml",
    "jenkins2flow.parse.xml.common",
    "jenkins2flow.parse.xml.parameters",
    "jenkins2flow.parse.xml.plugins",
    "jenkins2flow.parse.xml.roots",
    "jenkins2flow.parse.xml.scm",
    "jenkins2flow.parse.xml.triggers",
)
MANIFEST = "_compiled.json"
PURE_ENV = "JENKINS2FLOW_PURE"


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_path(root: Path, name: str) -> Path:
    """The `.py` file of module `name`, below `root` (the directory that holds the `jenkins2flow` package)."""
    return root.joinpath(*name.split(".")).with_suffix(".py")


def compiled_files(root: Path) -> list[Path]:
    """The extension modules built from COMPILED below `root` (not their shared library, which sits beside the
    `jenkins2flow` package)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return [p for name in COMPILED for p in source_path(root, name).parent.glob(source_path(root, name).stem + ".*")
            if p.name.endswith(suffixes)]


def has_compiled(root: Path) -> bool:
    return bool(compiled_files(root))


def stale(root: Path) -> list[str]:
    """The compiled modules below `root` that do not match their source: changed since the build, or compiled
    modules with no record of the build. [] when all match, or when nothing is compiled."""
    if not has_compiled(root):
        return []
    manifest = root / "jenkins2flow" / "parse" / MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return list(COMPILED)
    return [name for name in COMPILED  # (a module shipped without its source has nothing to go stale against)
            if source_path(root, name).is_file() and recorded.get(name) != source_digest(source_path(root, name))]


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their `.py` files, ahead of the compiled extension modules beside them."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths

    def find_spec(self, fullname: str, path: object = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        file = self.paths.get(fullname)
        return importlib.util.spec_from_file_location(fullname, file) if file is not None else None


def choose(root: Path) -> str:
    """Decide, before any of them is imported, where the COMPILED modules come from: "compiled" or "source"."""
    if not has_compiled(root):
        return "source"
    if not os.environ.get(PURE_ENV):
        changed = stale(root)
        if not changed:
            return "compiled"
        warnings.warn(f"jenkins2flow: the compiled config.xml reader does not match its source "
                      f"({', '.join(changed)}); running the source instead (slower). Rebuild it with "
                      "`make venv` or `pip install -e .`.", RuntimeWarning, stacklevel=2)
    if not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder({name: source_path(root, name) for name in COMPILED}))
    return "source"


def running() -> str:
    """"compiled" or "source": what the config.xml reader in this process is."""
    module = sys.modules.get(COMPILED[0]) or importlib.import_module(COMPILED[0])
    return "source" if str(module.__file__).endswith(".py") else "compiled"


if __name__ == "__main__":  # `python -m jenkins2flow.parse.compiled --check`: exit 1 when a rebuild is due
    _stale = stale(Path(__file__).resolve().parents[2])
    print(f"stale: {', '.join(_stale)}" if _stale else "the compiled reader matches its source (or there is none)")
    sys.exit(1 if _stale else 0)

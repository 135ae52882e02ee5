"""Callables for the files a Jenkins build keeps: `archiveArtifacts` (the ArtifactArchiver publisher) and `stash`
fail the build when their pattern matches no file (unless told an empty set is allowed); `unstash` restores a stash
taken in another folder than the one it runs in.

Each takes its pipeline bindings as keyword arguments. Folders are relative to the run's workspace (WORKSPACE, set by
the operator); patterns are Ant globs matched by jenkins2flow_runtime.antglob, as Jenkins matches them.
- `check_files`: fails, naming the step and its pattern, when no file under the folder matches.
- `unstash`: copies the files a stash selects under the folder it was taken in to the folder unstash runs in.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.antglob import AntGlob


class NoFilesMatched(RuntimeError):
    """The pattern of an archiveArtifacts, junit or stash matched nothing: Jenkins fails the build there."""


def _folder(directory: str) -> Path:
    return Path(os.environ.get("WORKSPACE") or os.getcwd()) / directory


def _glob(includes: str, excludes: str, default_excludes: bool, case_sensitive: bool) -> AntGlob:
    return AntGlob.parse(includes, excludes, default_excludes=default_excludes, case_sensitive=case_sensitive)


def check_files(step: str, includes: str = "", excludes: str = "", directory: str = "",
                default_excludes: bool = True, case_sensitive: bool = True, computed: dict[str, Any] | None = None,
                context: Any = None, **params: Any) -> dict[str, Any]:
    """The files `includes` (comma-separated Ant globs; empty: all) minus `excludes` select under `directory`;
    none fails the task, as Jenkins fails the build (`step` names the Jenkins step in the message). `computed`:
    the patterns Jenkins computes in the build and its allow-empty option (name -> expression tree), evaluated in
    this run; an allow-empty option that is true (or "true") ends the check."""
    from jenkins2flow_runtime.fallback import run_values

    values = run_values(computed or {}, params, context, step)
    if str(values.get("allow_empty", False)).strip().lower() == "true":
        return {"step": step, "matched": None, "directory": directory}
    includes, excludes = str(values.get("includes", includes)), str(values.get("excludes", excludes))
    root = _folder(directory)
    found = _glob(includes, excludes, default_excludes, case_sensitive).select(root) if root.is_dir() else []
    if not found:
        where = f" in {directory!r}" if directory else ""
        but = f" (excluding {excludes!r})" if excludes else ""
        raise NoFilesMatched(f"{step}: no file matches the pattern {includes or '**'!r}{but}{where} of the run's "
                             f"workspace {str(root)!r}; Jenkins fails the build here.")
    return {"step": step, "matched": len(found), "directory": directory}


def unstash(name: str, source: str, includes: str = "", excludes: str = "", target: str = "",
            default_excludes: bool = True, **_: Any) -> dict[str, Any]:
    """Jenkins' `unstash name`: the files stash `name` selected (`includes` minus `excludes`) under the folder it
    was taken in (`source`), copied with their relative paths to the folder unstash runs in (`target`)."""
    src, dest = _folder(source), _folder(target)
    files = _glob(includes, excludes, default_excludes, True).select(src) if src.is_dir() else []
    for rel in files:
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, out)
    return {"name": name, "copied": files}

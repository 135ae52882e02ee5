"""Where a pipeline run's files live: one workspace per pipeline and run, shared by its tasks like Jenkins'."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
SHADOW_FLAG = "JENKINS2FLOW_SHADOW"


def workspace_root() -> Path:
    """$JENKINS2FLOW_WORKSPACE, else a folder in the system temp dir."""
    root = os.environ.get("JENKINS2FLOW_WORKSPACE")
    return Path(root) if root else Path(tempfile.gettempdir()) / "jenkins2flow" / "workspaces"


def is_shadow(conf: Mapping[str, Any] | None = None) -> bool:
    """A shadow run (jenkins2flow shadow): flagged in the run conf, or in the environment of a local run."""
    value = (conf or {}).get(SHADOW_FLAG, os.environ.get(SHADOW_FLAG, ""))
    return str(value).strip().lower() in {"1", "true", "yes"}


def run_workspace(pipeline: str, run_id: str, *, shadow: bool = False, root: Path | None = None) -> Path:
    """The workspace of one run under `root` (default: workspace_root()); names are made safe so no run id can
    escape the root. Shadow runs live under `<root>/shadow`, so that a shadow comparison never writes where
    production runs do."""
    root = root if root is not None else workspace_root()
    if shadow and root.name != "shadow":
        root = root / "shadow"
    safe_run = _UNSAFE.sub("_", run_id).strip("._") or "run"
    return root / _UNSAFE.sub("_", pipeline) / safe_run


RUNS = ".runs"  # beside a pipeline's run workspaces: one file per run, holding its run id (workspace names are made
# safe, so they cannot be read back as run ids)


def record_run(pipeline: str, run_id: str, *, shadow: bool = False, root: Path | None = None) -> Path:
    """The run's workspace, with the run recorded beside it (`<root>/<pipeline>/.runs/<safe run>`: the run id), so
    that another pipeline can find this run's files and ask Airflow for its state (copyArtifacts)."""
    workspace = run_workspace(pipeline, run_id, shadow=shadow, root=root)
    marker = workspace.parent / RUNS / workspace.name
    if not marker.is_file():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(run_id, encoding="utf-8")
    return workspace


def recorded_runs(pipeline: str, *, root: Path | None = None) -> list[tuple[str, Path]]:
    """(run id, workspace) of every recorded run of `pipeline`, newest first (by when the run was recorded)."""
    base = (root if root is not None else workspace_root()) / _UNSAFE.sub("_", pipeline)
    markers = sorted((base / RUNS).glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [(m.read_text(encoding="utf-8"), base / m.name) for m in markers if m.is_file()]

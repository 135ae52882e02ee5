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

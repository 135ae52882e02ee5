"""Where a pipeline run's files live: one workspace per pipeline and run, shared by its tasks like Jenkins'."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def workspace_root() -> Path:
    """$JENKINS2FLOW_WORKSPACE, else a folder in the system temp dir."""
    root = os.environ.get("JENKINS2FLOW_WORKSPACE")
    return Path(root) if root else Path(tempfile.gettempdir()) / "jenkins2flow" / "workspaces"


def run_workspace(pipeline: str, run_id: str) -> Path:
    """The workspace of one run; names are made safe so no run id can escape the root."""
    safe_run = _UNSAFE.sub("_", run_id).strip("._") or "run"
    return workspace_root() / _UNSAFE.sub("_", pipeline) / safe_run

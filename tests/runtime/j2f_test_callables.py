"""Callables that python concrete tasks import in the runtime tests (`j2f_test_callables:compute`)."""

from __future__ import annotations

import os
from pathlib import Path


def compute(tenant: str, limit: int) -> dict[str, object]:
    Path(os.environ["WORKSPACE"], "python.txt").write_text(f"{tenant} {limit} {os.environ.get('API_TOKEN', '')}")
    return {"tenant": tenant, "total": limit * 2}

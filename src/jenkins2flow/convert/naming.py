"""Names that are safe as catalog names and Airflow ids, derived from Jenkins names."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def safe_name(text: str, max_len: int = 120) -> str:
    """`text` with every run of unsafe characters replaced by `_`; a short hash keeps changed names distinct."""
    cleaned = _UNSAFE.sub("_", text.replace("/", ".")).strip("_.-") or "job"
    if cleaned != text.replace("/", ".") or len(cleaned) > max_len:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
        cleaned = f"{cleaned[: max_len - 7]}-{digest}"
    if not cleaned[0].isalnum():
        cleaned = "j" + cleaned
    return cleaned


def task_id(stage: str) -> str:
    """An Airflow task id for a stage name: lower case, unsafe runs as `_`."""
    return _UNSAFE.sub("_", stage.strip().lower()).strip("_") or "stage"

"""Names that are safe as catalog names and Airflow ids, derived from Jenkins names."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from jenkins2flow_runtime.model import is_reserved_task_id

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def ascii_fold(text: str) -> str:
    """Accents dropped (`Ü` -> `U`), so that ids stay readable; what has no ASCII form is left to the caller."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii") if not text.isascii() else text


def safe_name(text: str, max_len: int = 120) -> str:
    """`text` with every run of unsafe characters replaced by `_`; a short hash keeps changed names distinct."""
    cleaned = _UNSAFE.sub("_", ascii_fold(text).replace("/", ".")).strip("_.-") or "job"
    if cleaned != text.replace("/", ".") or len(cleaned) > max_len:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
        cleaned = f"{cleaned[: max_len - 7]}-{digest}"
    if not cleaned[0].isalnum():
        cleaned = "j" + cleaned
    return cleaned


def task_id(stage: str) -> str:
    """An Airflow task id for a stage name: lower case, accents dropped, unsafe runs as `_`, starting with a
    letter, digit or `_` (callers make repeated ids unique). A name the runtime keeps for its own tasks
    (`jenkins2flow_...`) gets a `stage_` prefix."""
    out = _UNSAFE.sub("_", ascii_fold(stage).strip().lower()).strip("_.-")[:200] or "stage"
    return f"stage_{out}" if is_reserved_task_id(out) else out

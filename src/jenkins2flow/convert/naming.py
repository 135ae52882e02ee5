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
    """The pipeline name of a Jenkins full name: `folder/sub/job` -> `folder.sub.job`.

    Names are kept as they are when they are made of letters, digits, `_` and `-` (with `/` between folders), so
    ordinary jobs keep their names. Any other name (unsafe characters replaced by `_`, accents dropped, too long) gets
    a short hash of the full name. So does a name with a literal `.`: the top-level job `a.b` becomes `a.b-<hash>`,
    and only the job `b` in folder `a` is `a.b`, so two Jenkins jobs never share a pipeline name (a hash collision
    or a truncated name is still caught: see convert.identity)."""
    cleaned = _UNSAFE.sub("_", ascii_fold(text).replace("/", ".")).strip("_.-") or "job"
    if cleaned != text.replace("/", ".") or "." in text or len(cleaned) > max_len:
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

"""YAML files that a person hands us (catalog import): the runtime's bounded loader (jenkins2flow_runtime.safe_yaml:
limits of depth and expansion), plus the file's size and encoding checked before it is read as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jenkins2flow_runtime.safe_yaml import MAX_DEPTH, MAX_NODES, YamlRefused, check_expansion, load

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "YamlRefused", "check_expansion", "load", "load_file"]

MAX_BYTES = 5_000_000  # a catalog file is a few kB; the largest pipelines a few hundred


def load_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """`load()` of a file that must be UTF-8 text of at most `max_bytes` bytes."""
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlRefused(f"{size} bytes, more than the {max_bytes} a catalog file may have")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(f"not a UTF-8 text file (byte {raw[exc.start]:#04x} at offset {exc.start})") from None
    return load(text)

"""Shared test helpers: where the project and its samples are. Tests use only the project's own files (the shared
corpus is measured by `make corpus`, in bench/corpus)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

"""`make corpus`: the project measured on the shared corpus (`../shared/corpus`: real Jenkins files written by
others). Every test here holds a bar (a rate, a count, "nothing raises", "every element kept"); a missed bar fails.
The project's own tests (tests/) never read the corpus; these do, and stop with an error when it is absent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT / "bench"))  # corpus_rates.py
sys.path.insert(0, str(ROOT))  # the helpers of tests/


def pytest_sessionstart(session: pytest.Session) -> None:
    if not CORPUS.is_dir():
        pytest.exit(f"{CORPUS} is absent: `make corpus` measures the shared corpus, which must sit beside the "
                    "project (tests/ never needs it).", returncode=1)

"""The README's reliability section lists every module of tests/adversarial with the number of tests it holds."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_reliability_table_counts_the_adversarial_tests() -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/adversarial"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    collected = Counter(Path(line.split("::")[0]).stem for line in proc.stdout.splitlines() if "::" in line)
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, int] = {}
    for row in section.splitlines():
        if row.startswith("|") and "`test_" in row:
            modules = re.findall(r"`(test_\w+)`", row.split("|")[1])
            counts = [int(n) for n in re.findall(r"\d+", row.rstrip(" |").rsplit("|", 1)[1])]
            assert len(modules) == len(counts), row
            listed.update(zip(modules, counts, strict=True))
    assert listed == dict(collected)

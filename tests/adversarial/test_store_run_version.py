"""A run keeps the pipeline version it started with, in real Airflow: every task goes through the task runner,
which parses the DAG file again (and so builds the DAG from the version published at that moment). A new version
with another command is published between the two tasks of a run; the run's second task still runs the old command,
the next run runs the new one. The run happens in its own process (run_version_child.py), which configures Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from adversarial_helpers import ROOT

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
CHILD = Path(__file__).with_name("run_version_child.py")


def test_a_publish_during_a_run_does_not_change_its_later_tasks(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(CHILD), str(tmp_path)], capture_output=True, text=True, timeout=600,
                          cwd=ROOT, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RUN-VERSION-REPORT ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(lines[0].split(" ", 1)[1])
    assert (report["first"], report["second"]) == (1, 2)
    first, second = report["runs"]
    assert first["state"] == "success" and first["tasks"] == {"step0": "success", "step1": "success"}
    assert second["state"] == "success" and set(second["tasks"]) == {"step0", "step1", "added"}

    out = tmp_path / "out"
    written = {p.name: p.read_text().strip() for p in out.iterdir()}
    # run a: version 1 was published when it started; version 2 ("two") was published after its step0
    assert written["a.step0.txt"] == "one"
    assert written["a.step1.txt"] == "one"
    # run b started on version 2
    assert (written["b.step0.txt"], written["b.step1.txt"], written["b.added.txt"]) == ("two", "two", "two")

    # step1 of run a really was built from version 2 by its task process, and ran as version 1 has it
    log = (tmp_path / "logs" / f"{first['run_id']}.step1.log").read_text()
    assert "version 1 was published when this run started; the DAG now comes from another version" in log
    assert "running task 'step1' as version 1 has it" in log
    assert report["not_in_version"] == ("Task 'added' is not in version 1 of pipeline 'pinned_run', the version "
                                        "published when this run started: it was added later. Start a new run to "
                                        "run it.")

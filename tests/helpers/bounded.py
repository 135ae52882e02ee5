"""Run a piece of Python in a child process that is killed after a deadline, for tests that prove work on a
large or hostile input finishes: a regression back to quadratic time then fails the test instead of hanging it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any


def run_bounded(code: str, timeout: float = 60.0) -> Any:
    """Run `code` (which sets a JSON-serialisable `result`) in a fresh interpreter with this one's import path;
    returns `result`. Fails (subprocess.TimeoutExpired) when it runs past `timeout` seconds."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    script = textwrap.dedent(code) + "\nimport json as _json, sys as _sys\n_sys.stdout.write(_json.dumps(result))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)

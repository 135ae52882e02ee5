"""The "test render" of a view task's SQL: the runtime's own sandboxed rendering (jenkins2flow_runtime.views), run in
a child process with a time and memory limit, so that a template that loops for ever cannot stall the UI.
Nothing is executed: the page shows the SQL that a run with these values would send.

    python -m jenkins2flow_runtime.ui.sandbox   # reads {"sql", "params", "results", "logical_date", "name"} on stdin
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from typing import Any

TIMEOUT_SECONDS = 5
MEMORY_BYTES = 512 * 1024 * 1024
MAX_OUTPUT = 1_000_000


def test_render(sql: str, *, params: dict[str, Any], results: dict[str, Any] | None = None,
                logical_date: datetime | None = None, name: str = "view") -> tuple[bool, str]:
    """(True, rendered SQL) or (False, the reason it cannot be rendered)."""
    request = {"sql": sql, "params": params, "results": results or {}, "name": name,
               "logical_date": logical_date.isoformat() if logical_date else None}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "HOME")}
    try:
        proc = subprocess.run([sys.executable, "-s", "-m", "jenkins2flow_runtime.ui.sandbox"],
                              input=json.dumps(request, default=str), capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, env=env, check=False)
    except subprocess.TimeoutExpired:
        return False, f"The template took more than {TIMEOUT_SECONDS} s to render; it was stopped."
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        return False, f"The render stopped before it finished ({tail[0][:300]}); a template this large or this " \
                      "slow would fail at run time too."
    return bool(answer["ok"]), str(answer["text"])


def _limit() -> None:
    try:
        import resource
    except ImportError:  # not on Linux/macOS: the timeout still applies
        return
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT_SECONDS, TIMEOUT_SECONDS))


def main() -> None:
    _limit()
    from jenkins2flow_runtime.views import ViewTemplateError, render_sql, template_context

    request = json.loads(sys.stdin.read())
    when = datetime.fromisoformat(request["logical_date"]) if request.get("logical_date") else None
    context = template_context(logical_date=when, params=request["params"], results=request["results"],
                               run_id="manual__test_render", dag_id="test_render", task_id=request["name"])
    try:
        text, ok = render_sql(request["sql"], context, name=request["name"]), True
    except ViewTemplateError as err:
        text, ok = str(err), False
    if len(text) > MAX_OUTPUT:
        text, ok = f"The rendered SQL is {len(text):,} characters long, more than {MAX_OUTPUT:,}.", False
    sys.stdout.write(json.dumps({"ok": ok, "text": text}))


if __name__ == "__main__":
    main()

"""The migration view: the last estate report (status per job, the ledger with file:line:col, credentials to create,
reuse found), the shadow runs with their verdicts, and their HTML reports, where a team decides to promote."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from jenkins2flow_runtime.records import Records
from jenkins2flow_runtime.store import NotFoundError
from jenkins2flow_runtime.ui.web import need, page, state

router = APIRouter()
SHOWN = 300  # jobs listed on the page; the filters find the others
REPORT_FILES = ("report.html", "report.md", "junit.xml", "result.json")
SERVED = {".html", ".md", ".xml", ".json", ".txt", ".csv"}
REPORT_CSP = "sandbox allow-scripts; default-src 'none'; img-src data:; style-src 'unsafe-inline'; " \
             "script-src 'unsafe-inline'"


def _reports(state_dir: Path, run_id: str) -> list[str]:
    folder = state_dir / "shadow" / run_id
    return [f"shadow/{run_id}/{f}" for f in REPORT_FILES if (folder / f).is_file()]


@router.get("/migration", name="migration")
async def migration(request: Request, status: str = "", q: str = "") -> Response:
    await need(request)
    st = state(request)

    def load() -> dict[str, Any]:
        with Records(st.catalog.uri) as records:
            estate = records.latest_estate_report()
            runs = records.shadow_runs(limit=200)
            jobs = records.estate_jobs(estate, status=status, q=q, limit=SHOWN) if estate else None
        for run in runs:
            run["reports"] = _reports(st.settings.state_dir, str(run["run_id"]))
        return {"estate": estate, "runs": runs, "ledgers": jobs.rows if jobs else [],
                "ledger_matched": jobs.matched if jobs else 0, "ledger_total": jobs.total if jobs else 0,
                "shown": SHOWN}

    return page(request, "migration.html", status_filter=status, q=q, **await run_in_threadpool(load))


@router.get("/migration/shadow/{run_id}", name="shadow_run")
async def shadow_run(request: Request, run_id: str) -> Response:
    await need(request)
    st = state(request)

    def load() -> dict[str, Any]:
        with Records(st.catalog.uri) as records:
            body = records.shadow_run(run_id)
        if body is None:
            raise NotFoundError(f"No shadow run {run_id!r} in the store.")
        pipeline = st.catalog.find("pipeline", str(body.get("pipeline", "")))
        return {"run": body, "pipeline": pipeline, "reports": _reports(st.settings.state_dir, run_id)}

    return page(request, "shadow.html", **await run_in_threadpool(load))


@router.get("/files/{path:path}", name="state_file")
async def state_file(request: Request, path: str) -> Response:
    """A report under the state folder (shadow/<run_id>/report.html...): never a path outside it."""
    await need(request)
    root = state(request).settings.state_dir.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or target.suffix not in SERVED or not target.is_file():
        raise NotFoundError(f"No report {path!r} under the state folder.")
    media = mimetypes.guess_type(target.name)[0] or "text/plain"
    if target.suffix == ".md":
        media = "text/plain"
    response = FileResponse(target, media_type=media)
    response.headers["Content-Security-Policy"] = REPORT_CSP  # an opaque origin: the report cannot reach the UI
    return response

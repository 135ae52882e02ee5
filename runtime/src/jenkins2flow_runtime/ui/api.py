"""The JSON API under /api/v1: the same actions as the pages, for scripts (API tokens) and tests.

A write names the version it was made from (`expected_version`, 0 for a new document): when the document changed
in between, the answer is 409 with the current version and the differences. Secret values are hidden as in pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from jenkins2flow_runtime.model import Document
from jenkins2flow_runtime.store import ConflictError
from jenkins2flow_runtime.store.diff import spec_diff
from jenkins2flow_runtime.ui.index import USED_FILTERS, Entry
from jenkins2flow_runtime.ui.pages import STATUSES, _version
from jenkins2flow_runtime.ui.service import GROUPS, Catalog
from jenkins2flow_runtime.ui.web import BadRequest, check_csrf, need, state

router = APIRouter(prefix="/api/v1")


def _doc(cat: Catalog, doc: Document) -> dict[str, Any]:
    return {"kind": doc.kind, "name": doc.name, "version": doc.version, "status": doc.status,
            "spec_hash": doc.spec_hash, "tags": list(doc.tags),
            "created_at": doc.created_at.isoformat() if doc.created_at else None, "created_by": doc.created_by,
            "comment": doc.comment, "spec": cat.shown_spec(doc)}


def _entry(e: Entry, used_by: set[str]) -> dict[str, Any]:
    return {"kind": e.kind, "name": e.name, "version": e.version, "status": e.status, "published": e.published,
            "title": e.title, "team": e.team, "tags": list(e.tags), "job": e.job, "used_by": sorted(used_by),
            "updated_at": e.updated_at.isoformat() if e.updated_at else None, "updated_by": e.updated_by}


async def _body(request: Request) -> dict[str, Any]:
    if not await request.body():
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("The body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


@router.get("/me", name="api_me")
async def me(request: Request) -> dict[str, Any]:
    user = await need(request)
    return {"name": user.name, "role": user.role, "teams": list(user.teams), "via": user.via}


@router.get("/{group:j2fgroup}", name="api_list")
async def list_docs(request: Request, group: str, q: str = "", status: str = "", team: str = "", tag: str = "",
                    used: str = "", offset: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """The latest version of each matching document, in name order; `offset` and `limit` page through them."""
    await need(request)
    index = state(request).catalog.index
    found = await run_in_threadpool(lambda: index.query(
        q=q, kind=GROUPS[group], status=status if status in STATUSES else "", team=team, tag=tag,
        used=used if used in USED_FILTERS else ""))
    snap = index.snapshot()
    used_by = snap.used_by
    page = snap.titled(found[max(offset, 0): max(offset, 0) + min(max(limit, 0), 5000)])
    return [_entry(e, used_by.get(f"{e.kind}/{e.name}", set())) for e in page]


@router.get("/{group:j2fgroup}/{name}", name="api_get")
async def get_doc(request: Request, group: str, name: str, version: str = "latest") -> dict[str, Any]:
    await need(request)
    cat = state(request).catalog
    return _doc(cat, await run_in_threadpool(cat.get, GROUPS[group], name, _version(version)))


@router.put("/{group:j2fgroup}/{name}", name="api_put")
async def put_doc(request: Request, group: str, name: str) -> Response:
    user = await need(request, "editor")
    await check_csrf(request)
    body = await _body(request)
    cat, kind = state(request).catalog, GROUPS[group]
    if not isinstance(body.get("expected_version"), int):
        raise BadRequest("expected_version is required: the version your change starts from (0 for a new "
                         "document), so that nobody's update is lost.")
    spec, tags = body.get("spec"), body.get("tags", [])
    if not isinstance(spec, dict) or not isinstance(tags, list):
        raise BadRequest("The body needs 'spec' (an object) and may have 'tags' (a list).")
    expected = int(body["expected_version"])

    def run() -> Response:
        base = cat.find(kind, name)
        doc = cat.build(kind, name, spec, [str(t) for t in tags], base)
        try:
            saved = cat.save(user, doc, comment=str(body.get("comment", "")), expected_version=expected)
        except ConflictError as err:
            current = cat.find(kind, name)
            lines = []
            if current is not None:
                hidden = doc.model_copy(update={"spec": type(doc.spec).model_validate(cat.shown_spec(doc))})
                shown = current.model_copy(update={"spec": type(current.spec).model_validate(cat.shown_spec(current))})
                lines = spec_diff(shown, hidden)
            return JSONResponse({"error": "Conflict", "detail": str(err),
                                 "current_version": current.version if current else 0, "diff": lines},
                                status_code=409)
        created = expected == 0
        return JSONResponse({**_doc(cat, saved), "changed": created or saved.version != expected},
                            status_code=201 if created else 200)

    return await run_in_threadpool(run)


@router.post("/{group:j2fgroup}/{name}/{action:j2faction}", name="api_action")
async def post_action(request: Request, group: str, name: str, action: str) -> dict[str, Any]:
    user = await need(request)
    await check_csrf(request)
    body = await _body(request)
    cat, kind = state(request).catalog, GROUPS[group]
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        raise BadRequest("version must be a number.")
    comment = str(body.get("comment", ""))
    if action == "rollback" and version is None:
        raise BadRequest("Roll back to which version? Give 'version'.")
    return _doc(cat, await run_in_threadpool(cat.act, user, action, kind, name, version, comment))


@router.get("/{group:j2fgroup}/{name}/history", name="api_history")
async def history(request: Request, group: str, name: str) -> list[dict[str, Any]]:
    await need(request)
    cat = state(request).catalog
    docs = await run_in_threadpool(cat.history, GROUPS[group], name)
    return [{k: v for k, v in _doc(cat, d).items() if k != "spec"} for d in docs]


@router.get("/{group:j2fgroup}/{name}/diff", name="api_diff")
async def diff(request: Request, group: str, name: str, a: str, b: str = "latest") -> dict[str, Any]:
    await need(request)
    cat = state(request).catalog
    cmp = await run_in_threadpool(cat.compare, GROUPS[group], name, _version(a), _version(b))
    return {"a": cmp.a.version, "b": cmp.b.version, "lines": cmp.lines, "secret_only": cmp.secret_only}


@router.get("/{group:j2fgroup}/{name}/audit", name="api_audit")
async def audit(request: Request, group: str, name: str) -> list[dict[str, Any]]:
    await need(request)
    entries = await run_in_threadpool(state(request).catalog.audit, GROUPS[group], name)
    return [{"at": e.at.isoformat(), "version": e.version, "action": e.action, "by": e.by, "comment": e.comment}
            for e in entries]


@router.get("/{group:j2fgroup}/{name}/where-used", name="api_where_used")
async def where_used(request: Request, group: str, name: str) -> list[dict[str, Any]]:
    await need(request)
    usages = await run_in_threadpool(state(request).catalog.where_used, GROUPS[group], name)
    return [{"pipeline": u.pipeline, "version": u.version, "status": u.status, "uses_version": u.uses_version,
             "where": u.where} for u in usages]

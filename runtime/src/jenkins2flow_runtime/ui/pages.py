"""Reading pages: the catalog list and search, a document with its versions, audit trail and uses, history, the
side-by-side diff of two versions, publish / retire / roll back, and a view task's test render."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from jenkins2flow_runtime.model import Document, Kind, PipelineSpec, Ref
from jenkins2flow_runtime.params import ParameterError, declared_map, resolve
from jenkins2flow_runtime.records import Records
from jenkins2flow_runtime.store import NotFoundError, StoreError
from jenkins2flow_runtime.ui import schedule
from jenkins2flow_runtime.ui.access import Denied
from jenkins2flow_runtime.ui.graph import layout
from jenkins2flow_runtime.ui.index import USED_FILTERS, count_by_kind, own_title, step_title
from jenkins2flow_runtime.ui.sandbox import test_render
from jenkins2flow_runtime.ui.service import GROUPS, Catalog
from jenkins2flow_runtime.ui.web import FORM_EXPIRED, BadRequest, check_csrf, need, page, same_origin, state, url
from jenkins2flow_runtime.ui.yamltext import SECRET, hide_secrets, load

PAGE_SIZE = 50
STATUSES = ("published", "draft", "retired")


class GroupConvertor(Convertor[str]):
    regex = "tasks|views|templates|pipelines"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class ActionConvertor(GroupConvertor):
    regex = "publish|retire|rollback"


register_url_convertor("j2fgroup", GroupConvertor())
register_url_convertor("j2faction", ActionConvertor())
router = APIRouter()


@router.get("/", name="home")
async def home(request: Request) -> Response:
    return RedirectResponse(url(request, "catalog"), status_code=303)


@router.get("/catalog", name="catalog")
async def catalog(request: Request, q: str = "", kind: str = "", status: str = "", team: str = "", tag: str = "",
                  used: str = "", page_no: int = 1) -> Response:
    await need(request)
    index = state(request).catalog.index
    filters = {"q": q.strip(), "kind": kind if kind in GROUPS.values() else "",
               "status": status if status in STATUSES else "", "team": team, "tag": tag,
               "used": used if used in USED_FILTERS else ""}
    found = await run_in_threadpool(lambda: index.query(**filters))
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page_no = min(max(page_no, 1), pages)
    snap = index.snapshot()
    return page(request, "catalog.html", entries=snap.titled(found[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]),
                total=len(found), page_no=page_no, pages=pages, filters=filters, facets=index.facets(),
                by_kind=count_by_kind(found), used_by=snap.used_by, statuses=STATUSES, invalid=snap.invalid,
                index_age=int(time.monotonic() - snap.built_at), index_seconds=snap.seconds)


def _kind(group: str) -> Kind:
    return GROUPS[group]


def _version(text: str | None) -> int | str:
    if not text or text == "latest":
        return "latest"
    if text == "published" or not text.isdigit():
        return text if text == "published" else "latest"
    return int(text)


def _pipeline_context(cat: Catalog, doc: Document) -> dict[str, Any]:
    spec = doc.spec
    assert isinstance(spec, PipelineSpec)
    used: dict[str, Document | None] = {}
    for t in spec.tasks:
        key = f"{t.uses.kind}/{t.uses.name}@{t.uses.version}"
        if key not in used:
            try:
                used[key] = cat.get(t.uses.kind, t.uses.name, t.uses.version or "latest")
            except NotFoundError:
                used[key] = None
    callables = {k.split("/", 1)[1]: getattr(d.spec, "callable", "") for k, d in used.items() if d is not None}
    templates: list[tuple[Ref, Document | None]] = []
    for ref in spec.parameters.templates:
        try:
            templates.append((ref, cat.get(ref.kind, ref.name, ref.version or "latest")))
        except NotFoundError:
            templates.append((ref, None))
    try:
        runs: list[datetime] = schedule.next_runs(spec.schedule)
        runs_problem = ""
    except ImportError:
        runs, runs_problem = [], "Next run times need croniter (installed with Airflow)."
    with Records(cat.uri) as records:
        shadow = records.shadow_runs(pipeline=doc.name, limit=10)
    return {"graph": layout(spec, callables), "used": used, "templates": templates,
            "schedule_words": schedule.describe(spec.schedule), "next_runs": runs, "runs_problem": runs_problem,
            "shadow_runs": shadow}


@router.get("/{group:j2fgroup}/{name}", name="doc")
async def doc_page(request: Request, group: str, name: str, version: str = "") -> Response:
    await need(request)
    return await _doc_response(request, group, name, version)


async def _doc_response(request: Request, group: str, name: str, version: str, *, status: int = 200,
                        problem: str = "", typed: dict[str, str] | None = None) -> Response:
    """A document's page; after a refused action, with why and the comment that was typed (`typed`: action ->)."""
    cat, kind = state(request).catalog, _kind(group)

    def load() -> dict[str, Any]:
        doc = cat.get(kind, name, _version(version))
        latest = cat.get(kind, name) if doc.version else doc
        history = cat.history(kind, name)
        uses, trail = cat.uses(kind, name), cat.audit(kind, name)
        ctx: dict[str, Any] = {
            "doc": doc, "latest": latest, "shown": cat.shown_spec(doc), "yaml": cat.doc_yaml(doc),
            "versions": history[::-1], "audit": trail[::-1][:20], "uses": uses, "released": released(trail),
            "doc_title": own_title(doc) or next((step_title(u.title) for u in uses if u.title), ""),
            "published": next((d for d in history if d.status == "published"), None),
        }
        if isinstance(doc.spec, PipelineSpec):
            ctx.update(_pipeline_context(cat, doc))
        return ctx

    return page(request, "doc.html", status=status, group=group, kind=kind, problem=problem, typed=typed or {},
                **await run_in_threadpool(load))


@router.get("/{group:j2fgroup}/{name}/history", name="history")
async def history_page(request: Request, group: str, name: str) -> Response:
    await need(request)
    cat, kind = state(request).catalog, _kind(group)
    versions, trail = await run_in_threadpool(lambda: (cat.history(kind, name)[::-1], cat.audit(kind, name)[::-1]))
    return page(request, "history.html", group=group, kind=kind, name=name, versions=versions, audit=trail,
                released=released(trail))


def released(trail: list[Any]) -> set[int]:
    """The versions that were published at some time: the store's status of one that another has replaced since is
    draft again, which would read as if it never ran."""
    return {a.version for a in trail if a.action == "publish"}


@router.get("/{group:j2fgroup}/{name}/diff", name="diff")
async def diff_page(request: Request, group: str, name: str, a: str = "", b: str = "") -> Response:
    await need(request)
    cat, kind = state(request).catalog, _kind(group)

    def load() -> dict[str, Any]:
        latest = cat.get(kind, name)
        va = _version(a) if a else max(latest.version - 1, 1)
        vb = _version(b) if b else latest.version
        return {"cmp": cat.compare(kind, name, va, vb), "latest": latest}

    ctx = await run_in_threadpool(load)
    return page(request, "diff.html", group=group, kind=kind, name=name, **ctx)


@router.post("/{group:j2fgroup}/{name}/{action:j2faction}", name="action")
async def action(request: Request, group: str, name: str, action: str) -> Response:
    user = await need(request)
    try:
        await check_csrf(request)
        expired = False
    except BadRequest:
        if not same_origin(request):
            raise
        expired = True
    form = await request.form()
    cat, kind = state(request).catalog, _kind(group)
    text = str(form.get("version", "")).strip()
    version = int(text) if text.isdigit() else None
    comment = str(form.get("comment", "")).strip()
    if expired:  # the page again with a fresh form, the comment as typed
        return await _doc_response(request, group, name, str(version or ""), status=400, typed={action: comment},
                                   problem=FORM_EXPIRED)
    if action == "rollback" and version is None:  # the page again, with the comment as typed
        return await _doc_response(request, group, name, "", status=400, typed={action: comment},
                                   problem="Roll back to which version? Give its number.")
    try:
        doc = await run_in_threadpool(cat.act, user, action, kind, name, version, comment)
    except (Denied, StoreError) as err:  # the page again, with the reason and the comment as typed
        status = 403 if isinstance(err, Denied) else 404 if isinstance(err, NotFoundError) else 409
        return await _doc_response(request, group, name, str(version or ""), status=status, problem=str(err),
                                   typed={action: comment})
    done = {"publish": "published", "retire": "retired", "rollback": "rolledback"}[action]
    return RedirectResponse(url(request, "doc", {"ok": done, "v": doc.version}, group=group, name=name),
                            status_code=303)


# -- test render of a view's SQL -------------------------------------------------------------------------------------

def _render_params(cat: Catalog, view: Document, pipeline: str, task: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(declared parameters by name, bindings) for the view, alone or as used by a task of a pipeline."""
    layers = [[p.model_dump(mode="json") for p in getattr(view.spec, "parameters", [])]]
    bindings: dict[str, Any] = {}
    if pipeline:
        p = cat.get("pipeline", pipeline)
        assert isinstance(p.spec, PipelineSpec)
        for ref in p.spec.parameters.templates:
            tmpl = cat.get(ref.kind, ref.name, ref.version or "latest")
            layers.append([q.model_dump(mode="json") for q in getattr(tmpl.spec, "parameters", [])])
        layers.append([q.model_dump(mode="json") for q in p.spec.parameters.overrides])
        shown = hide_secrets(p.spec.model_dump(mode="json"))  # secret bindings read SECRET, as on every page
        bindings = next((dict(t["bindings"]) for t in shown["tasks"] if t["id"] == task), {})
    return dict(declared_map(*layers)), bindings


@router.api_route("/views/{name}/render", methods=["GET", "POST"], name="render")
async def render_page(request: Request, name: str, pipeline: str = "", task: str = "") -> Response:
    await need(request)
    cat = state(request).catalog
    view = await run_in_threadpool(cat.get, "view_task", name)
    declared, bindings = await run_in_threadpool(_render_params, cat, view, pipeline, task)
    values: dict[str, str] = {}
    for pname, spec in declared.items():
        value = bindings.get(pname, spec.get("default"))
        values[pname] = "" if value in (None, SECRET) or spec.get("type") == "password" else str(value)
    when = datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")
    results_text, output, ok = "", "", True
    if request.method == "POST":
        await check_csrf(request)
        form = await request.form()
        values = {p: str(form.get(f"param.{p}", "")) for p in declared}
        when = str(form.get("logical_date", when))
        results_text = str(form.get("results", ""))
        ok, output = await run_in_threadpool(_render, view, declared, bindings, values, when, results_text)
    return page(request, "render.html", view=view, sql=getattr(view.spec, "sql", ""), declared=declared,
                values=values, when=when, results=results_text, output=output, ok=ok, pipeline=pipeline, task=task)


def _render(view: Document, declared: dict[str, Any], bindings: dict[str, Any], values: dict[str, str], when: str,
            results_text: str) -> tuple[bool, str]:
    import yaml

    conf: dict[str, Any] = {}
    for pname, spec in declared.items():
        typed = values.get(pname, "")
        if typed != "":
            conf[pname] = typed
        elif spec.get("type") == "password" or bindings.get(pname) == SECRET:
            conf[pname] = SECRET  # never the stored secret: the rendered SQL is shown
    try:
        params = resolve(declared, {k: v for k, v in bindings.items() if k not in conf}, conf)
    except ParameterError as err:
        return False, str(err)
    try:
        logical = datetime.fromisoformat(when).replace(tzinfo=UTC) if when else None
    except ValueError:
        return False, f"The logical date {when!r} is not a date and time (YYYY-MM-DDTHH:MM)."
    try:
        results = load(results_text) if results_text.strip() else {}
    except yaml.YAMLError as err:  # YamlRefused too
        return False, f"The upstream results are not valid YAML: {err}"
    if not isinstance(results, dict):
        return False, "The upstream results must be a mapping: task id -> value."
    return test_render(getattr(view.spec, "sql", ""), params=params, results=results, logical_date=logical,
                       name=view.name)

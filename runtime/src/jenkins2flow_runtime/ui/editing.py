"""Creating and editing documents: the form generated from the JSON Schema, and the raw YAML editor.

Every save goes through the store with the version the editor started from (`expected_version`): when someone
saved in between, the store refuses (ConflictError) and the page shows both the message and the differences
between what this user typed and what is stored now, with the typed text kept. Every other failure (invalid
fields, unknown references, not allowed) also shows the form again, exactly as it was sent, with the messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jenkins2flow_runtime.model import Document, Kind, ModelError
from jenkins2flow_runtime.model.specs import SPEC_TYPES
from jenkins2flow_runtime.store import ConflictError, RefError
from jenkins2flow_runtime.ui import access
from jenkins2flow_runtime.ui.auth import User
from jenkins2flow_runtime.ui.diffview import side_by_side
from jenkins2flow_runtime.ui.forms import FormData, Reading, SchemaForm, attach, form_path
from jenkins2flow_runtime.ui.service import GROUPS, LABELS, Catalog
from jenkins2flow_runtime.ui.web import (
    FORM_EXPIRED,
    SESSION_EXPIRED,
    BadRequest,
    LoginRequired,
    check_csrf,
    csrf_token_for,
    expired_session_user,
    need,
    page,
    same_origin,
    state,
    url,
)
from jenkins2flow_runtime.ui.yamltext import YamlRefused, dump, load

router = APIRouter()
SKELETONS: dict[str, dict[str, Any]] = {
    "concrete_task": {"type": "shell", "command": ""},
    "view_task": {"sql": "", "materialize": "query"},
    "parameter_template": {"parameters": [{"name": "", "type": "string"}]},
    "pipeline": {"tasks": [{"id": "", "uses": {"kind": "concrete_task", "name": "", "version": 0}}]},
}
_FORMS = {kind: SchemaForm(spec_type.model_json_schema()) for kind, spec_type in SPEC_TYPES.items()}


@dataclass
class Outcome:
    """What happened to a submitted edit: saved (doc), or the reasons to show the form again."""

    doc: Document | None = None
    status: int = 200
    issues: list[tuple[str, str]] = field(default_factory=list)  # (field path, message), as the store reports
    errors: list[str] = field(default_factory=list)  # not about one field: references, access
    conflict: dict[str, Any] | None = None  # current document and the differences with what was typed
    expected: int | None = None  # the expected version for the next attempt
    csrf: str | None = None  # the form's token when it is not the current user's (a session that expired)


async def _sender(request: Request) -> User | Outcome:
    """The editor who sent a form, or why it cannot be saved as sent: an expired session (401) or form (CSRF, 400).
    The caller then shows the form again with what was typed and a fresh token instead of an error page."""
    try:
        user = await need(request, "editor")
    except LoginRequired:
        if not same_origin(request):  # another site's form is not shown as this site's
            raise
        name = expired_session_user(request)  # the token for once that user has logged in again
        return Outcome(status=401, errors=[SESSION_EXPIRED], csrf=csrf_token_for(request, name) if name else "")
    try:
        await check_csrf(request)
    except BadRequest:
        if not same_origin(request):
            raise
        return Outcome(status=400, errors=[FORM_EXPIRED])
    return user


def _lines(text: str) -> list[str]:
    return [t.strip() for t in text.replace(",", "\n").splitlines() if t.strip()]


def _base(cat: Catalog, user: User, edit: Edit) -> Document | None:
    """The stored document whose hidden values the edit keeps: the one edited (Denied unless this user may edit
    it, checked before any stored value is read), or the one copied if this user may edit that one too."""
    if not edit.creating:
        base = cat.find(edit.kind, edit.name)
        access.check(user, "edit", base)
        return base
    source = cat.find(edit.kind, edit.copy_of) if edit.copy_of else None
    return source if source is not None and access.may(user, "edit", source) else None


def _name_taken(edit: Edit) -> Outcome:
    """A new document under a name in use: a message at the name; the edit stays a creation (expected version 0),
    so that saving again never makes it a new version of the other document."""
    what = LABELS[edit.kind].lower()
    return Outcome(status=409, expected=0, issues=[(
        "name", f"a {what} named {edit.name!r} already exists; open it or choose another name")])


def _submit(cat: Catalog, user: User, edit: Edit, spec: dict[str, Any]) -> Outcome:
    """Build and save; every refusal becomes an Outcome that shows the editor again."""
    if edit.creating and edit.name and cat.find(edit.kind, edit.name) is not None:
        return _name_taken(edit)
    try:
        base = _base(cat, user, edit)
        doc = cat.build(edit.kind, edit.name, spec, edit.tags, base)
        saved = cat.save(user, doc, comment=edit.comment, expected_version=edit.expected)
    except ModelError as err:
        return Outcome(status=422, issues=list(err.issues))
    except RefError as err:
        return Outcome(status=409, errors=list(err.problems))
    except access.Denied as err:
        return Outcome(status=403, errors=[str(err)])
    except ConflictError as err:
        if edit.creating:  # created by someone else since the check above
            return _name_taken(edit)
        current = cat.find(edit.kind, edit.name)
        typed = dump({"kind": edit.kind, "name": edit.name, "tags": edit.tags, "spec": spec})
        rows = side_by_side(cat.doc_yaml(current), typed) if current is not None else []
        return Outcome(status=409, errors=[str(err)], expected=current.version if current else 0,
                       conflict={"current": current, "rows": rows})
    return Outcome(doc=saved)


def _done(request: Request, group: str, saved: Document, expected: int) -> Response:
    ok = "created" if expected == 0 else ("unchanged" if saved.version == expected else "saved")
    return RedirectResponse(url(request, "doc", {"ok": ok, "v": saved.version}, group=group, name=saved.name),
                            status_code=303)


# -- the form --------------------------------------------------------------------------------------------------------

def _change_list(data: dict[str, Any], raw: dict[str, str], add: str, remove: str) -> None:
    """The form's add / remove buttons without JavaScript: one more blank item, or one item fewer."""
    target = add or remove.rsplit(".", 1)[0]
    parts = target.split(".")[1:]  # after "spec"
    node: Any = data
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.setdefault(part, [] if part == parts[-1] else {})
        if node is None:
            return
    if not isinstance(node, list):
        return
    if add:
        node.append({})
    else:
        index = remove.rsplit(".", 1)[1]
        if index.isdigit() and int(index) < len(node):
            del node[int(index)]
            for key in [k for k in raw if k.startswith(target + ".")]:
                del raw[key]


@dataclass
class Edit:
    """What the editor holds besides the spec: which document, its envelope fields, where the edit started."""

    group: str
    kind: Kind
    name: str = ""
    creating: bool = False
    tags: list[str] = field(default_factory=list)
    comment: str = ""
    expected: int = 0  # the version the edit started from (0: a new document)
    copy_of: str = ""  # a new document copied from this one (its hidden values are kept)
    text: str = ""  # the YAML editor's text

    @classmethod
    def submitted(cls, group: str, name: str | None, form: FormData) -> Edit:
        expected = str(form.get("expected_version", "0"))
        creating = name is None
        return cls(group, GROUPS[group], name=str(form.get("name", "")).strip() if creating else str(name),
                   creating=creating, tags=_lines(str(form.get("tags", ""))),
                   comment=str(form.get("comment", "")).strip(),
                   expected=int(expected) if expected.isdigit() and not creating else 0,
                   copy_of=str(form.get("copy_of", "")) if creating else "",
                   text=str(form.get("text", "")).replace("\r\n", "\n"))


def _form_page(request: Request, edit: Edit, data: dict[str, Any], raw: dict[str, str] | None = None,
               outcome: Outcome | None = None) -> Response:
    controls = _FORMS[edit.kind].controls(data, raw or {})
    outcome = outcome or Outcome()
    name_errors = [m for p, m in outcome.issues if form_path(p) == "name"]
    tag_errors = [m for p, m in outcome.issues if form_path(p).startswith("tags")]
    attach(controls, [(p, m) for p, m in outcome.issues if form_path(p).startswith("spec")])
    return page(request, "edit.html", status=outcome.status, edit=edit, group=edit.group, kind=edit.kind,
                name=edit.name, controls=controls, tags="\n".join(edit.tags), outcome=outcome,
                name_errors=name_errors, tag_errors=tag_errors, **_token(outcome))


def _token(outcome: Outcome) -> dict[str, str]:
    return {"csrf": outcome.csrf} if outcome.csrf is not None else {}


@router.get("/new/{group:j2fgroup}", name="new")
async def new_form(request: Request, group: str, copy: str = "") -> Response:
    user = await need(request, "editor")
    access.check(user, "edit")
    edit = Edit(group, GROUPS[group], creating=True)
    data: dict[str, Any] = dict(SKELETONS[edit.kind])
    if copy:
        source = await run_in_threadpool(state(request).catalog.get, edit.kind, copy)
        data = state(request).catalog.shown_spec(source)
        edit.tags, edit.name, edit.copy_of = list(source.tags), f"{copy}-copy", copy
    return _form_page(request, edit, data)


async def _editable(request: Request, group: str, name: str) -> tuple[Catalog, Document]:
    """The latest version of a document this user may edit (Denied otherwise)."""
    user = await need(request, "editor")
    cat = state(request).catalog
    doc = await run_in_threadpool(cat.get, GROUPS[group], name)
    access.check(user, "edit", doc)
    return cat, doc


@router.get("/{group:j2fgroup}/{name}/edit", name="edit")
async def edit_form(request: Request, group: str, name: str) -> Response:
    cat, doc = await _editable(request, group, name)
    edit = Edit(group, doc.kind, name=name, tags=list(doc.tags), expected=doc.version)
    return _form_page(request, edit, cat.shown_spec(doc))


@router.post("/new/{group:j2fgroup}")
@router.post("/{group:j2fgroup}/{name}/edit")
async def form_submit(request: Request, group: str, name: str | None = None) -> Response:
    user = await _sender(request)
    form = await request.form()
    edit = Edit.submitted(group, name, form)
    reading: Reading = _FORMS[edit.kind].read(form)
    if isinstance(user, Outcome):
        return _form_page(request, edit, reading.data, reading.raw, user)
    add, remove = str(form.get("_add", "")), str(form.get("_remove", ""))
    if add or remove:
        _change_list(reading.data, reading.raw, add, remove)
        return _form_page(request, edit, reading.data, reading.raw)
    if reading.problems:
        outcome = Outcome(status=422, issues=reading.problems)
        return _form_page(request, edit, reading.data, reading.raw, outcome)
    outcome = await run_in_threadpool(_submit, state(request).catalog, user, edit, reading.data)
    if outcome.doc is not None:
        return _done(request, group, outcome.doc, edit.expected)
    edit.expected = outcome.expected if outcome.expected is not None else edit.expected
    return _form_page(request, edit, reading.data, reading.raw, outcome)


# -- the YAML editor -------------------------------------------------------------------------------------------------

def _yaml_page(request: Request, edit: Edit, outcome: Outcome | None = None) -> Response:
    outcome = outcome or Outcome()
    return page(request, "yaml.html", status=outcome.status, edit=edit, group=edit.group, kind=edit.kind,
                name=edit.name, outcome=outcome, **_token(outcome))


@router.get("/new/{group:j2fgroup}/yaml", name="new_yaml")
async def new_yaml(request: Request, group: str) -> Response:
    user = await need(request, "editor")
    access.check(user, "edit")
    edit = Edit(group, GROUPS[group], creating=True)
    edit.text = dump({"kind": edit.kind, "name": "", "tags": [], "spec": SKELETONS[edit.kind]})
    return _yaml_page(request, edit)


@router.get("/{group:j2fgroup}/{name}/yaml", name="yaml")
async def edit_yaml(request: Request, group: str, name: str) -> Response:
    cat, doc = await _editable(request, group, name)
    return _yaml_page(request, Edit(group, doc.kind, name=name, expected=doc.version, text=cat.doc_yaml(doc)))


def parse_yaml(text: str, kind: Kind, name: str | None) -> tuple[str, list[str], dict[str, Any]]:
    """(name, tags, spec) from the editor's text; ModelError naming the line or the field otherwise."""
    try:
        data = load(text)
    except YamlRefused as err:
        raise ModelError([("", f"refused: {err}")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ModelError([("", f"not valid YAML: {where}{getattr(err, 'problem', None) or err}")]) from None
    if not isinstance(data, dict):
        raise ModelError([("", "the document must be a mapping with kind, name, tags and spec")])
    unknown = sorted(set(data) - {"kind", "name", "tags", "spec", "version", "status", "spec_hash", "schema_version",
                                  "created_at", "created_by", "comment"})
    issues = [(k, f"unknown field {k!r}") for k in unknown]
    if data.get("kind", kind) != kind:
        issues.append(("kind", f"this editor saves a {kind}, not a {data.get('kind')!r}"))
    doc_name = str(data.get("name") or "")
    if name is not None and doc_name != name:
        issues.append(("name", f"the name is {name!r} here; to rename, create a new document (Copy)"))
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        issues.append(("tags", "tags must be a list"))
    spec = data.get("spec")
    if not isinstance(spec, dict):
        issues.append(("spec", "required: a mapping with the document's fields"))
    if issues:
        raise ModelError(issues)
    return doc_name, [str(t) for t in tags], spec  # type: ignore[return-value]


@router.post("/new/{group:j2fgroup}/yaml")
@router.post("/{group:j2fgroup}/{name}/yaml")
async def yaml_submit(request: Request, group: str, name: str | None = None) -> Response:
    user = await _sender(request)
    edit = Edit.submitted(group, name, await request.form())
    if isinstance(user, Outcome):
        return _yaml_page(request, edit, user)
    try:
        edit.name, edit.tags, spec = parse_yaml(edit.text, edit.kind, name)
    except ModelError as err:
        return _yaml_page(request, edit, Outcome(status=422, issues=list(err.issues)))
    outcome = await run_in_threadpool(_submit, state(request).catalog, user, edit, spec)
    if outcome.doc is not None:
        return _done(request, group, outcome.doc, edit.expected)
    edit.expected = outcome.expected if outcome.expected is not None else edit.expected
    return _yaml_page(request, edit, outcome)

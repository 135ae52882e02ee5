"""What every page shares: the app's state, who the user is, CSRF checks, and rendering a template."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from jenkins2flow_runtime.ui import access
from jenkins2flow_runtime.ui.auth import ROLES, Signer, User, UsersFile
from jenkins2flow_runtime.ui.service import GROUP_OF, LABELS, Catalog
from jenkins2flow_runtime.ui.settings import UiSettings

log = logging.getLogger("jenkins2flow_runtime.ui")
HERE = Path(__file__).parent
SESSION_COOKIE = "j2f_session"
NONCE_COOKIE = "j2f_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MESSAGES = {  # ?ok=... after a redirect: fixed texts, never echoed input
    "saved": "Saved as version {v}.",
    "unchanged": "Nothing changed: version {v} kept (no new version).",
    "created": "Created version {v}.",
    "published": "Published version {v}.",
    "retired": "Retired version {v}.",
    "rolledback": "Rolled back: the old spec is published as version {v}.",
    "loggedout": "You are logged out.",
}


class LoginRequired(Exception):
    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class BadRequest(Exception):
    pass


@dataclass
class UiState:
    settings: UiSettings
    catalog: Catalog
    signer: Signer
    users: UsersFile | None  # local auth only


def state(request: Request) -> UiState:
    return request.app.state.ui  # type: ignore[no-any-return]


def is_api(request: Request) -> bool:
    return request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/")


def cookie_path(request: Request) -> str:
    return (request.scope.get("root_path", "") or "") + "/"


# -- who is asking ---------------------------------------------------------------------------------------------------

def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


async def resolve_user(request: Request) -> User | None:
    """The user of this request (cached), or None; sets request.state.login_problem when a credential failed."""
    if hasattr(request.state, "j2f_user"):  # not "user": Airflow's middleware sets that one
        return request.state.j2f_user  # type: ignore[no-any-return]
    st = state(request)
    user: User | None = None
    request.state.login_problem = ""
    if st.settings.auth == "airflow":
        from jenkins2flow_runtime.ui.airflow_auth import airflow_user, token_from

        user, request.state.login_problem = await airflow_user(token_from(request.headers, request.cookies),
                                                               st.settings.role_map)
    else:
        assert st.users is not None
        token = _bearer(request)
        if token:
            user = st.users.token_user(token)
            if user is None:
                request.state.login_problem = "the API token is not valid"
        elif request.cookies.get(SESSION_COOKIE):
            data = st.signer.unsign(request.cookies[SESSION_COOKIE], max_age=12 * 3600)
            if data is not None:
                user = st.users.user(str(data.get("u", "")), str(data.get("f", "")))
    request.state.j2f_user = user
    return user


async def need(request: Request, role: str = "viewer") -> User:
    user = await resolve_user(request)
    if user is None:
        raise LoginRequired(getattr(request.state, "login_problem", ""))
    if not user.at_least(role):
        raise access.Denied(f"{user.name!r} is a {user.role}; this needs the {role} role.")
    return user


# -- CSRF: a random per-browser nonce cookie; forms carry HMAC(nonce, user) ------------------------------------------

def nonce(request: Request) -> str:
    if not hasattr(request.state, "nonce"):
        request.state.nonce = request.cookies.get(NONCE_COOKIE) or secrets.token_urlsafe(24)
    return request.state.nonce  # type: ignore[no-any-return]


def csrf_token(request: Request) -> str:
    user = getattr(request.state, "j2f_user", None)
    return csrf_token_for(request, user.name if user else "")


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the token, unless it is authenticated by a header (API clients)."""
    if _bearer(request):
        return
    await resolve_user(request)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and "form" in request.headers.get("content-type", ""):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if not request.cookies.get(NONCE_COOKIE) or not secrets.compare_digest(sent, csrf_token(request)):
        raise BadRequest("The form has expired or did not come from this site (CSRF check). Reload the page and "
                         "send it again.")


FORM_EXPIRED = ("This form had expired or did not come from this site (CSRF check), so nothing was saved. What you "
                "sent is below with a fresh form: check it and send it again.")
SESSION_EXPIRED = ("Your session has expired, so nothing was saved. What you typed is below: log in again in a new "
                   "tab, then come back here and save.")


def expired_session_user(request: Request) -> str:
    """The user of a session cookie that is validly signed but too old ("" when there is none): a form sent after
    the session expired is shown again for that user to save once logged in again."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or state(request).settings.auth == "airflow":
        return ""
    data = state(request).signer.unsign(cookie, max_age=10**12)
    return str(data.get("u", "")) if data else ""


def same_origin(request: Request) -> bool:
    """Whether the browser says the request comes from a page of this site (Sec-Fetch-Site, else Origin); a client
    that sends neither is taken at its word (the CSRF token still guards every save)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def csrf_token_for(request: Request, name: str) -> str:
    return state(request).signer.csrf(nonce(request), name)


# -- rendering -------------------------------------------------------------------------------------------------------

def _when(value: datetime | str | None) -> str:
    """A time as `2026-01-15 02:23 UTC` (naive times are UTC, as the store writes them)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ticks(text: str) -> Markup:
    """A schema description's `quoted` words as code, the rest escaped: "e.g. `Europe/Paris`" reads as code."""
    parts = str(escape(text)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return Markup("`".join(parts))
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


templates = Jinja2Templates(env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                                            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True))
templates.env.filters["when"] = _when
templates.env.filters["ticks"] = _ticks
templates.env.globals.update(GROUP_OF=GROUP_OF, LABELS=LABELS, ROLES=ROLES)


def url(request: Request, route: str, query: dict[str, Any] | None = None, /, **params: Any) -> str:
    """The path of a route of this app (under its mount point, inside Airflow), with a query string."""
    path = request.url_for(route, **{k: str(v) for k, v in params.items()}).path
    query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return path + ("?" + urlencode(query, doseq=True) if query else "")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    st = state(request)
    user = getattr(request.state, "j2f_user", None)
    ok = request.query_params.get("ok", "")
    message = MESSAGES[ok].format(v=request.query_params.get("v", "?")) if ok in MESSAGES else ""

    def may(action: access.Action, doc: Any = None) -> bool:
        return user is not None and access.may(user, action, doc)

    base = {
        "request": request, "user": user, "settings": st.settings, "message": message,
        "url": lambda route, query=None, /, **p: url(request, route, query, **p),
        "csrf_field": CSRF_FIELD, "csrf": csrf_token(request) if user or template == "login.html" else "",
        "may": may,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)

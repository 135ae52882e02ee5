"""Standalone sign-in: the users file's names and scrypt hashes; a signed session cookie. (Inside Airflow, Airflow's
own login is used: these pages then only point there.)"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from jenkins2flow_runtime.ui.auth import SESSION_SECONDS, password_fingerprint
from jenkins2flow_runtime.ui.web import SESSION_COOKIE, check_csrf, cookie_path, page, resolve_user, state, url

router = APIRouter()


def _safe_next(request: Request, target: str) -> str:
    """Only a path of this app: never another site."""
    root = request.scope.get("root_path", "") or ""
    if target.startswith("/") and not target.startswith("//") and target.startswith(root + "/"):
        return target
    return url(request, "catalog")


@router.get("/login", name="login")
async def login_form(request: Request, next: str = "") -> Response:
    await resolve_user(request)
    if state(request).settings.auth == "airflow":
        from jenkins2flow_runtime.ui.airflow_auth import login_url

        return RedirectResponse(login_url(str(request.base_url)), status_code=303)
    return page(request, "login.html", next=next, username="", error="")


@router.post("/login")
async def login(request: Request) -> Response:
    await check_csrf(request)
    form = await request.form()
    name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = _safe_next(request, str(form.get("next", "")))
    st = state(request)
    user = st.users.login(name, password) if st.users is not None else None
    if user is None or st.users is None:
        return page(request, "login.html", status=401, next=target, username=name,
                    error="Unknown user name or wrong password.")
    session = st.signer.sign({"u": user.name, "f": password_fingerprint(st.users.users[user.name].secret),
                              "iat": time.time()})
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        path=cookie_path(request), secure=request.url.scheme == "https")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request) -> Response:
    await resolve_user(request)
    await check_csrf(request)
    response = RedirectResponse(url(request, "login", {"ok": "loggedout"}), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
    return response


@router.get("/healthz", name="healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}

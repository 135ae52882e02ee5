"""The catalog UI's FastAPI app: `create_app(UiSettings(...))`, served by `jenkins2flow ui` or mounted by Airflow."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from jenkins2flow_runtime.model import ModelError
from jenkins2flow_runtime.store import ConflictError, NotFoundError, RefError, StoreError
from jenkins2flow_runtime.ui import access
from jenkins2flow_runtime.ui.auth import Signer, UsersFile
from jenkins2flow_runtime.ui.service import Catalog
from jenkins2flow_runtime.ui.settings import UiSettings
from jenkins2flow_runtime.ui.web import (
    HERE,
    NONCE_COOKIE,
    BadRequest,
    LoginRequired,
    UiState,
    cookie_path,
    is_api,
    nonce,
    page,
    resolve_user,
    url,
)

log = logging.getLogger("jenkins2flow_runtime.ui")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def _secret_key(settings: UiSettings, users: UsersFile | None) -> str:
    if settings.secret_key:
        return settings.secret_key
    if users is not None and users.secret_key:
        return users.secret_key
    if settings.auth == "airflow":
        from jenkins2flow_runtime.ui.airflow_auth import airflow_secret_key

        key = airflow_secret_key()
        if key:
            return key
    log.warning("catalog UI: no secret key configured; sessions end when the process stops")
    return secrets.token_hex(32)


def create_app(settings: UiSettings | None = None) -> FastAPI:
    from jenkins2flow_runtime.ui import api, editing, login, migration_pages, pages

    settings = settings or UiSettings()
    users = None
    if settings.auth == "local":
        users = UsersFile(settings.users_path)
        users.refresh()
    app = FastAPI(title=settings.title, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_lifespan)
    app.state.ui = UiState(settings, Catalog(settings.store, settings.refresh_seconds,
                                                     settings.create_store),
                           Signer(_secret_key(settings, users)), users)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (login, api, migration_pages, editing, pages):
        app.include_router(module.router)
    app.middleware("http")(_headers)
    _errors(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.ui.catalog.index.warm()  # the first list page need not wait for the index
    yield
    app.state.ui.catalog.close()


async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    fresh = NONCE_COOKIE not in request.cookies
    nonce(request)
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    if fresh:
        response.set_cookie(NONCE_COOKIE, nonce(request), httponly=True, samesite="strict",
                            path=cookie_path(request), secure=request.url.scheme == "https")
    return response


async def _problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    if is_api(request):
        return JSONResponse({"error": title, "detail": detail, **extra}, status_code=status)
    try:
        await resolve_user(request)  # the page header shows who is logged in
    except Exception:  # the error page is shown whatever happened to the login
        request.state.j2f_user = None
    return page(request, "error.html", status=status, title=title, detail=detail)


ERRORS: dict[type[Exception], tuple[int, str]] = {  # found along the error's MRO: RefError before StoreError
    access.Denied: (403, "Not allowed"),
    BadRequest: (400, "Bad request"),
    NotFoundError: (404, "Not found"),
    ConflictError: (409, "Conflict"),
    RefError: (409, "Missing references"),
    ModelError: (422, "Not valid"),
    StoreError: (400, "Store error"),
}


def _handler(status: int, title: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        extra: dict[str, Any] = {}
        if isinstance(exc, RefError):
            extra["problems"] = exc.problems
        if isinstance(exc, ModelError):
            extra["issues"] = [{"path": p, "message": m} for p, m in exc.issues]
        return await _problem(request, status, title, str(exc), **extra)

    return handle


def _errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return JSONResponse({"error": "not authenticated", "detail": exc.reason or "log in or send a token"},
                                status_code=401)
        if request.app.state.ui.settings.auth == "airflow":
            from jenkins2flow_runtime.ui.airflow_auth import login_url

            return RedirectResponse(login_url(str(request.url)), status_code=303)
        return RedirectResponse(url(request, "login", {"next": request.url.path}), status_code=303)

    for error, (status, title) in ERRORS.items():
        app.add_exception_handler(error, _handler(status, title))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request) or exc.status_code not in (404, 405):
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        return await _problem(request, exc.status_code, "Not found", f"There is no page at {request.url.path!r}.")

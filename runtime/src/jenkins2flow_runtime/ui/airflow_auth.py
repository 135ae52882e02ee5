"""Inside Airflow: who the Airflow user is (Airflow does not authenticate plugin apps) and which role they get here.

The Airflow UI sends its JWT as the `_token` cookie (or an API client as `Authorization: Bearer`); the auth manager
checks it. Roles come from the user's Airflow role names (simple and FAB auth managers) through a map, else from
what the auth manager lets them do with DAGs and variables. Teams are the user's Airflow teams, where it has some.
"""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime.ui.auth import ROLES, User

COOKIE = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


def _role_names(user: Any) -> list[str]:
    role = getattr(user, "role", None)  # simple auth manager
    if isinstance(role, str) and role:
        return [role]
    roles = getattr(user, "roles", None) or []  # FAB auth manager: Role objects
    return [str(getattr(r, "name", r)) for r in roles]


def _teams(user: Any) -> tuple[str, ...]:
    teams = getattr(user, "teams", None) or []
    return tuple(str(getattr(t, "name", t)) for t in teams)


def _probe(manager: Any, user: Any) -> str | None:
    """A role from the auth manager's own decisions, for auth managers without role names."""
    try:
        if manager.is_authorized_variable(method="PUT", user=user):
            return "publisher"
        if manager.is_authorized_dag(method="PUT", user=user):
            return "editor"
        if manager.is_authorized_dag(method="GET", user=user):
            return "viewer"
    except Exception:  # noqa: BLE001 - an auth manager that cannot answer grants nothing
        return None
    return None


def map_user(user: Any, role_map: dict[str, str], manager: Any = None) -> User | None:
    """Our user for an Airflow user: the highest mapped role of its role names; None when it maps to none."""
    mapped = [role_map[n.lower()] for n in _role_names(user) if n.lower() in role_map]
    mapped = [r for r in mapped if r in ROLES]
    role = max(mapped, key=ROLES.index) if mapped else (_probe(manager, user) if manager is not None else None)
    if role is None:
        return None
    return User(str(user.get_name()), role, _teams(user), via="airflow")


def token_from(headers: Any, cookies: Any) -> str:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return str(auth[7:].strip())
    return str(cookies.get(COOKIE, ""))


async def airflow_user(token: str, role_map: dict[str, str]) -> tuple[User | None, str]:
    """(our user, "") or (None, why): checks the token with Airflow's auth manager."""
    if not token:
        return None, "not logged in to Airflow"
    from airflow.api_fastapi.app import get_auth_manager

    manager = get_auth_manager()
    try:
        af_user = await manager.get_user_from_token(token)
    except Exception as exc:  # noqa: BLE001 - expired, revoked, malformed: all mean "log in again"
        return None, f"the Airflow token is not valid ({type(exc).__name__})"
    user = map_user(af_user, role_map, manager)
    if user is None:
        return None, f"the Airflow user {af_user.get_name()!r} has no role that gives access to the catalog"
    return user, ""


def login_url(next_url: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return str(get_auth_manager().get_url_login(next_url=next_url))


def airflow_secret_key() -> str:
    from airflow.configuration import conf

    return str(conf.get("api", "secret_key", fallback="") or "")

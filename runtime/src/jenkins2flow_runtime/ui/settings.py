"""How one catalog UI app is configured: its store, state folder, and where its users come from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Airflow role names (simple and FAB auth managers, compared without case) -> catalog UI roles.
DEFAULT_ROLE_MAP = {"admin": "admin", "op": "publisher", "user": "editor", "viewer": "viewer"}


@dataclass(frozen=True)
class UiSettings:
    store: str | None = None  # the catalog store URI (default: $JENKINS2FLOW_STORE, then .jenkins2flow/store.db)
    state_dir: Path = Path(".jenkins2flow")  # where shadow reports are (shadow/<run_id>/report.html)
    auth: Literal["local", "airflow"] = "local"  # local: users file / tokens; airflow: Airflow's own users
    users_file: Path | None = None  # local auth: the users file (default: <state_dir>/ui-users.yaml)
    secret_key: str = ""  # signs sessions and CSRF tokens (default: the users file's, or Airflow's [api] secret_key)
    refresh_seconds: float = 30.0  # the list pages' index is rebuilt at least this often when the store changed
    role_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLE_MAP))
    title: str = "jenkins2flow catalog"
    create_store: bool = False  # `jenkins2flow ui` may start a catalog from nothing; inside Airflow it only reads one

    @property
    def users_path(self) -> Path:
        return self.users_file or self.state_dir / "ui-users.yaml"

    @classmethod
    def for_airflow(cls) -> UiSettings:
        """Inside Airflow's api-server: the store and state folder from the environment, Airflow's users, and
        $JENKINS2FLOW_UI_ROLES (e.g. `DataTeam=editor,Op=publisher`) on top of the default role map."""
        state = os.environ.get("JENKINS2FLOW_STATE_DIR") or ".jenkins2flow"
        return cls(store=os.environ.get("JENKINS2FLOW_STORE") or None, state_dir=Path(state), auth="airflow",
                   role_map={**DEFAULT_ROLE_MAP, **parse_role_map(os.environ.get("JENKINS2FLOW_UI_ROLES", ""))})


def parse_role_map(text: str) -> dict[str, str]:
    """`Airflow role=our role, ...` (names without case); ValueError naming a bad entry."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        airflow_role, sep, ours = (x.strip() for x in item.partition("="))
        if not sep or ours not in ("viewer", "editor", "publisher", "admin"):
            raise ValueError(f"JENKINS2FLOW_UI_ROLES: {item!r} is not 'AirflowRole=viewer|editor|publisher|admin'.")
        out[airflow_role.lower()] = ours
    return out

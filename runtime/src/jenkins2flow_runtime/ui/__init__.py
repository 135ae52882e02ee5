"""The catalog UI: teams create, review and publish tasks, views, templates and pipelines in a browser.

One FastAPI app over the store (`create_app`), served standalone by `jenkins2flow ui` (uvicorn) or inside
Airflow 3.1+ by the jenkins2flow plugin (mounted at /jenkins2flow, linked from Airflow's navigation). Pages are
server-rendered Jinja2 (autoescaped); forms come from the model's JSON Schema; every write goes through the store's
API (versions, optimistic concurrency, audit trail). Modules: `app` (the app), `pages` / `editing` /
`migration_pages` / `login` / `api` (routes), `service` (the catalog behind the access rules), `auth` / `access` /
`airflow_auth` (who may do what), `index` (the list pages' index), `forms`, `yamltext`, `schedule`, `graph`,
`diffview`, `sandbox` (the SQL test render).
"""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime.ui.settings import UiSettings

__all__ = ["UiSettings", "create_app"]


def create_app(settings: UiSettings | None = None) -> Any:
    from jenkins2flow_runtime.ui.app import create_app as create

    return create(settings)

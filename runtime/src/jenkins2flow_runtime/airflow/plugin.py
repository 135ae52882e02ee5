"""The jenkins2flow Airflow plugin (entry point `airflow.plugins`): the Jenkins-cron timetables, and the catalog UI
as a FastAPI app mounted at /jenkins2flow with a link in Airflow's navigation (Airflow 3.1+).

Airflow does not authenticate plugin apps: the UI checks the Airflow user itself (its JWT, the `_token` cookie or a
bearer token) and maps the user's Airflow role to a catalog role (jenkins2flow_runtime.ui.airflow_auth). The app
is built when the api-server asks for it, never in the scheduler or a task: it reads $JENKINS2FLOW_STORE and
$JENKINS2FLOW_STATE_DIR (where shadow reports are).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from jenkins2flow_runtime.airflow.timetables import JenkinsCronTriggerTimetable, JenkinsMultipleCronTriggerTimetable

URL_PREFIX = "/jenkins2flow"


class Jenkins2flowPlugin(AirflowPlugin):
    name = "jenkins2flow"
    timetables = [JenkinsCronTriggerTimetable, JenkinsMultipleCronTriggerTimetable]
    external_views = [{
        "name": "Catalog",
        "href": f"{URL_PREFIX}/catalog",
        "destination": "nav",
        "category": "jenkins2flow",
        "url_route": "jenkins2flow-catalog",
    }]

    @cached_property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        from jenkins2flow_runtime.ui import UiSettings, create_app

        return [{"app": create_app(UiSettings.for_airflow()), "url_prefix": URL_PREFIX, "name": "jenkins2flow catalog"}]

"""The jenkins2flow Airflow plugin: registers the Jenkins-cron timetables (entry point `airflow.plugins`)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from jenkins2flow_runtime.airflow.timetables import JenkinsCronTriggerTimetable, JenkinsMultipleCronTriggerTimetable


class Jenkins2flowPlugin(AirflowPlugin):
    name = "jenkins2flow"
    timetables = [JenkinsCronTriggerTimetable, JenkinsMultipleCronTriggerTimetable]

"""Timetables with Jenkins' cron semantics.

Standard cron (and Airflow's CronTriggerTimetable, through croniter) fires when the day-of-month OR the day-of-week
matches, when both are restricted. Jenkins fires only when BOTH match (hudson.scheduler.CronTab.check). These
timetables keep Jenkins' AND; they are registered by the jenkins2flow plugin so the scheduler can deserialize them.
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow._shared.timezones.timezone import convert_to_utc, make_aware, make_naive
from airflow.timetables.trigger import CronTriggerTimetable, MultipleCronTriggerTimetable
from croniter import croniter
from pendulum import DateTime

# Jenkins' AND of day-of-month and day-of-week can be rare (e.g. Friday the 13th): croniter searches this far.
_MAX_YEARS = 50


class JenkinsCronTriggerTimetable(CronTriggerTimetable):
    """A CronTriggerTimetable that fires only when both day-of-month and day-of-week match (Jenkins' rule)."""

    def _cron(self, naive: datetime.datetime) -> croniter:
        return croniter(self._expression, start_time=naive, day_or=False, max_years_between_matches=_MAX_YEARS)

    def _get_next(self, current: DateTime) -> DateTime:
        naive = make_naive(current, self._timezone)
        scheduled = self._cron(naive).get_next(datetime.datetime)
        return convert_to_utc(make_aware(scheduled, self._timezone))

    def _get_prev(self, current: DateTime) -> DateTime:
        naive = make_naive(current, self._timezone)
        scheduled = self._cron(naive).get_prev(datetime.datetime)
        return convert_to_utc(make_aware(scheduled, self._timezone))

    @property
    def summary(self) -> str:
        return f"{self._expression} (Jenkins: day-of-month AND day-of-week)"


class JenkinsMultipleCronTriggerTimetable(MultipleCronTriggerTimetable):
    """Several Jenkins cron lines, each with Jenkins' AND of day-of-month and day-of-week."""

    def __init__(self, *crons: str, timezone: Any, **kwargs: Any) -> None:
        super().__init__(*crons, timezone=timezone, **kwargs)
        self._timetables = [
            JenkinsCronTriggerTimetable(
                t._expression, timezone=t._timezone, interval=t._interval, run_immediately=t._run_immediately
            )
            for t in self._timetables
        ]

    @property
    def summary(self) -> str:
        return ", ".join(t._expression for t in self._timetables) + " (Jenkins: day-of-month AND day-of-week)"


def jenkins_timetable(crons: list[str], timezone: str, and_dom_dow: bool) -> Any:
    """The timetable for a pipeline schedule: None, one cron, several; Jenkins' AND when the flag says so."""
    if not crons:
        return None
    if and_dom_dow:
        if len(crons) == 1:
            return JenkinsCronTriggerTimetable(crons[0], timezone=timezone)
        return JenkinsMultipleCronTriggerTimetable(*crons, timezone=timezone)
    if len(crons) == 1:
        return CronTriggerTimetable(crons[0], timezone=timezone)
    return MultipleCronTriggerTimetable(*crons, timezone=timezone)


def pipeline_assets(upstream: list[Any]) -> Any:
    """The asset condition of a downstream pipeline: ANY of its upstream pipelines' assets (Jenkins starts the
    downstream when any upstream project ends past its threshold)."""
    from airflow.sdk import Asset, AssetAny

    from jenkins2flow_runtime.model.specs import pipeline_asset_uri

    assets = [Asset(uri=pipeline_asset_uri(u.pipeline, u.on), name=pipeline_asset_uri(u.pipeline, u.on))
              for u in upstream]
    return assets[0] if len(assets) == 1 else AssetAny(*assets)


def with_upstream(timetable: Any, upstream: list[Any]) -> Any:
    """A cron timetable (or None) combined with upstream pipeline assets: the assets alone, or either."""
    if not upstream:
        return timetable
    from airflow.sdk import AssetOrTimeSchedule

    assets = pipeline_assets(upstream)
    return assets if timetable is None else AssetOrTimeSchedule(timetable=timetable, assets=assets)

"""Jenkins' AND of day-of-month and day-of-week, as an Airflow timetable: next-run logic and serialization."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.airflow


def _next(timetable, after):  # type: ignore[no-untyped-def]
    from airflow.timetables.base import DataInterval, TimeRestriction

    last = DataInterval(after, after)
    info = timetable.next_dagrun_info(last_automated_data_interval=last,
                                      restriction=TimeRestriction(earliest=None, latest=None, catchup=True))
    return info.run_after


def test_friday_13th_fires_only_when_both_days_match() -> None:
    import pendulum
    from jenkins2flow_runtime.airflow.timetables import JenkinsCronTriggerTimetable

    tt = JenkinsCronTriggerTimetable("0 9 13 * 5", timezone="UTC")
    start = pendulum.datetime(2024, 1, 1, tz="UTC")
    runs = []
    for _ in range(3):
        start = _next(tt, start)
        runs.append(start.to_date_string())
    assert runs == ["2024-09-13", "2024-12-13", "2025-06-13"]  # Fridays the 13th, nothing else


def test_standard_cron_would_or_the_days() -> None:
    import pendulum
    from airflow.timetables.trigger import CronTriggerTimetable

    tt = CronTriggerTimetable("0 9 13 * 5", timezone="UTC")
    assert _next(tt, pendulum.datetime(2024, 1, 1, tz="UTC")).to_date_string() == "2024-01-05"  # a Friday


def test_timezone_is_honoured() -> None:
    import pendulum
    from jenkins2flow_runtime.airflow.timetables import JenkinsCronTriggerTimetable

    tt = JenkinsCronTriggerTimetable("30 2 1 * 1", timezone="Europe/Paris")  # the 1st of a month that is a Monday
    run = _next(tt, pendulum.datetime(2024, 1, 1, 12, tz="UTC"))
    assert run == pendulum.datetime(2024, 4, 1, 0, 30, tz="UTC")  # 02:30 CEST


def test_several_lines_take_the_earliest() -> None:
    import pendulum
    from jenkins2flow_runtime.airflow.timetables import jenkins_timetable

    tt = jenkins_timetable(["0 9 13 * 5", "0 8 1 * 1"], "UTC", and_dom_dow=True)
    assert type(tt).__name__ == "JenkinsMultipleCronTriggerTimetable"
    assert _next(tt, pendulum.datetime(2024, 1, 1, 12, tz="UTC")) == pendulum.datetime(2024, 4, 1, 8, tz="UTC")


def test_registered_and_round_trips_through_serialization() -> None:
    from airflow.serialization.encoders import encode_timetable
    from airflow.serialization.helpers import find_registered_custom_timetable
    from jenkins2flow_runtime.airflow.timetables import JenkinsCronTriggerTimetable

    path = "jenkins2flow_runtime.airflow.timetables.JenkinsCronTriggerTimetable"
    assert find_registered_custom_timetable(path) is JenkinsCronTriggerTimetable
    tt = JenkinsCronTriggerTimetable("0 9 13 * 5", timezone="Europe/Paris")
    encoded = encode_timetable(tt)
    assert encoded["__type"] == path
    back = JenkinsCronTriggerTimetable.deserialize(encoded["__var"])
    assert back == tt and "AND" in back.summary

"""Jenkins' own test vectors for H (hudson.scheduler.CronTabTest), through the library and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jenkins2flow.cli.main import cli
from jenkins2flow.schedule.cron import CronError, resolve

VECTORS = [
    ("H * * * *", "stuff", ["56 * * * *"]),
    ("H * * * *", "junk", ["20 * * * *"]),
    ("H/15 * * * *", "stuff", ["11,26,41,56 * * * *"]),
    ("H H(12-13) * * *", "stuff", ["56 13 * * *"]),
    ("H * * * *\nH * * * *", "seed", ["35 * * * *", "56 * * * *"]),
]


@pytest.mark.parametrize(("spec", "seed", "expected"), VECTORS)
def test_library_reproduces_jenkins_vectors(spec: str, seed: str, expected: list[str]) -> None:
    assert resolve(spec, seed).cron == expected


@pytest.mark.parametrize(("spec", "seed", "expected"), VECTORS)
def test_cli_json_reproduces_jenkins_vectors(spec: str, seed: str, expected: list[str]) -> None:
    result = CliRunner().invoke(cli, ["cron", spec.replace("\n", "\\n"), "--job", seed, "--next", "3", "--json",
                                      "--after", "2026-01-01T00:00:00+00:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["cron"] == expected
    assert data["timezone"] == "UTC"
    assert len(data["next"]) == 3


def test_cli_next_times_follow_the_resolved_minute() -> None:
    result = CliRunner().invoke(cli, ["cron", "H * * * *", "--job", "stuff", "--next", "2", "--json",
                                      "--after", "2026-01-01T00:00:00+00:00"])
    assert json.loads(result.output)["next"] == ["2026-01-01T00:56:00+00:00", "2026-01-01T01:56:00+00:00"]


def test_alias_after_tz_keeps_the_timezone_and_notes_the_quirk() -> None:
    sched = resolve("TZ=Europe/Paris\n@daily", "stuff")
    assert sched.timezone == "Europe/Paris"
    assert len(sched.cron) == 1 and sched.cron[0].endswith("* * *")
    assert any("quirk" in n for n in sched.notes)


def test_midnight_alias_hour_is_within_0_to_2() -> None:
    hour = int(resolve("@midnight", "any/job").cron[0].split()[1])
    assert 0 <= hour <= 2


def test_tz_not_on_first_line_is_refused_with_its_line() -> None:
    with pytest.raises(CronError) as info:
        resolve("H * * * *\nTZ=UTC", "x")
    assert info.value.line == 2


@pytest.mark.parametrize("spec", ["# nightly\nTZ=Europe/Berlin\nH 3 * * *", "\nTZ=Europe/Berlin\nH 3 * * *"])
def test_tz_after_a_comment_or_a_blank_line_is_refused_as_jenkins_refuses_it(spec: str) -> None:
    # CronTabList.create reads TZ= on line 1 only; on line 2 it is parsed as a cron line, which fails
    with pytest.raises(CronError, match="only allowed on the first line") as info:
        resolve(spec, "x")
    assert info.value.line == 2


def test_tz_with_a_space_after_the_equals_sign_is_an_unknown_zone_as_in_jenkins() -> None:
    with pytest.raises(CronError, match="Unknown timezone ' Europe/Paris'"):
        resolve("TZ= Europe/Paris\nH 3 * * *", "x")
    assert resolve("  TZ=Europe/Paris  \nH 3 * * *", "x").timezone == "Europe/Paris"  # the line is trimmed


def test_and_of_dom_and_dow_is_flagged() -> None:
    assert resolve("0 0 13 * 5", "x").and_dom_dow
    assert not resolve("0 0 13 * *", "x").and_dom_dow


def test_cli_reports_a_bad_spec_without_traceback() -> None:
    result = CliRunner().invoke(cli, ["cron", "H H H", "--job", "x"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_default_timezone_applies_only_without_a_tz_line() -> None:
    assert resolve("H * * * *", "stuff", "Europe/Paris").timezone == "Europe/Paris"
    assert not resolve("H * * * *", "stuff", "Europe/Paris").tz_line
    tz = resolve("TZ=Asia/Tokyo\nH * * * *", "stuff", "Europe/Paris")
    assert (tz.timezone, tz.tz_line, tz.cron) == ("Asia/Tokyo", True, ["56 * * * *"])
    result = CliRunner().invoke(cli, ["cron", "H * * * *", "--job", "stuff", "--next", "1", "--json",
                                      "--timezone", "Europe/Paris", "--after", "2026-01-01T00:00:00+00:00"])
    assert json.loads(result.output)["timezone"] == "Europe/Paris"
    assert json.loads(result.output)["next"] == ["2026-01-01T01:56:00+01:00"]  # 00:00 UTC is 01:00 in Paris

"""`jenkins2flow cron SPEC --job FULL_NAME`: a Jenkins schedule resolved as Jenkins would."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from jenkins2flow.cli.options import zone_option
from jenkins2flow.errors import UsageError
from jenkins2flow.schedule.cron import CronError, resolve


@click.command()
@click.argument("spec")
@click.option("--job", "full_name", required=True, help="The job's full name (folder/job): the seed of H.")
@click.option("--next", "count", default=5, show_default=True, help="How many next fire times to print.")
@click.option("--after", default=None, help="ISO time to count from (default: now).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--timezone", "timezone", default=None, metavar="ZONE", callback=zone_option,
              help="Jenkins' default time zone (its JVM's) for a spec without TZ= (default: UTC).")
def cron(spec: str, full_name: str, count: int, after: str | None, as_json: bool, timezone: str | None) -> None:
    """Resolve a Jenkins cron SPEC (H, TZ=, @aliases, several lines) for a job and show its next fire times."""
    spec = spec.replace("\\n", "\n")
    try:
        schedule = resolve(spec, full_name, timezone or "UTC")
    except CronError as exc:
        raise UsageError(f"<spec>:{exc.line}:1: {exc}") from None
    start = datetime.fromisoformat(after) if after else datetime.now(UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    times = schedule.next_times(start, count)
    if as_json:
        click.echo(json.dumps({
            "cron": schedule.cron,
            "timezone": schedule.timezone,
            "and_dom_dow": schedule.and_dom_dow,
            "next": [t.isoformat() for t in times],
        }))
        return
    click.echo(f"timezone: {schedule.timezone}")
    for line in schedule.cron:
        click.echo(f"cron:     {line}")
    if schedule.and_dom_dow:
        click.echo("note:     day-of-month AND day-of-week (Jenkins); Airflow needs a timetable for this")
    for t in times:
        click.echo(f"next:     {t.isoformat()}")


def register(cli: click.Group) -> None:
    cli.add_command(cron)

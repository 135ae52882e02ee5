"""Options shared by the estate commands (audit, convert, dry-run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

import jenkins2flow.convert.job  # noqa: F401  (registers every handler)
from jenkins2flow.convert.classify import load_overrides
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.convert.rules import Rules, load_rules


def zone_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is not a time zone; use an IANA name such as 'Europe/Paris'.") from None
    return value


def conversion_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--timezone", "timezone", default=None, metavar="ZONE", callback=zone_option,
                      help="Jenkins' default time zone (its JVM's) for cron specs without TZ= (default: UTC).")(fn)
    fn = click.option("--job-name", "job_name", default="", metavar="FOLDER/JOB",
                      help="The Jenkins full name of the one job given as a loose file (the seed of H in its "
                           "schedule); otherwise it is guessed from the file name.")(fn)
    fn = click.option("--mappings", "mappings", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                      help="A folder of *.yaml rules added on top of the defaults (repeatable).")(fn)
    fn = click.option("--workspace", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
                      help="The jobs' source checkout, to read SQL files that psql/bq/snowsql... steps run.")(fn)
    fn = click.option("--classify", "classify_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                      default=None, help="YAML of per-job classification overrides: {job or glob: data|cicd}.")(fn)
    return fn


def setup(mappings: tuple[Path, ...], classify_file: Path | None) -> tuple[Rules, dict[str, str]]:
    rules = load_rules(mappings, handlers=HANDLERS)
    return rules, (load_overrides(classify_file) if classify_file else {})

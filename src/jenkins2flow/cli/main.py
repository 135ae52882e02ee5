"""Entry point of the `jenkins2flow` command: every command is registered here."""

from __future__ import annotations

import sys

import click
from jenkins2flow_runtime.extras import MissingExtra
from jenkins2flow_runtime.store import StoreError

from jenkins2flow import __version__
from jenkins2flow.errors import Jenkins2flowError


class Group(click.Group):
    """Turns our errors and the store's (missing, corrupt, read-only, locked, unreachable) into one line on stderr
    and their exit code (1 for the store's), never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Jenkins2flowError as exc:
            click.echo(str(exc), err=True)
            sys.exit(exc.exit_code)
        except StoreError as exc:
            click.echo("Error: " + " ".join(str(exc).split()), err=True)
            sys.exit(1)
        except MissingExtra as exc:  # an optional dependency (boto3, pymongo) the command needs
            click.echo(str(exc), err=True)
            sys.exit(2)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jenkins2flow")
def cli() -> None:
    """Move data pipelines off Jenkins onto Apache Airflow, and prove each migration by shadow runs."""


def _register() -> None:
    from jenkins2flow.cli import (
        airflow_cmd,
        audit_cmd,
        convert_cmd,
        cron_cmd,
        demo,
        dry_run_cmd,
        render_cmd,
        shadow_cmd,
        ui_cmd,
    )

    for module in (convert_cmd, cron_cmd, demo, shadow_cmd, audit_cmd, dry_run_cmd, render_cmd, ui_cmd, airflow_cmd):
        module.register(cli)
    try:
        from jenkins2flow.cli import catalog
    except ImportError:  # pragma: no cover - the catalog commands are optional until they land
        return
    catalog.register(cli)
    from jenkins2flow.cli import promote_cmd

    promote_cmd.register(cli)


_register()


def main() -> None:
    cli()

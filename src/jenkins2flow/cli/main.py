"""Entry point of the `jenkins2flow` command."""

from __future__ import annotations

import click

from jenkins2flow import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jenkins2flow")
def cli() -> None:
    """Move data pipelines off Jenkins onto Apache Airflow, and prove each migration by shadow runs."""


def main() -> None:
    cli()

"""`jenkins2flow airflow`: a local Airflow 3 over the catalog, to see and run the migrated pipelines."""

from __future__ import annotations

import time
from pathlib import Path

import click
from jenkins2flow_runtime.store import StoreMissing, open_store, store_uri

from jenkins2flow.cli.convert_cmd import store_option
from jenkins2flow.errors import Jenkins2flowError


@click.command()
@store_option
@click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=Path(".jenkins2flow"),
              show_default=True, help="Where Airflow's home, its database, the DAG file and the workspaces go.")
@click.option("--port", type=int, default=8080, show_default=True, help="The port of Airflow's UI and API.")
def airflow(store: str | None, state_dir: Path, port: int) -> None:
    """Start Airflow (api-server, scheduler, dag-processor, triggerer) on 127.0.0.1 with the project's settings.

    Every published pipeline of the catalog is a DAG (the loader DAG file reads the store). The pools its tasks
    take that are missing are created first when the estate report knows their size (a Jenkins lock's: one slot);
    the others are printed, to create by hand. Runs until Ctrl-C, then stops every Airflow process. Log in as
    `admin` with the password printed at start."""
    from jenkins2flow.airflow_local import local_airflow

    uri = store_uri(store)
    if "://" not in uri:
        uri = str(Path(uri).resolve())
    try:
        open_store(uri).close()
    except StoreMissing as exc:
        raise Jenkins2flowError(str(exc)) from None
    click.echo(f"Starting Airflow on http://127.0.0.1:{port}/ over the catalog {uri} (logs in "
               f"{state_dir / 'airflow' / 'logs'})...")
    with local_airflow(state_dir, uri, port) as running:
        click.echo(f"Airflow is up: {running.url}/  user {running.user!r}, password {running.password!r}. "
                   "Ctrl-C stops it.")
        for line in running.pools.lines():
            click.echo(line)
        try:
            while all(p.poll() is None for p in running.procs):
                time.sleep(1)
        except KeyboardInterrupt:
            click.echo("Stopping Airflow...")
            return
    raise Jenkins2flowError(f"An Airflow process ended; see the logs in {state_dir / 'airflow' / 'logs'}.")


def register(cli: click.Group) -> None:
    cli.add_command(airflow)

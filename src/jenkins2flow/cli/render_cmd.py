"""`jenkins2flow render --dags-dir DIR [PIPELINE...]`: the static DAG files of the published pipelines."""

from __future__ import annotations

from pathlib import Path

import click

from jenkins2flow.cli.convert_cmd import store_option
from jenkins2flow.render.dag import RenderError, loader_warning, render_catalog


@click.command()
@click.argument("pipelines", nargs=-1)
@store_option
@click.option("--dags-dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write the DAG files into (one per pipeline, named after it).")
def render(pipelines: tuple[str, ...], store: str | None, dags_dir: Path) -> None:
    """Write the static DAG file of every published pipeline (or of the PIPELINE names given) from the catalog.

    Each file embeds the pipeline and the documents it pins and builds its DAG as the loader would, without
    reading the store. Files already up to date are left untouched. Deploy these files or the loader, not both."""
    from jenkins2flow_runtime.catalog import StoreUnavailable, load_from_store

    try:
        catalog = load_from_store(store)
    except StoreUnavailable as exc:
        raise RenderError(str(exc)) from None
    if message := loader_warning(dags_dir):
        click.echo(message, err=True)
    result = render_catalog(catalog, dags_dir, pipelines)
    unchanged = 0
    for w in result.written:
        if w.changed:
            click.echo(f"wrote {w.path} (pipeline {w.pipeline!r} version {w.version})")
        else:
            unchanged += 1
    click.echo(f"{len(result.written) - unchanged} written, {unchanged} unchanged, {len(result.errors)} failed "
               f"into {dags_dir}")
    if result.errors:
        raise RenderError("\n".join(result.errors))


def register(cli: click.Group) -> None:
    cli.add_command(render)

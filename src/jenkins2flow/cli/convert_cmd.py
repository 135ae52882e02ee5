"""`jenkins2flow convert` and `jenkins2flow inspect`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.errors import ConversionFailed
from jenkins2flow.ir import Job
from jenkins2flow.loading import load_paths
from jenkins2flow_runtime.store import open_store, store_uri

store_option = click.option(
    "--store", "store", default=None, metavar="URI",
    help="Catalog store: a SQLite path or mongodb://... (default $JENKINS2FLOW_STORE or .jenkins2flow/store.db).",
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--no-publish", is_flag=True, help="Save as drafts instead of publishing.")
def convert(paths: tuple[Path, ...], store: str | None, no_publish: bool) -> None:
    """Parse Jenkins jobs, convert them, and save them in the catalog store."""
    failed: list[str] = []
    with open_store(store_uri(store)) as st:
        for job in load_paths(paths):
            conv = convert_job(job)
            if conv.pipeline is None:
                first = (conv.errors or conv.diagnostics)[0]
                more = len(conv.errors) - 1
                failed.append(f"{first}" + (f" (and {more} more errors)" if more > 0 else ""))
                continue
            saved = save_conversion(st, conv, publish=not no_publish)
            warnings = sum(1 for d in conv.diagnostics if d.level == "warning")
            click.echo(
                f"{job.full_name}: {conv.status}, pipeline {saved.name} v{saved.version} "
                f"({len(conv.tasks)} tasks{f', {warnings} warnings' if warnings else ''})"
            )
    if failed:
        raise ConversionFailed("\n".join(failed))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job.")
def inspect(paths: tuple[Path, ...], as_json: bool) -> None:
    """Print the intermediate representation of Jenkins jobs."""
    from jenkins2flow.ir.to_json import job_to_dict

    for job in load_paths(paths):
        data = job_to_dict(job)
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            click.echo(_outline(job))


def _outline(job: Job) -> str:
    lines = [f"{job.full_name} ({job.kind}{', ' + job.flavor if job.flavor else ''})  {job.span}"]
    for p in job.parameters:
        lines.append(f"  param {p.name}: {p.type} = {p.default!r}")
    for t in job.triggers:
        lines.append(f"  trigger {t.kind} {t.spec or ','.join(t.upstream)}")

    def stages(items: tuple, depth: int) -> None:
        for s in items:
            lines.append(f"{'  ' * depth}stage {s.name!r}  {s.span.line}:{s.span.col}")
            for step in s.steps:
                lines.append(f"{'  ' * (depth + 1)}{step.name}  {step.span.line}:{step.span.col}")
            stages(s.stages, depth + 1)
            stages(s.parallel, depth + 1)

    stages(job.stages, 1)
    for d in job.diagnostics:
        lines.append(f"  {d.level}: {d}")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(convert)
    cli.add_command(inspect)

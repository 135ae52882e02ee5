"""`jenkins2flow convert SOURCE...` (batch, into the store and optionally DAG files) and `jenkins2flow inspect`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from jenkins2flow_runtime.store import StoreUnavailable, open_store, store_uri
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jenkins2flow.cli.catalog import _user
from jenkins2flow.cli.console import make_console
from jenkins2flow.cli.estate_record import record_estate
from jenkins2flow.cli.inputs import finish
from jenkins2flow.cli.options import conversion_options, setup
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.estate import convert_estate, named
from jenkins2flow.convert.save import save_conversion
from jenkins2flow.convert.secrets import mask, mask_data
from jenkins2flow.errors import ConversionFailed
from jenkins2flow.ir import Job
from jenkins2flow.sources import Inputs

store_option = click.option(
    "--store", "store", default=None, metavar="URI",
    help="Catalog store: a SQLite path or mongodb://... (default $JENKINS2FLOW_STORE or .jenkins2flow/store.db).",
)


def failure_line(conv: Conversion) -> str:
    """One `path:line:col: message` line for a failed job."""
    first = (conv.errors or conv.diagnostics)
    if first:
        more = len(conv.errors) - 1
        return f"{first[0]}" + (f" (and {more} more errors)" if more > 0 else "")
    return f"{conv.source}:1:1: {conv.reasons[0] if conv.reasons else conv.status}"


@click.command()
@click.argument("sources", nargs=-1, required=True)
@store_option
@click.option("--dags-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also render each pipeline as a standalone Airflow DAG file into this folder.")
@click.option("--only", default="", metavar="GLOB", help="Convert only the jobs whose full name matches.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any job is partial or unsupported, not only failed.")
@click.option("--no-publish", is_flag=True, help="Save as drafts instead of publishing.")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the estate report (statuses, ledger reasons, reuse, credentials) as JSON.")
@conversion_options
def convert(sources: tuple[str, ...], store: str | None, dags_dir: Path | None, only: str, strict: bool,
            no_publish: bool, report_path: Path | None, mappings: tuple[Path, ...], workspace: Path | None,
            classify_file: Path | None, timezone: str | None, job_name: str) -> None:
    """Convert Jenkins jobs (a JENKINS_HOME, folders, files, globs or a URL) and save them in the catalog.

    One failing job never stops the batch. Re-running is idempotent: unchanged documents get no new version."""
    rules, overrides = setup(mappings, classify_file)
    failed: list[str] = []
    strict_fail: list[str] = []
    err = make_console(stderr=True)
    with open_store(store_uri(store), create=True) as st, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        bar = progress.add_task("converting", total=None)

        def on_job(conv: Conversion) -> None:
            progress.update(bar, advance=1, description=f"converting {conv.job[:40]}")
            if conv.pipeline is None:
                if conv.status == "failed":
                    failed.append(failure_line(conv))
                else:
                    click.echo(f"{conv.job}: {conv.status} ({conv.reasons[0] if conv.reasons else ''})")
                    strict_fail.append(f"{conv.source}:1:1: {conv.job} is {conv.status}")
                return
            try:
                saved = save_conversion(st, conv, publish=not no_publish)
            except StoreUnavailable:
                raise  # the store itself (read-only, locked, down): every other job would fail the same way
            except Exception as exc:  # one job's store error never stops the batch
                failed.append(f"{conv.source}:1:1: cannot save {conv.job!r}: {exc}")
                return
            if dags_dir is not None:
                from jenkins2flow.render.dag import write_stored_dag

                try:  # one DAG file that cannot be rendered or written (memory, a folder in the way) never stops
                    write_stored_dag(dags_dir, st, saved)
                except Exception as exc:
                    failed.append(f"{conv.source}:1:1: cannot write the DAG file of {conv.job!r}: "
                                  f"{type(exc).__name__}{f': {exc}' if str(exc) else ''}")
            warnings = sum(1 for d in conv.diagnostics if d.level == "warning")
            click.echo(f"{conv.job}: {conv.status}, pipeline {saved.name} v{saved.version} "
                       f"({len(conv.pipeline.tasks)} tasks{f', {warnings} warnings' if warnings else ''})")
            if conv.status != "converted":
                strict_fail.append(f"{conv.source}:1:1: {conv.job} is {conv.status}")

        inputs = Inputs(sources)
        estate = convert_estate(named(inputs, job_name), rules=rules, workspace=workspace, overrides=overrides,
                                only=only, on_job=on_job, timezone=timezone)
    report = estate.report()
    record_estate(store_uri(store), estate, report, command="convert", sources=list(sources), by=_user())
    if report_path is not None:
        report_path.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    finish(inputs, unreadable=False, more=failed + (strict_fail if strict else []), error=ConversionFailed)


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job.")
def inspect(sources: tuple[str, ...], as_json: bool) -> None:
    """Print the intermediate representation of Jenkins jobs (a JENKINS_HOME, folders, files, globs or a URL).

    Secrets written in clear (tokens, keys, values of variables named like passwords) are shown masked."""
    from jenkins2flow.ir.to_json import job_to_dict

    inputs = Inputs(sources)
    for job in inputs:
        if as_json:
            click.echo(json.dumps(mask_data(job_to_dict(job)), ensure_ascii=False))
        else:
            click.echo(mask(_outline(job), fields=True))
    finish(inputs)


def _outline(job: Job) -> str:
    from jenkins2flow.ir.to_json import to_jsonable

    lines = [f"{job.full_name} ({job.kind}{', ' + job.flavor if job.flavor else ''})  {job.span}"]
    for p in job.parameters:
        default = mask_data({"name": p.name, "default": to_jsonable(p.default)})["default"]
        lines.append(f"  param {p.name}: {p.type} = {default!r}")
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

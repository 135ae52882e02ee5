"""`jenkins2flow convert SOURCE...` (batch, into the store and optionally DAG files) and `jenkins2flow inspect`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jenkins2flow.cli.catalog import _user
from jenkins2flow.cli.inputs import finish
from jenkins2flow.cli.options import conversion_options, setup
from jenkins2flow.cli.progress import progress_bar
from jenkins2flow.convert.estate import ConvertOptions
from jenkins2flow.convert.secrets import mask, mask_data
from jenkins2flow.errors import ConversionFailed
from jenkins2flow.estate_service import EstateOptions, EstateService, JobResult, Totals, failure_line
from jenkins2flow.ir import Job
from jenkins2flow.sources import Inputs

__all__ = ["convert", "failure_line", "inspect", "register", "store_option", "totals_lines"]

store_option = click.option(
    "--store", "store", default=None, metavar="URI",
    help="Catalog store: a SQLite path or mongodb://... (default $JENKINS2FLOW_STORE or .jenkins2flow/store.db).",
)


@click.command()
@click.argument("sources", nargs=-1, required=True)
@store_option
@click.option("--dags-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also render each pipeline as a standalone Airflow DAG file into this folder.")
@click.option("--only", default="", metavar="GLOB", help="Convert only the jobs whose full name matches.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any job is partial or unsupported, not only failed.")
@click.option("--no-publish", is_flag=True, help="Save as drafts instead of publishing.")
@click.option("--force", is_flag=True, help="Read and convert every job, also those unchanged since the last run "
              "(same input, rules and options), which are otherwise left alone.")
@click.option("--report", "report_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the estate report (statuses, ledger reasons, reuse, credentials) as JSON.")
@click.option("--workers", type=click.IntRange(min=0), default=0, metavar="N",
              help="Also read and convert jobs in N worker processes (Linux), while this one saves them: faster on "
              "a machine with cores to spare, each worker using its own memory. The result is the same as with the "
              "default, 0: all in this process.")
@conversion_options
def convert(sources: tuple[str, ...], store: str | None, dags_dir: Path | None, only: str, strict: bool,
            no_publish: bool, force: bool, report_path: Path | None, workers: int, mappings: tuple[Path, ...],
            workspace: Path | None, classify_file: Path | None, timezone: str | None, job_name: str) -> None:
    """Convert Jenkins jobs (a JENKINS_HOME, folders, files, globs or a URL) and save them in the catalog.

    One failing job never stops the batch. Re-running is idempotent: unchanged documents get no new version, and a
    job unchanged since the last run (same input, rules and options) is not even read again (--force reads it)."""
    rules, overrides = setup(mappings, classify_file)
    failed: list[str] = []
    strict_fail: list[str] = []
    options = EstateOptions(ConvertOptions(rules, workspace, overrides, only, timezone, job_name), store=store,
                            publish=not no_publish, dags_dir=dags_dir, by=_user(), force=force,
                            workers=workers)
    with progress_bar("reading the estate") as bar:

        def on_job(r: JobResult) -> None:
            bar.advance(f"converting {r.job}")
            if r.error:
                failed.append(r.error)
            if r.status != "converted" and r.status != "failed":
                strict_fail.append(f"{r.source}:1:1: {r.job} is {r.status}")
            if not r.pipeline:
                if r.status != "failed":
                    click.echo(f"{r.job}: {r.status} ({r.reason})")
                return
            what = "unchanged since the last run" if r.unchanged else f"{r.tasks} tasks" + (
                f", {r.warnings} warnings" if r.warnings else "")
            click.echo(f"{r.job}: {r.status}, pipeline {r.pipeline} v{r.version} ({what})")

        service = EstateService(sources, options, on_total=bar.start, on_job=on_job)
        run = service.convert()
    with run.report:
        if report_path is not None:
            with report_path.open("w", encoding="utf-8") as out:
                run.report.write_json(out)
    for line in totals_lines(run.totals, sources, report_path):
        click.echo(line)
    finish(service.inputs, unreadable=False, more=failed + (strict_fail if strict else []), error=ConversionFailed)


def totals_lines(totals: Totals, sources: tuple[str, ...], report_path: Path | None) -> list[str]:
    """How the conversion ended: jobs by status, left alone, documents and DAG files, time; where the warnings are."""
    statuses = ", ".join(f"{n:,} {status}" for status, n in totals.statuses.most_common()) or "no job"
    lines = [f"{totals.jobs:,} jobs in {totals.elapsed:.1f} s ({totals.rate:,.1f} jobs/s): {statuses}; "
             f"{totals.unchanged_jobs:,} left alone (unchanged since the last run)",
             f"documents: {totals.documents_new:,} new versions, {totals.documents_unchanged:,} unchanged; DAG files: "
             f"{totals.dags_written:,} written, {totals.dags_unchanged:,} unchanged"
             + (f"; {totals.errors:,} jobs failed (listed on stderr)" if totals.errors else "")]
    if totals.warnings:
        source = sources[0] if len(sources) == 1 else "SOURCE"
        where = f"the report {report_path}" if report_path is not None else "the report (--report FILE)"
        lines.append(f"warnings: {totals.warnings:,} in {totals.warning_jobs:,} jobs; one job's with "
                     f"`jenkins2flow audit {source} --explain JOB`, every job's in {where} and in the catalog UI's "
                     "migration view (`jenkins2flow ui`)")
    return lines


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

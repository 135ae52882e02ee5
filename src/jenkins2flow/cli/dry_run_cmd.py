"""`jenkins2flow dry-run JOB|FILE`: the status and what keeps the job from `converted`, then the converted pipeline
as YAML and its DAG; or a diff against the store; or (--explain) the job's whole ledger."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
import yaml
from jenkins2flow_runtime import model

from jenkins2flow.cli.convert_cmd import store_option
from jenkins2flow.cli.inputs import finish
from jenkins2flow.cli.options import conversion_options, setup
from jenkins2flow.convert.estate import ConvertOptions
from jenkins2flow.convert.triggers import schedule_line
from jenkins2flow.estate_service import EstateOptions, EstateService, failure_line
from jenkins2flow.render.dag import render_dag
from jenkins2flow.render.explain import explain as explanation
from jenkins2flow.render.explain import pipeline_data, summary


@click.command("dry-run")
@click.argument("source")
@click.option("--diff", "show_diff", is_flag=True, help="Show the difference with the stored pipeline instead.")
@click.option("--dag/--no-dag", default=True, help="Also print the rendered DAG file.")
@click.option("--explain", is_flag=True, help="Print the status, its reasons, the whole ledger (element, outcome, "
              "file:line:col, reason) and the lint's findings instead of the pipeline.")
@store_option
@conversion_options
def dry_run(source: str, show_diff: bool, dag: bool, explain: bool, store: str | None, mappings: tuple[Path, ...],
            workspace: Path | None, classify_file: Path | None, timezone: str | None, job_name: str) -> None:
    """Convert one job without saving: print its pipeline as YAML and its rendered DAG (or --diff the store)."""
    rules, overrides = setup(mappings, classify_file)
    service = EstateService([source], EstateOptions(ConvertOptions(rules, workspace, overrides, "", timezone,
                                                                   job_name)))
    failed: list[str] = []
    for conv in service.conversions():
        if conv.status == "failed":
            failed.append(failure_line(conv))
        if explain:
            click.echo(explanation(conv))
            continue
        click.echo("\n".join(summary(conv)))
        if conv.pipeline is None:
            continue
        if conv.pipeline.paused:
            click.echo("# schedule: none, paused: the Jenkins job is disabled")
        elif conv.pipeline.schedule is not None and conv.pipeline.schedule.cron:
            click.echo(f"# schedule: {schedule_line(conv.pipeline.schedule, timezone is not None)}")
        text = yaml.safe_dump(pipeline_data(conv), sort_keys=False, allow_unicode=True)
        if show_diff:
            old = _stored_spec(store, conv.pipeline_name)
            new = conv.pipeline.model_dump(mode="json")
            for d in (old, new):  # versions pin differently: compare what the job says
                for t in d.get("tasks", []):
                    t["uses"]["version"] = 0
                for r in d.get("parameters", {}).get("templates", []):
                    r["version"] = 0
            lines = difflib.unified_diff(yaml.safe_dump(old, sort_keys=True).splitlines(),
                                         yaml.safe_dump(new, sort_keys=True).splitlines(),
                                         "stored", "converted", lineterm="")
            click.echo("\n".join(lines) or "# no difference with the stored pipeline")
            continue
        click.echo(text)
        if dag:
            click.echo(render_dag(model.make("pipeline", conv.pipeline_name, conv.pipeline),
                                  [*conv.templates, *conv.tasks]))
    finish(service.inputs, unreadable=False, more=failed)


def _stored_spec(store: str | None, name: str) -> dict[str, Any]:
    """The latest stored spec of pipeline `name`; {} when it is not stored, or when there is no catalog yet (a
    dry run reads the store, so it never creates one)."""
    from jenkins2flow_runtime.store import NotFoundError, StoreMissing, open_store, store_uri

    try:
        with open_store(store_uri(store)) as st:
            return st.get("pipeline", name).spec.model_dump(mode="json")
    except (NotFoundError, StoreMissing):
        return {}


def register(cli: click.Group) -> None:
    cli.add_command(dry_run)

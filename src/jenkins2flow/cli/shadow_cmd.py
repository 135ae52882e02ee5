"""`jenkins2flow shadow run|report|history`: run a Jenkins job and its migrated pipeline side by side.

Exit codes for CI: 0 equivalent, 1 differences, 2 could not run (the reason is printed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from jenkins2flow_runtime.store import store_uri
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jenkins2flow.cli.console import make_console
from jenkins2flow.cli.progress import progress_bar
from jenkins2flow.shadow.outcome import ShadowResult
from jenkins2flow.shadow.report import Limits, write_reports
from jenkins2flow.shadow.results import ResultsStore
from jenkins2flow.shadow.run import PHASES, ShadowRequest, run_shadow

COLORS = {"equivalent": "green", "different": "red", "error": "yellow", "equal": "green", "skipped": "dim"}


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE.", param_hint="--param")
        out[key] = value
    return out


def report_options(f: click.decorators.FC) -> click.decorators.FC:
    for fmt, help_text in (("json", "JSON"), ("md", "Markdown"), ("junit", "JUnit XML"), ("html", "HTML")):
        f = click.option(f"--{fmt}", f"{fmt}_path", type=click.Path(path_type=Path), default=None,
                         help=f"Write the {help_text} report to this file.")(f)
    f = click.option("--max-differences", type=click.IntRange(min=0), default=Limits().differences, show_default=True,
                     help="Differences listed per output in the reports (the rest are counted in a note).")(f)
    return f


def print_result(result: ShadowResult, console: Console) -> None:
    color = COLORS.get(result.verdict, "white")
    console.print(f"[bold {color}]{result.verdict.upper()}[/] {escape(result.pipeline)} ({result.run_id}): "
                  f"{escape(result.reason)}",
                  highlight=False, markup=True, soft_wrap=True)
    if result.baseline or result.candidate:
        console.print(f"  baseline  {result.baseline.source + ' ' + result.baseline.id if result.baseline else '-'}",
                      highlight=False, markup=False)
        console.print(f"  candidate {result.candidate.source + ' ' + result.candidate.id if result.candidate else '-'}",
                      highlight=False, markup=False)
    if result.outputs:
        table = Table(show_edge=False)
        for col in ("output", "kind", "result", "diffs", "summary"):
            table.add_column(col)
        for o in result.outputs:
            table.add_row(o.name, o.kind, f"[{COLORS.get(o.status, 'red')}]{o.status}[/]",
                          str(o.total_differences) + (f" (+{o.noise} noise)" if o.noise else ""),
                          escape(o.error or o.summary))
        console.print(table)


@click.group()
def shadow() -> None:
    """Shadow runs: a Jenkins job and its migrated Airflow pipeline side by side, outputs compared."""


@shadow.command("run")
@click.argument("pipeline")
@click.option("--store", default=None, metavar="URI", help="Catalog store (results go next to it).")
@click.option("--job", default="", help="Jenkins job full name (default: the pipeline's provenance).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter for both runs (repeat).")
@click.option("--jenkins-home", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Baseline from a recorded build under this JENKINS_HOME.")
@click.option("--build", default=None, help="Build number or permalink (recorded; default lastSuccessfulBuild) or an "
              "existing live build number (instead of triggering one).")
@click.option("--noise-build", default=None, help="A second Jenkins build measuring Jenkins' own run-to-run noise "
              "(number, permalink, or 'trigger' on a live Jenkins).")
@click.option("--jenkins-url", default="", envvar="JENKINS_URL", help="Live Jenkins to trigger the baseline on.")
@click.option("--jenkins-user", default=None, envvar="JENKINS_USER")
@click.option("--jenkins-token", default=None, envvar="JENKINS_TOKEN", help="API token (or password).")
@click.option("--airflow-url", default="", envvar="AIRFLOW_URL", help="Airflow 3 API server (else a local dag.test()).")
@click.option("--airflow-user", default=None, envvar="AIRFLOW_USER")
@click.option("--airflow-password", default=None, envvar="AIRFLOW_PASSWORD")
@click.option("--airflow-token", default=None, envvar="AIRFLOW_TOKEN")
@click.option("--candidate-workspace", "candidate_workspace_root", type=click.Path(path_type=Path), default=None,
              help="With --airflow-url: the shadow workspace root of the Airflow workers, as seen from here.")
@click.option("--outputs", "outputs_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="YAML list of shadow outputs to compare instead of the pipeline's shadow_outputs.")
@click.option("--state-dir", type=click.Path(path_type=Path), default=Path(".jenkins2flow"), show_default=True)
@click.option("--timeout", type=float, default=1800, show_default=True, help="Seconds to wait for either run.")
@click.option("--report-dir", type=click.Path(path_type=Path), default=None,
              help="Write all four reports here (default <state-dir>/shadow/<run id>/ unless a report path is given).")
@report_options
def run_cmd(pipeline: str, store: str | None, job: str, params: tuple[str, ...], jenkins_home: Path | None,
            build: str | None, noise_build: str | None, jenkins_url: str, jenkins_user: str | None,
            jenkins_token: str | None, airflow_url: str, airflow_user: str | None, airflow_password: str | None,
            airflow_token: str | None, candidate_workspace_root: Path | None, outputs_file: Path | None,
            state_dir: Path, timeout: float, report_dir: Path | None, json_path: Path | None, md_path: Path | None,
            junit_path: Path | None, html_path: Path | None, max_differences: int) -> None:
    """Run PIPELINE's Jenkins baseline and Airflow candidate, compare their outputs, report and store the result."""
    from jenkins2flow.cli.demo import absolute_store

    request = ShadowRequest(
        pipeline=pipeline, store=absolute_store(store_uri(store)), job=job, params=_params(params),
        jenkins_home=jenkins_home, build=build, noise_build=noise_build, jenkins_url=jenkins_url,
        jenkins_user=jenkins_user, jenkins_token=jenkins_token, airflow_url=airflow_url, airflow_user=airflow_user,
        airflow_password=airflow_password, airflow_token=airflow_token,
        candidate_workspace_root=candidate_workspace_root, state_dir=state_dir, outputs_file=outputs_file,
        timeout=timeout,
    )
    with progress_bar("shadow run", total=len(PHASES)) as bar:
        result = run_shadow(request, on_phase=lambda text: bar.advance(text))
    console = make_console()
    print_result(result, console)
    targets = {"json": json_path, "md": md_path, "junit": junit_path, "html": html_path}
    if report_dir is None and not any(targets.values()):
        report_dir = state_dir / "shadow" / result.run_id
    if report_dir is not None:
        names = {"json": "result.json", "md": "report.md", "junit": "junit.xml", "html": "report.html"}
        targets = {k: v or report_dir / names[k] for k, v in targets.items()}
    for fmt, path in write_reports(result, Limits(differences=max_differences), **targets).items():
        console.print(f"  {fmt:5} report: {path}", highlight=False, markup=False)
    sys.exit(result.exit_code)


@shadow.command("report")
@click.argument("run_id")
@click.option("--store", default=None, metavar="URI")
@report_options
def report_cmd(run_id: str, store: str | None, json_path: Path | None, md_path: Path | None,
               junit_path: Path | None, html_path: Path | None, max_differences: int) -> None:
    """Write the reports of a stored shadow run (Markdown to stdout when no file is given); exit with its code."""
    from jenkins2flow.cli.demo import absolute_store

    with ResultsStore(absolute_store(store_uri(store))) as results:
        result = results.get(run_id)
    targets = {"json": json_path, "md": md_path, "junit": junit_path, "html": html_path}
    if not any(targets.values()):
        from jenkins2flow.shadow.report import render_markdown

        click.echo(render_markdown(result, Limits(differences=max_differences)), nl=False)
    for fmt, path in write_reports(result, Limits(differences=max_differences), **targets).items():
        click.echo(f"{fmt} report: {path}", err=True)
    sys.exit(result.exit_code)


@shadow.command("history")
@click.argument("pipeline")
@click.option("--store", default=None, metavar="URI")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def history_cmd(pipeline: str, store: str | None, limit: int, as_json: bool) -> None:
    """The latest shadow runs of PIPELINE, newest first."""
    from jenkins2flow.cli.demo import absolute_store

    with ResultsStore(absolute_store(store_uri(store))) as results:
        rows = results.history(pipeline, limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo(f"No shadow runs of {pipeline!r} yet.")
        return
    table = Table(title=f"shadow runs of {pipeline}")
    for col in ("run_id", "started_at", "verdict", "differences", "baseline_id", "candidate_id"):
        table.add_column(col)
    for row in rows:
        color = COLORS.get(row["verdict"], "white")
        table.add_row(row["run_id"], row["started_at"], f"[{color}]{row['verdict']}[/]", str(row["differences"]),
                      row["baseline_id"], row["candidate_id"])
    make_console().print(table)


def register(cli: click.Group) -> None:
    cli.add_command(shadow)

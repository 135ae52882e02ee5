"""`jenkins2flow demo`: the main job on the embedded defaults.

Convert the samples into the SQLite store, run the migrated pipeline in real Airflow, and print the run's summary.
"""

from __future__ import annotations

from pathlib import Path

import click
from jenkins2flow_runtime.store import store_uri
from rich.console import Console
from rich.table import Table

from jenkins2flow.airflow_env import airflow_env, write_dag_file
from jenkins2flow.cli.console import make_console
from jenkins2flow.errors import Jenkins2flowError
from jenkins2flow.estate_service import EstateOptions, EstateService, JobResult


def absolute_store(uri: str) -> str:
    return uri if "://" in uri else str(Path(uri).resolve())


def run_pipeline(dag_id: str, env: dict[str, str], conf: dict[str, object] | None = None) -> dict[str, object]:
    """Run one pipeline with dag.test() in a separate Airflow process; return its summary (with its log)."""
    from jenkins2flow.shadow.candidate import run_testrun

    summary, output, code = run_testrun(dag_id, env, dict(conf or {}))
    if summary is None:
        tail = "\n".join(output.splitlines()[-20:])
        raise Jenkins2flowError(f"The Airflow run of {dag_id!r} ended without a summary (exit {code}):\n{tail}")
    summary["log"] = output
    return summary


@click.command()
@click.option("--samples", type=click.Path(path_type=Path, exists=True), default=Path("samples/jenkinsfiles"),
              show_default=True, help="Jenkinsfiles to convert.")
@click.option("--pipeline", default="daily_sales", show_default=True, help="The pipeline to run in Airflow.")
@click.option("--state-dir", type=click.Path(path_type=Path), default=Path(".jenkins2flow"), show_default=True)
@click.option("--store", default=None, metavar="URI")
def demo(samples: Path, pipeline: str, state_dir: Path, store: str | None) -> None:
    """Convert the samples, run one migrated pipeline in real Airflow, print its summary."""
    console = make_console()
    uri = absolute_store(store_uri(store))
    console.rule("1. convert")

    def on_job(r: JobResult) -> None:
        if not r.pipeline:
            console.print(f"[red]{r.job}: {r.status}[/] {r.error or r.reason}", highlight=False)
        else:
            console.print(f"{r.job}: {r.status} -> pipeline [bold]{r.pipeline}[/] v{r.version}, {r.tasks} tasks, "
                          f"store {uri}" + (" (unchanged since the last run)" if r.unchanged else ""))

    EstateService([str(samples)], EstateOptions(store=uri), on_job=on_job).convert().report.close()
    env = airflow_env(state_dir, uri)
    dag_file = write_dag_file(Path(env["AIRFLOW__CORE__DAGS_FOLDER"]))
    console.rule("2. run in Airflow")
    console.print(f"DAG file {dag_file}; AIRFLOW_HOME {env['AIRFLOW_HOME']}")
    summary = run_pipeline(pipeline, env)
    if summary.get("import_errors"):
        raise Jenkins2flowError(f"Airflow could not import the DAGs: {summary['import_errors']}")
    console.print(f"pipeline [bold]{pipeline}[/], run {summary.get('run_id')}: [bold]{summary.get('state')}[/]")
    table = Table()
    table.add_column("task")
    table.add_column("state")
    tasks: list[dict[str, str]] = summary.get("tasks", [])  # type: ignore[assignment]
    for task in tasks:
        table.add_row(task["task_id"], task["state"])
    console.print(table)
    workspace = Path(str(summary.get("workspace", "")))
    console.print(f"outputs: {workspace}")
    for path in sorted(p for p in workspace.rglob("*") if p.is_file()):
        console.print(f"  {path.relative_to(workspace)}  ({path.stat().st_size} bytes)")
    if summary.get("state") != "success":
        raise Jenkins2flowError(f"The run of {pipeline!r} ended in state {summary.get('state')!r}.")
    shadow_step(console, pipeline, uri, state_dir, samples.parent)


SHADOW_BUILD = "2"  # recorded with a seeded difference (north's total), so the report has something to show


def shadow_step(console: Console, pipeline: str, uri: str, state_dir: Path, samples_root: Path) -> None:
    """3. A shadow run: the pipeline in Airflow (shadow mode) against a recorded Jenkins build; where the report is."""
    from jenkins2flow.cli.shadow_cmd import print_result
    from jenkins2flow.shadow.report import write_reports
    from jenkins2flow.shadow.run import ShadowRequest, run_shadow

    home, outputs = samples_root / "jenkins_home", samples_root / "shadow" / f"{pipeline}.yaml"
    console.rule("3. shadow run: Jenkins build vs Airflow run")
    if not (home / "jobs" / pipeline).is_dir():
        console.print(f"(no recorded Jenkins builds of {pipeline} under {home}; shadow run skipped)")
        return
    result = run_shadow(ShadowRequest(
        pipeline=pipeline, store=uri, jenkins_home=home, build=SHADOW_BUILD, state_dir=state_dir,
        outputs_file=outputs if outputs.is_file() else None, timeout=600,
    ))
    print_result(result, console)
    folder = state_dir / "shadow" / result.run_id
    written = write_reports(result, html=folder / "report.html", md=folder / "report.md",
                            junit=folder / "junit.xml", json=folder / "result.json")
    console.print(f"Jenkins build {SHADOW_BUILD} was recorded with one region total off, so the verdict is expected "
                  "to be DIFFERENT; build 1 (`--build 1`) is equivalent.", highlight=False)
    console.print(f"HTML report: [bold]{written['html'].resolve()}[/]", highlight=False)
    console.print(f"again: jenkins2flow shadow run {pipeline} --jenkins-home {home} --build 1 "
                  f"--outputs {outputs}", highlight=False, markup=False, soft_wrap=True)


def register(cli: click.Group) -> None:
    cli.add_command(demo)

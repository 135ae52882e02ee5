"""`jenkins2flow audit SOURCE...`: what an estate holds and what converting it takes."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from jenkins2flow_runtime.store import open_store
from rich.table import Table

from jenkins2flow.cli.catalog import _user
from jenkins2flow.cli.console import make_console
from jenkins2flow.cli.inputs import finish
from jenkins2flow.cli.options import conversion_options, setup
from jenkins2flow.cli.progress import progress_bar
from jenkins2flow.convert.estate import ConvertOptions
from jenkins2flow.convert.summary import EstateReport
from jenkins2flow.errors import UsageError
from jenkins2flow.estate_service import EstateOptions, EstateService, record_report
from jenkins2flow.render.audit import html_page, kind_note, markdown
from jenkins2flow.render.explain import explain


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="The report as JSON on stdout.")
@click.option("--md", "md_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report as Markdown.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report as one self-contained HTML page with charts.")
@click.option("--only", default="", metavar="GLOB", help="Audit only the jobs whose full name matches.")
@click.option("--explain", "explain_job", default="", metavar="JOB",
              help="Print, for the job(s) whose full name matches JOB (a name or glob), the status, its reasons, the "
                   "whole ledger and the lint's findings, instead of the report.")
@click.option("--store", "store", default=None, metavar="URI",
              help="Also keep the report next to this catalog (a SQLite path or mongodb://...), for the catalog "
                   "UI's migration view.")
@conversion_options
def audit(sources: tuple[str, ...], as_json: bool, md_path: Path | None, html_path: Path | None, only: str,
          explain_job: str, store: str | None, mappings: tuple[Path, ...], workspace: Path | None,
          classify_file: Path | None, timezone: str | None, job_name: str) -> None:
    """Jobs by kind, status and classification; top unsupported elements; the credentials and pools plans; an effort
    estimate; schedules by time zone; each job's ledger (--md, --html) or one job's whole story (--explain JOB)."""
    if store:  # a missing catalog is said before the estate is read, not after
        open_store(store).close()
    rules, overrides = setup(mappings, classify_file)
    options = EstateOptions(ConvertOptions(rules, workspace, overrides, explain_job or only, timezone, job_name))
    if explain_job:
        service = EstateService(sources, options)
        found = 0
        for conv in service.conversions():
            click.echo(("\n" if found else "") + explain(conv))
            found += 1
        if not found:
            raise UsageError(f"No job matches {explain_job!r} in {', '.join(sources)}; give its full name "
                             "(folder/job) or a glob.")
        finish(service.inputs)
        return
    with progress_bar("reading the estate") as bar:
        service = EstateService(sources, options, on_total=bar.start, on_job=lambda r: bar.advance(f"auditing {r.job}"))
        estate = service.audit()
    with estate:
        _outputs(estate, sources, as_json, md_path, html_path, store)
    finish(service.inputs)


def _outputs(estate: EstateReport, sources: tuple[str, ...], as_json: bool, md_path: Path | None,
             html_path: Path | None, store: str | None) -> None:
    """The report: kept next to the catalog (--store), as Markdown, HTML, JSON, or tables on the console."""
    report = estate.report()
    if store:
        record_report(store, estate, command="audit", sources=list(sources), by=_user())
    if md_path:
        md_path.write_text(markdown(report), encoding="utf-8")
    if html_path:
        html_path.write_text(html_page(report), encoding="utf-8")
    if as_json:
        estate.write_json(sys.stdout)
        sys.stdout.write("\n")
        return
    console = make_console()
    lint = report["lint"]
    summary = Table(title=f"{report['jobs']} jobs, {report['runnable']} with a runnable pipeline "
                          f"({report['jenkins_only']} of them only trigger the Jenkins job); lint: "
                          f"{lint['findings']} findings in {lint['jobs']} jobs")
    for col in ("status", "jobs", "kind", "jobs ", "class", "jobs  "):
        summary.add_column(col)
    cols = [list(report[k].items()) for k in ("by_status", "by_kind", "by_classification")]
    for i in range(max(len(c) for c in cols)):
        row: list[str] = []
        for c in cols:
            row += [str(c[i][0]), str(c[i][1])] if i < len(c) else ["", ""]
        summary.add_row(*row)
    console.print(summary)
    top = Table(title="Top unsupported plugins and steps")
    for col in ("element", "count", "jobs"):
        top.add_column(col)
    for u in report["unsupported"][:15]:
        top.add_row(u["element"], str(u["count"]), str(u["jobs"]))
    console.print(top)
    creds = Table(title=f"Credentials plan ({len(report['credentials'])} credentials)")
    for col in ("credentialsId", "Airflow", "uses", "kind"):
        creds.add_column(col)
    for c in report["credentials"][:25]:
        creds.add_row(c["credentials_id"], ", ".join(f"{a['source']} {a['id']}" for a in c["airflow"]),
                      str(len(c["uses"])), kind_note(c))
    console.print(creds)
    pools = Table(title=f"Pools plan ({len(report['pools'])} pools; each must exist in Airflow)")
    for col in ("pool", "slots", "jobs", "create with"):
        pools.add_column(col)
    for p in report["pools"][:25]:
        pools.add_row(p["pool"], str(p["slots"]) if p["slots"] is not None else "unknown", str(len(p["jobs"])),
                      p["command"])
    console.print(pools)
    r, eff = report["reuse"], report["effort"]
    console.print(f"Reuse: {r['pipeline_tasks']} pipeline tasks -> {r['distinct_tasks']} distinct tasks "
                  f"(x{r['collapse_ratio']}); {r['jobs_with_parameters']} parameter sets -> "
                  f"{r['distinct_parameter_templates']} templates.")
    console.print(f"Effort estimate: {eff['hours']} h (~{eff['days']} engineer-days).")
    sched = report["schedules"]
    zones = ", ".join(f"{zone} {n}" for zone, n in sched["by_timezone"].items()) or "none"
    console.print(f"Schedules by time zone: {zones}. Specs without TZ= run in {sched['default_timezone']}"
                  + ("." if sched["default_given"] else " (assumed: Jenkins uses its JVM's zone; give it with "
                     "--timezone ZONE)."), highlight=False)


def register(cli: click.Group) -> None:
    cli.add_command(audit)

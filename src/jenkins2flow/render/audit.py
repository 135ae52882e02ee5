"""The estate audit as Markdown and as a self-contained HTML page with inline SVG charts (no external assets)."""

from __future__ import annotations

import html
from typing import Any

COLORS = {"converted": "#2e7d32", "partial": "#f9a825", "jenkins_only": "#ef6c00", "unsupported": "#8e24aa",
          "failed": "#c62828",
          "data": "#1565c0", "cicd": "#6d4c41"}


UNKNOWN_KIND = ("unknown: environment credentials() bound as secret text (or username/password); Jenkins sets a path "
                "for a secret file or an SSH key (convert the JENKINS_HOME holding it)")


def kind_note(entry: dict[str, Any]) -> str:
    """The kind column of a credentials plan entry: the kind `credentials('id')` was bound by, or why it is a guess."""
    kind = str(entry.get("kind", ""))
    return UNKNOWN_KIND if kind == "unknown" else kind


def markdown(report: dict[str, Any]) -> str:
    out = [f"# Jenkins estate audit: {report['jobs']} jobs", "",
           f"{report['runnable']} jobs get a runnable pipeline; {report['jenkins_only']} of them only trigger the "
           "Jenkins job (an element could not be converted; the draft is kept for review). "
           f"The lint found {report['lint']['findings']} silent errors in {report['lint']['jobs']} jobs. "
           f"Effort estimate: **{report['effort']['hours']} h** "
           f"(~{report['effort']['days']} engineer-days).", ""]
    for title, key in (("Status", "by_status"), ("Kind", "by_kind"), ("Classification", "by_classification")):
        out += [f"## {title}", "", "| value | jobs |", "|---|---:|"]
        out += [f"| {_md(k)} | {v} |" for k, v in report[key].items()]
        out.append("")
    out += ["## Top unsupported plugins and steps", "", "| element | count | jobs |", "|---|---:|---:|"]
    out += [f"| {_md(u['element'])} | {u['count']} | {u['jobs']} |" for u in report["unsupported"]]
    r = report["reuse"]
    out += ["", "## Reuse", "", f"{r['pipeline_tasks']} pipeline tasks collapse to {r['distinct_tasks']} distinct "
            f"tasks (x{r['collapse_ratio']}); {r['jobs_with_parameters']} parameter sets collapse to "
            f"{r['distinct_parameter_templates']} templates.", ""]
    out += ["## Credentials plan", "", "| credentialsId | Airflow | uses | kind |", "|---|---|---:|---|"]
    for c in report["credentials"]:
        targets = ", ".join(f"{a['source']} `{a['id']}`" for a in c["airflow"])
        out.append(f"| `{_md(c['credentials_id'])}` | {targets} | {len(c['uses'])} | {_md(kind_note(c))} |")
    out += ["", "## Pools plan", "", "The Airflow pools the tasks take: each must exist, else its tasks are never "
            "scheduled (`jenkins2flow airflow` creates those whose slots are known).", "",
            "| pool | slots | jobs | create with |", "|---|---:|---:|---|"]
    for p in report["pools"]:
        slots = p["slots"] if p["slots"] is not None else f"unknown: {_md(p['note'])}"
        out.append(f"| `{_md(p['pool'])}` | {slots} | {len(p['jobs'])} | `{_md(p['command'])}` |")
    out += ["", "## Jobs", "", "| job | kind | status | class | first reason |", "|---|---|---|---|---|"]
    for j in report["jobs_detail"]:
        reason = j["reasons"][0] if j["reasons"] else ""
        out.append(f"| {_md(j['job'])} | {j['kind']} | {j['status']} | {j['classification']} | {_md(reason)[:160]} |")
    out += ["", "## Ledger", "", "What keeps each job from `converted`: elements not converted, approximations, the "
            "lint's findings and other warnings, each with its place (`jenkins2flow audit SOURCE --explain JOB` "
            "prints a job's whole ledger).", ""]
    for j in report["jobs_detail"]:
        if j["ledger"]:
            out += [f"### {_md(j['job'])} ({j['status']})", ""]
            out += [f"- {e['outcome']}: `{_md(e['at'])}` {_md(e['element'])}: {_md(e['reason'])}" for e in j["ledger"]]
            out.append("")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _bars(title: str, data: dict[str, int]) -> str:
    total = max(data.values(), default=0) or 1
    rows = len(data)
    height = 24 * rows + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="460" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (k, v) in enumerate(data.items()):
        y = 26 + 24 * i
        w = int(280 * v / total)
        color = COLORS.get(k, "#607d8b")
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(str(k))[:22]}</text>'
                     f'<rect x="150" y="{y}" width="{w}" height="18" fill="{color}"/>'
                     f'<text x="{155 + w}" y="{y + 14}" font-size="12">{v}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ledger(entries: list[dict[str, str]]) -> str:
    """A job's ledger gaps as a collapsible list (what keeps it from `converted`, each with its place)."""
    if not entries:
        return ""
    e = html.escape
    items = "".join(f"<li><b>{e(x['outcome'])}</b> <code>{e(x['at'])}</code> {e(x['element'])}: {e(x['reason'])}"
                    "</li>" for x in entries)
    return f"<details><summary>ledger: {len(entries)} entries</summary><ul>{items}</ul></details>"


def html_page(report: dict[str, Any]) -> str:
    e = html.escape
    charts = "".join(_bars(t, report[k]) for t, k in (("Status", "by_status"), ("Kind", "by_kind"),
                                                      ("Classification", "by_classification")))
    top = {u["element"][-40:]: u["count"] for u in report["unsupported"][:12]}
    rows = "".join(
        f"<tr><td>{e(j['job'])}</td><td>{e(j['kind'])}</td><td class='{e(j['status'])}'>{e(j['status'])}</td>"
        f"<td>{e(j['classification'])}</td><td>{e(j['reasons'][0] if j['reasons'] else '')[:200]}"
        f"{_ledger(j['ledger'])}</td></tr>"
        for j in report["jobs_detail"])
    creds = "".join(
        f"<tr><td><code>{e(c['credentials_id'])}</code></td><td>"
        f"{e(', '.join(a['source'] + ' ' + a['id'] for a in c['airflow']))}</td><td>{len(c['uses'])}</td>"
        f"<td>{e(kind_note(c))}</td></tr>"
        for c in report["credentials"])
    pools = "".join(
        f"<tr><td><code>{e(p['pool'])}</code></td>"
        f"<td>{p['slots'] if p['slots'] is not None else 'unknown: ' + e(p['note'])}</td>"
        f"<td>{len(p['jobs'])}</td><td><code>{e(p['command'])}</code></td></tr>"
        for p in report["pools"])
    r = report["reuse"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Jenkins estate audit</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}.converted{{color:#2e7d32}}.partial{{color:#b28704}}
.unsupported{{color:#8e24aa}}.failed{{color:#c62828}}.jenkins_only{{color:#ef6c00}}svg{{margin:0 1em 1em 0}}
summary{{cursor:pointer}}</style></head><body>
<h1>Jenkins estate audit: {report['jobs']} jobs</h1>
<p>{report['runnable']} jobs get a runnable pipeline; {report['jenkins_only']} of them only trigger the Jenkins
job (an element could not be converted; the draft is kept for review). The lint found
{report['lint']['findings']} silent errors in {report['lint']['jobs']} jobs. Effort estimate:
<b>{report['effort']['hours']} h</b>
(~{report['effort']['days']} engineer-days). Reuse: {r['pipeline_tasks']} pipeline tasks collapse to
{r['distinct_tasks']} distinct tasks; {r['jobs_with_parameters']} parameter sets to {r['distinct_parameter_templates']}
templates.</p>
<div>{charts}{_bars("Top unsupported elements", top)}</div>
<h2>Credentials plan</h2><table><tr><th>credentialsId</th><th>Airflow</th><th>uses</th><th>kind</th></tr>{creds}</table>
<h2>Pools plan</h2><p>Each pool must exist in Airflow, else its tasks are never scheduled.</p>
<table><tr><th>pool</th><th>slots</th><th>jobs</th><th>create with</th></tr>{pools}</table>
<h2>Jobs</h2><table><tr><th>job</th><th>kind</th><th>status</th><th>class</th><th>reason</th></tr>{rows}</table>
</body></html>
"""

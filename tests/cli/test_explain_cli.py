"""The ledger is visible per job: `dry-run` heads its output with the status and what keeps the job from
`converted` (each with file:line:col), `--explain` prints the whole ledger, `audit --explain JOB` the same for one
job of an estate, the audit report lists each job's gaps (collapsible in HTML); `pipelines promote` makes a
reviewed draft the tasks that run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from jenkins2flow_runtime.model import PipelineSpec
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.main import cli

GOLDEN = Path(__file__).resolve().parents[1] / "convert" / "golden"


def _estate(tmp_path: Path) -> Path:
    folder = tmp_path / "jobs"
    folder.mkdir()
    mappings = tmp_path / "mappings"  # the Jenkinsfiles' own repositories: provided (their checkouts are waived)
    mappings.mkdir()
    (mappings / "scm.yaml").write_text("scm: {own: {provided: 'the DAG bundle holds them'}}\n", encoding="utf-8")
    for case in ("fallback_two_steps.Jenkinsfile", "partial_combination_filter.config.xml",
                 "converted_declarative.Jenkinsfile"):
        target = case.replace(".config.xml", ".xml")
        (folder / target).write_bytes((GOLDEN / case).read_bytes())
    return folder


def test_dry_run_heads_with_status_and_places_then_explains_the_whole_ledger() -> None:
    partial = CliRunner().invoke(cli, ["dry-run", str(GOLDEN / "lint_unbound.Jenkinsfile"), "--no-dag"])
    assert partial.exit_code == 0, partial.output
    head = partial.output.splitlines()[:3]
    assert head[0].startswith("# lint_unbound: partial")
    assert head[1].startswith("#   approximated: ") and "lint_unbound.Jenkinsfile:2:3: declarative checkout" in head[1]
    assert head[2].startswith("#   lint unbound: ") and "lint_unbound.Jenkinsfile:8:9" in head[2]
    assert "pipeline:" in partial.output
    only = CliRunner().invoke(cli, ["dry-run", str(GOLDEN / "fallback_two_steps.Jenkinsfile"), "--explain"])
    lines = only.output.splitlines()
    assert lines[0].startswith("# fallback_two_steps: jenkins_only")
    assert sum(line.startswith("#   not converted: ") for line in lines) == 2
    assert any(line.startswith("ledger: 12 elements (2 placeholder, 1 approximated, 9 mapped)") for line in lines)
    assert any(line.split()[:3] == ["placeholder", "step", "uploadToVault"] and
               "fallback_two_steps.Jenkinsfile:12:9" in line for line in lines)
    # the draft: 4 steps, and the post failure block's gate, its mail (refused: no body) and its end
    assert any(line.startswith("draft: 7 tasks kept for review (2 stand") for line in lines)
    assert "pipeline:" not in only.output


def test_audit_explains_one_job_and_reports_every_jobs_gaps(tmp_path: Path) -> None:
    estate = _estate(tmp_path)
    provided = ["--mappings", str(tmp_path / "mappings")]
    one = CliRunner().invoke(cli, ["audit", str(estate), "--explain", "partial_combination_filter", *provided])
    assert one.exit_code == 0, one.output
    assert one.output.startswith("# partial_combination_filter: partial")
    assert "approximated matrix combinationFilter" in one.output
    none = CliRunner().invoke(cli, ["audit", str(estate), "--explain", "nope"])
    assert none.exit_code != 0 and "No job matches 'nope'" in none.stderr
    result = CliRunner().invoke(cli, ["audit", str(estate), "--json", "--md", str(tmp_path / "a.md"),
                                      "--html", str(tmp_path / "a.html"), *provided])
    report = json.loads(result.output)
    assert report["by_status"] == {"jenkins_only": 1, "partial": 1, "converted": 1}
    ledgers = {j["job"]: j["ledger"] for j in report["jobs_detail"]}
    assert [e["outcome"] for e in ledgers["fallback_two_steps"]] == ["placeholder", "placeholder"]
    assert ledgers["partial_combination_filter"][0]["at"].endswith("partial_combination_filter.xml:2:1")
    assert ledgers["converted_declarative"] == []
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert html.count("<details>") == 2 and "uploadToVault" in html
    md = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert "### fallback_two_steps (jenkins_only)" in md and "### converted_declarative" not in md


def test_promote_makes_the_reviewed_draft_the_tasks_that_run(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    job = str(GOLDEN / "fallback_two_steps.Jenkinsfile")
    assert CliRunner().invoke(cli, ["convert", job, "--store", store]).exit_code == 0
    result = CliRunner().invoke(cli, ["pipelines", "promote", "fallback_two_steps", "--store", store])
    assert result.exit_code == 0, result.output
    assert "version 2: 7 converted tasks replace the Jenkins job trigger" in result.output
    assert "2 tasks stand for elements that were not converted" in result.stderr
    with open_store(store) as s:
        doc = s.get("pipeline", "fallback_two_steps")
        published = s.get("pipeline", "fallback_two_steps", "published")
    assert isinstance(doc.spec, PipelineSpec) and doc.status == "draft" and published.version == 1
    assert [t.id for t in doc.spec.tasks][0] == "extract" and doc.spec.jenkins_fallback is None
    again = CliRunner().invoke(cli, ["pipelines", "promote", "fallback_two_steps", "--store", store])
    assert again.exit_code == 1 and "no draft to promote" in again.stderr


def test_a_static_file_holds_the_draft_only_once_it_is_promoted(tmp_path: Path) -> None:
    """A jenkins_only pipeline's DAG file holds its one task, not the draft (which never runs); promoted and
    published, the draft is the tasks, and the file rendered then holds them."""
    store, dags = str(tmp_path / "s.db"), tmp_path / "dags"
    job = str(GOLDEN / "fallback_two_steps.Jenkinsfile")
    assert CliRunner().invoke(cli, ["convert", job, "--store", store, "--dags-dir", str(dags)]).exit_code == 0
    before = (dags / "fallback_two_steps.py").read_text(encoding="utf-8")
    assert "run_jenkins_job" in before and "python extract.py" not in before and "'draft_tasks': []" in before
    assert CliRunner().invoke(cli, ["pipelines", "promote", "fallback_two_steps", "--store", store]).exit_code == 0
    published = CliRunner().invoke(cli, ["pipelines", "publish", "fallback_two_steps", "--version", "2",
                                         "--store", store])
    assert published.exit_code == 0, published.output
    assert CliRunner().invoke(cli, ["render", "--store", store, "--dags-dir", str(dags)]).exit_code == 0
    after = (dags / "fallback_two_steps.py").read_text(encoding="utf-8")
    assert "python extract.py" in after and "run_jenkins_job" not in after
    assert "converted tasks, for review" not in after

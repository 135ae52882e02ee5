from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from jenkins2flow.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "jenkinsfiles" / "daily_sales.Jenkinsfile"


def test_convert_syntax_error_prints_one_line_per_failed_job_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.Jenkinsfile"
    bad.write_text("pipeline {\n  stages { stage('a') { steps { sh 'x' }\n", encoding="utf-8")
    bad2 = tmp_path / "worse.Jenkinsfile"
    bad2.write_text("pipeline {\n  agent any\n  stages {\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["convert", str(bad), str(bad2), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:") and lines[1].startswith(f"{bad2}:")
    assert all(line.count(":") >= 3 for line in lines)
    assert "Traceback" not in result.output


def test_convert_is_idempotent_and_renders_dags(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()  # the sample needs no file of its repository: its implicit checkout is waived
    (tmp_path / "mappings" / "scm.yaml").write_text("scm: {own: {provided: 'the sample makes its own data'}}\n")
    args = ["convert", str(SAMPLE), "--store", str(tmp_path / "s.db"), "--dags-dir", str(tmp_path / "dags"),
            "--report", str(tmp_path / "r.json"), "--job-name", "daily_sales", "--mappings", str(tmp_path / "mappings")]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "daily_sales: " in first.output and "v1" in first.output
    second = CliRunner().invoke(cli, args)
    assert "v1" in second.output  # nothing changed, no new version
    assert (tmp_path / "dags" / "daily_sales.py").is_file()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["jobs"] == 1 and report["by_status"] == {"converted": 1}


def test_convert_strict_fails_on_partial_and_only_filters(tmp_path: Path) -> None:
    f = tmp_path / "p.Jenkinsfile"
    f.write_text("pipeline { agent any\n stages { stage('a') { steps { shh 'x' } } } }\n", encoding="utf-8")
    store = str(tmp_path / "s.db")
    assert CliRunner().invoke(cli, ["convert", str(f), "--store", store]).exit_code == 0
    strict = CliRunner().invoke(cli, ["convert", str(f), "--store", store, "--strict"])
    assert strict.exit_code == 1 and "is jenkins_only" in strict.stderr
    none = CliRunner().invoke(cli, ["convert", str(f), "--store", store, "--only", "nothing*"])
    assert none.exit_code == 0 and none.output.startswith("0 jobs in ")  # no job line, only the totals
    assert len(none.output.splitlines()) == 2 and "left alone" in none.output


def test_audit_json_md_html(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", str(SAMPLE), "--json", "--md", str(tmp_path / "a.md"),
                                      "--html", str(tmp_path / "a.html")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["jobs"] == 1 and report["by_classification"] == {"data": 1}
    assert "effort" in report and "credentials" in report and "reuse" in report
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "<svg" in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "# Jenkins estate audit: 1 jobs" in (tmp_path / "a.md").read_text(encoding="utf-8")


def test_audit_table_and_unknown_mapping_handler(tmp_path: Path) -> None:
    table = CliRunner().invoke(cli, ["audit", str(SAMPLE)])
    assert table.exit_code == 0 and "Effort estimate" in table.output
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x.yaml").write_text("steps:\n  foo: {handler: shel}\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["audit", str(SAMPLE), "--mappings", str(tmp_path / "m")])
    assert bad.exit_code == 2 and "Did you mean 'shell'" in bad.stderr


def test_dry_run_prints_yaml_and_dag_then_diff(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["dry-run", str(SAMPLE)])
    assert out.exit_code == 0, out.output
    assert "pipeline:" in out.output and "dag = build_dag(PIPELINE, DOCUMENTS)" in out.output
    store = str(tmp_path / "s.db")
    diff = CliRunner().invoke(cli, ["dry-run", str(SAMPLE), "--diff", "--store", store])
    assert "+++ converted" in diff.output
    CliRunner().invoke(cli, ["convert", str(SAMPLE), "--store", store])
    same = CliRunner().invoke(cli, ["dry-run", str(SAMPLE), "--diff", "--store", store])
    assert "no difference" in same.output

"""Rich documents of every kind: every field of the model set, for the form round trips and the browser tests."""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime.model import Document, make

SCRIPT = "set -e\nfor f in in/*.csv; do\n\tawk -F, 'NR>1 {s+=$3} END {print s}' \"$f\"   \ndone\n"
SQL = ("SELECT region, SUM(total) AS total\nFROM sales\nWHERE day = '{{ ds }}'\n"
       "  AND tenant = {{ params.TENANT | sql_string }}\nGROUP BY region\n")


def rich_docs() -> list[Document]:
    params = [
        {"name": "RUN_DATE", "type": "string", "default": "2024-01-15", "description": "Day to process"},
        {"name": "LIMIT", "type": "integer", "default": 3, "required": True},
        {"name": "RATIO", "type": "number", "default": 1.5},
        {"name": "DRY", "type": "boolean", "default": True},
        {"name": "ENV", "type": "choice", "choices": ["dev", "prod"], "default": "dev"},
        {"name": "NOTES", "type": "text"},
    ]
    return [
        make("parameter_template", "run-params", {"parameters": params, "description": "A run date and limits.",
                                                  "tags": ["core"]}),
        make("concrete_task", "sum-sales", {
            "type": "shell", "command": SCRIPT, "shell": "sh", "retries": 2, "retry_delay_seconds": 30,
            "timeout_seconds": 600, "env": {"REGION": "eu", "DB_PASSWORD": "hunter2"},
            "secrets": [{"env": "PGPASS", "source": "connection", "id": "warehouse", "field": "password"}],
            "parameters": [*params[:2], {"name": "API_TOKEN", "type": "password", "default": "tok-123"}],
            "description": "Sums the sales.\nOne line per region.", "tags": ["sales", "awk"],
        }, tags=["team-sales"]),
        make("concrete_task", "py-step", {"type": "python", "callable": "pkg.mod:run", "tags": ["py"]}),
        make("concrete_task", "in-a-box", {"type": "container", "image": "python:3.12-slim", "cpu": 512,
                                           "memory": 1024, "command": "python -m job"}),
        make("view_task", "sales-by-region", {
            "sql": SQL, "connection": "warehouse", "materialize": "table", "target": "mart.sales_by_region",
            "capture": True, "parameters": [{"name": "TENANT", "type": "string", "default": "acme"}],
            "description": "Totals per region.",
        }),
        make("pipeline", "daily-sales", {
            "description": "The daily sales run.",
            "schedule": {"cron": ["23 2 * * 1-5", "0 12 13 * 5"], "timezone": "Europe/Paris",
                         "jenkins_spec": "H 2 * * 1-5\nH 12 13 * 5", "and_dom_dow": True,
                         "upstream": [{"pipeline": "ingest", "on": "done"}]},
            "parameters": {"templates": [{"kind": "parameter_template", "name": "run-params", "version": 0}],
                           "overrides": [{"name": "TENANT", "type": "string", "default": "acme"}]},
            "tasks": [
                {"id": "extract", "title": "Extract: copy the files", "uses":
                    {"kind": "concrete_task", "name": "sum-sales", "version": 0},
                 "bindings": {"LIMIT": 5, "FLAG": True, "LABEL": "nightly run"}, "retries": 1,
                 "timeout_seconds": 120, "queue": "etl"},
                {"id": "aggregate", "uses": {"kind": "view_task", "name": "sales-by-region", "version": 0},
                 "depends_on": ["extract"], "executor": "fargate",
                 "matrix": [{"OS": "linux", "PY": "3.11"}, {"OS": "mac", "PY": "3.12"}]},
                {"id": "report", "uses": {"kind": "concrete_task", "name": "py-step", "version": 0},
                 "depends_on": ["aggregate", "extract"], "trigger_rule": "all_done"},
            ],
            "notifications": [{"on": "failure", "channel": "email", "to": ["a@example.com", "b@example.com"],
                               "subject": "failed", "body": "See the log.\nThanks.", "condition": "regression"}],
            "owners": ["token:eddie-token"], "team": "sales", "access_control": {"Op": ["can_read", "can_edit"]},
            "tags": ["sales"], "max_active_runs": 2,
            "shadow_outputs": [{"kind": "artifacts", "path": "out/*.csv", "task": "extract"}],
            "asset_events": ["success", "done"],
            "provenance": {"job": "sales/daily", "source": "jobs/sales/daily/config.xml", "config_sha256": "ab" * 32,
                           "diagnostics": ["config.xml:12:3: waived timestamps"]},
        }),
    ]


def rich_data() -> dict[str, Any]:
    return {(d.kind, d.name): d.spec.model_dump(mode="json") for d in rich_docs()}  # type: ignore[misc]


# A Jenkinsfile whose conversion has every kind of gate: when, try/catch/finally, post conditions.
GATED = """\
pipeline {
  agent any
  parameters { string(name: 'DAY', defaultValue: '2026-01-01') }
  stages {
    stage('Build') { steps { sh 'make' } }
    stage('Deploy') {
      when { branch 'main' }
      steps {
        script {
          try { sh 'make deploy' } catch (e) { sh 'make rollback' } finally { sh 'make tidy' }
        }
      }
    }
  }
  post {
    failure { sh 'notify-fail' }
    always { sh 'cleanup' }
  }
}
"""

"""Third audit of the `converted` label (docs/conversion-status.md) on data-pipeline Jenkinsfiles written fresh:
credentials bindings. Each case was labelled converted while its pipeline would not do what Jenkins does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jenkins2flow_runtime.airflow.secrets import SecretError, connection_field

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

from .helpers import own_provided


def _convert(text: str, name: str):  # type: ignore[no-untyped-def]
    return convert_job(parse_jenkinsfile(text, f"{name}.Jenkinsfile", f"feeds/{name}"), own_provided())


def _secrets(conv):  # type: ignore[no-untyped-def]
    return {(s.env, s.source, s.id, s.field) for d in conv.tasks if hasattr(d.spec, "secrets") for s in d.spec.secrets}


def test_a_username_colon_password_binding_reads_user_colon_password_from_the_connection() -> None:
    """Jenkins' usernameColonPassword sets its variable to `user:password`; the runtime looked for an extra named
    'login:password' in the connection and failed the task of a job labelled converted."""
    conn = SimpleNamespace(login="etl", password="s3cret", extra_dejson={})
    assert connection_field(conn, "login:password", "api-basic") == "etl:s3cret"
    with pytest.raises(SecretError, match="password"):
        connection_field(SimpleNamespace(login="etl", password="", extra_dejson={}), "login:password", "api-basic")


ENV_CREDENTIALS = """pipeline {
  agent any
  environment {
    DB = credentials('warehouse-db')
  }
  stages {
    stage('Query') {
      steps {
        sh 'psql "postgresql://$DB_USR:$DB_PSW@db/warehouse" -c "select 1"'
        sh 'curl -u "$DB" https://api.example.com/'
      }
    }
  }
}
"""


def test_environment_credentials_with_usr_and_psw_reads_the_whole_variable_from_the_same_connection() -> None:
    """For a username/password credential, Jenkins sets DB to `user:password` besides DB_USR and DB_PSW. DB was a
    reference to an Airflow variable of the same id: a second secret to create, holding whatever was put there."""
    conv = _convert(ENV_CREDENTIALS, "env_credentials")
    assert _secrets(conv) == {("DB", "connection", "warehouse-db", "login:password"),
                              ("DB_USR", "connection", "warehouse-db", "login"),
                              ("DB_PSW", "connection", "warehouse-db", "password")}
    assert conv.status == "converted"

"""Secrets by reference: Airflow variables and connection fields, masked in logs."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.airflow


def test_variables_and_connection_fields_are_read_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.log import redact  # the masker Airflow's task logs go through
    from jenkins2flow_runtime.airflow.secrets import resolve_secrets

    monkeypatch.setenv("AIRFLOW_VAR_API_TOKEN", "tok-123456789")
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps(
        {"conn_type": "postgres", "login": "etl", "password": "pw-abcdefgh", "host": "db", "extra": {"role": "rw"}}))
    values = resolve_secrets([
        {"env": "TOKEN", "source": "variable", "id": "api_token"},
        {"env": "DB_PASSWORD", "source": "connection", "id": "warehouse", "field": "password"},
        {"env": "DB_ROLE", "source": "connection", "id": "warehouse", "field": "role"},
    ])
    assert values == {"TOKEN": "tok-123456789", "DB_PASSWORD": "pw-abcdefgh", "DB_ROLE": "rw"}
    assert redact("t=tok-123456789 p=pw-abcdefgh") == "t=*** p=***"


def test_missing_secret_names_what_to_create() -> None:
    from jenkins2flow_runtime.airflow.secrets import SecretError, resolve_secrets

    with pytest.raises(SecretError, match="Secret 'X' needs the Airflow variable 'no_such_var_j2f'"):
        resolve_secrets([{"env": "X", "id": "no_such_var_j2f"}])


def test_a_parameters_secret_default_is_read_only_when_the_run_gives_no_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from jenkins2flow_runtime.airflow.secrets import resolve_secrets

    monkeypatch.setenv("AIRFLOW_VAR_J2F_PW_DEFAULT", "pw-from-variable")
    refs = [{"env": "DB_PASSWORD", "source": "variable", "id": "j2f_pw_default", "param_default": True},
            {"env": "GIVEN", "source": "variable", "id": "no_such_var_j2f", "param_default": True}]
    # GIVEN has a value from the run: its variable (which does not exist) is never read
    assert resolve_secrets(refs, {"DB_PASSWORD": None, "GIVEN": "from-conf"}) == {"DB_PASSWORD": "pw-from-variable"}
    assert resolve_secrets(refs[:1], {"DB_PASSWORD": ""}) == {"DB_PASSWORD": "pw-from-variable"}


def test_a_username_colon_password_binding_reads_user_colon_password_from_the_connection() -> None:
    """Jenkins' usernameColonPassword sets its variable to `user:password`; the runtime looked for an extra named
    'login:password' in the connection and failed the task of a job labelled converted."""
    from types import SimpleNamespace

    from jenkins2flow_runtime.airflow.secrets import SecretError, connection_field

    conn = SimpleNamespace(login="etl", password="s3cret", extra_dejson={})
    assert connection_field(conn, "login:password", "api-basic") == "etl:s3cret"
    with pytest.raises(SecretError, match="password"):
        connection_field(SimpleNamespace(login="etl", password="", extra_dejson={}), "login:password", "api-basic")


def test_every_secret_is_masked_whatever_its_variable_is_called_and_line_by_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a name, Airflow masks a value only when the name reads like a secret's (`*PASSWORD*`, `*TOKEN*`...):
    the runtime passed the variable's name, so `withCredentials([string(credentialsId: 'db-url', variable: 'DB')])`
    and a secret file's content were logged in clear. A task's output reaches the log a line at a time, so each
    line of a multi-line secret (a key file) is masked too."""
    from airflow.sdk.log import redact
    from jenkins2flow_runtime.airflow.secrets import resolve_secrets

    monkeypatch.setenv("AIRFLOW_VAR_DB_URL_J2F", "postgresql://etl:zq81-secret@db/warehouse")
    monkeypatch.setenv("AIRFLOW_VAR_GCP_KEY_J2F",
                       '{\n  "private_key_id": "k9x7-first-line",\n  "client": "second-9x7"\n}')
    resolve_secrets([{"env": "DB", "id": "db_url_j2f"}, {"env": "KEY_FILE", "id": "gcp_key_j2f"}])
    assert redact("url=postgresql://etl:zq81-secret@db/warehouse") == "url=***"
    assert "k9x7" not in redact('  "private_key_id": "k9x7-first-line",') and "second-9x7" not in redact(
        '"client": "second-9x7"')

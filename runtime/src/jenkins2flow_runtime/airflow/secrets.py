"""Secrets by reference: read from Airflow connections or variables at run time, masked in every log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CONNECTION_FIELDS = ("login", "password", "host", "port", "schema", "conn_type", "description")
# sshUserPrivateKey's passphraseVariable: Jenkins sets it to "" for a key without a passphrase. Read from the extra
# Airflow's SSH connections use (SSHHook: private_key_passphrase), or from `passphrase`, the name catalogs converted
# before used; empty when the connection has neither.
OPTIONAL_FIELDS = {"private_key_passphrase": ("private_key_passphrase", "passphrase"),
                   "passphrase": ("passphrase", "private_key_passphrase")}


class SecretError(LookupError):
    pass


def connection_field(conn: Any, field: str, ref_id: str) -> str:
    """One field of an Airflow connection: a standard attribute, `uri` (or empty: the whole URI), `login:password`
    (the two joined by a colon), or an extra key."""
    if field in ("", "uri"):
        return str(conn.get_uri())
    if field == "login:password":  # Jenkins' usernameColonPassword (and credentials() of a username/password)
        return f"{connection_field(conn, 'login', ref_id)}:{connection_field(conn, 'password', ref_id)}"
    if field in OPTIONAL_FIELDS:
        extra = conn.extra_dejson or {}
        return str(next((extra[k] for k in OPTIONAL_FIELDS[field] if extra.get(k) not in (None, "")), ""))
    if field in CONNECTION_FIELDS:
        value = getattr(conn, field, None)
    else:
        value = (conn.extra_dejson or {}).get(field)
    if value is None or value == "":
        raise SecretError(f"Connection {ref_id!r} has no value for field {field!r}.")
    return str(value)


def needed(refs: Iterable[Mapping[str, Any]], params: Mapping[str, Any] | None = None) -> list[Mapping[str, Any]]:
    """The references a run needs: a parameter's secret default only when the run gives that parameter no value."""
    given = {k for k, v in (params or {}).items() if v is not None and v != ""}
    return [r for r in refs if not (r.get("param_default") and r["env"] in given)]


def resolve_secrets(refs: Iterable[Mapping[str, Any]], params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """env name -> secret value for each SecretRef (dicts with env, source, id, field) the run needs (see
    `needed`); every value masked."""
    from airflow.sdk import Connection, Variable

    out: dict[str, str] = {}
    for ref in needed(refs, params):
        env, source, ref_id, field = ref["env"], ref.get("source", "variable"), ref["id"], ref.get("field", "")
        try:
            if source == "connection":
                value = connection_field(Connection.get(ref_id), field, ref_id)
            else:
                value = str(Variable.get(ref_id))
        except SecretError:
            raise
        except Exception as exc:
            raise SecretError(
                f"Secret {env!r} needs the Airflow {source} {ref_id!r}, which cannot be read: {exc}. "
                f"Create it (airflow {source}s add/set) or check the secrets backend."
            ) from exc
        mask(value)
        out[env] = value
    return out


def mask(value: str) -> None:
    """Mask `value` in every log of the task, and each of its lines (a task's output reaches the log line by line).
    No name is given to Airflow: with one, it masks only values whose name reads like a secret's (`*PASSWORD*`,
    `*TOKEN*`...), and a Jenkins variable such as `DB` or `KEY_FILE` would be logged in clear."""
    from airflow.sdk.log import mask_secret

    for part in dict.fromkeys([value, *(line.strip() for line in value.splitlines())]):
        mask_secret(part)  # Airflow skips the empty and the short (under 5 characters)

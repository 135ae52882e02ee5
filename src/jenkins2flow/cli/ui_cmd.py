"""`jenkins2flow ui`: the catalog UI in a browser (uvicorn, 127.0.0.1 by default); `ui user` and `ui token` manage
its users file (scrypt password hashes, sha256 token hashes)."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from jenkins2flow_runtime.store import store_uri
from jenkins2flow_runtime.ui.auth import ROLES, AuthError, add_token, set_user
from jenkins2flow_runtime.ui.settings import UiSettings

from jenkins2flow.errors import Jenkins2flowError

DEFAULT_PORT = 8765
users_option = click.option("--users", "users_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
                            help="The users file (default: STATE_DIR/ui-users.yaml).")
state_option = click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False),
                            default=Path(".jenkins2flow"), show_default=True,
                            help="Where shadow reports are (shadow/<run_id>/report.html), and the users file.")


def _users_path(users_file: Path | None, state_dir: Path) -> Path:
    return users_file or UiSettings(state_dir=state_dir).users_path


def first_admin(path: Path) -> str:
    """A users file with one admin and a random password (returned, shown once), when there is none yet."""
    password = secrets.token_urlsafe(12)
    set_user(path, "admin", password=password, role="admin")
    return password


@click.group("ui", invoke_without_command=True)
@click.option("--store", "store", envvar="JENKINS2FLOW_STORE", default=None, metavar="URI",
              help="The catalog: a SQLite path or mongodb://host/db ($JENKINS2FLOW_STORE; default "
                   ".jenkins2flow/store.db).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--refresh", "refresh_seconds", default=30.0, show_default=True, type=float,
              help="Seconds between re-reads of the list pages' index (a SQLite store is watched instead).")
@users_option
@state_option
@click.pass_context
def ui(ctx: click.Context, store: str | None, host: str, port: int, refresh_seconds: float, users_file: Path | None,
       state_dir: Path) -> None:
    """Serve the catalog UI: browse, create, review, publish and roll back tasks, views, templates and pipelines."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn
    from jenkins2flow_runtime.ui import create_app

    path = _users_path(users_file, state_dir)
    if not path.exists():
        password = first_admin(path)
        click.echo(f"Created the users file {path} with the user 'admin', password: {password}\n"
                   f"(shown once; `jenkins2flow ui user NAME --role ROLE` adds users or changes a password).")
    settings = UiSettings(store=store_uri(store), state_dir=state_dir, create_store=True, users_file=path,
                          refresh_seconds=refresh_seconds)
    try:
        app = create_app(settings)
    except AuthError as err:
        raise Jenkins2flowError(str(err)) from None
    click.echo(f"Catalog UI on http://{host}:{port}/ (store {settings.store}); Ctrl-C stops it.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@ui.command("user")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--team", "teams", multiple=True, help="A team the user belongs to (repeatable).")
@click.option("--password", default=None, help="Default: asked (hidden); kept as it is when the user exists and "
                                                 "nothing is typed.")
@users_option
@state_option
def user_cmd(name: str, role: str, teams: tuple[str, ...], password: str | None, users_file: Path | None,
             state_dir: Path) -> None:
    """Add a user, or change one's role, teams or password."""
    path = _users_path(users_file, state_dir)
    if password is None:
        password = click.prompt("Password (empty: unchanged)", hide_input=True, confirmation_prompt=True,
                                default="", show_default=False) or None
    try:
        set_user(path, name, password=password, role=role, teams=teams)
    except AuthError as err:
        raise Jenkins2flowError(str(err)) from None
    click.echo(f"{name}: {role}{' in ' + ', '.join(teams) if teams else ''} ({path})")


@ui.command("token")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--team", "teams", multiple=True, help="A team the token acts for (repeatable).")
@users_option
@state_option
def token_cmd(name: str, role: str, teams: tuple[str, ...], users_file: Path | None, state_dir: Path) -> None:
    """Create (or replace) an API token; it is printed once and stored only as its sha256."""
    path = _users_path(users_file, state_dir)
    try:
        token = add_token(path, name, role=role, teams=teams)
    except AuthError as err:
        raise Jenkins2flowError(str(err)) from None
    click.echo(token)


def register(cli: click.Group) -> None:
    cli.add_command(ui)

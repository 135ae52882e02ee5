"""Catalog commands: `jenkins2flow {tasks,views,templates,pipelines} ...`, `catalog export|import`, `schema KIND`.

Thin: parse arguments, call the store, print. Every failure is one line on stderr and exit code 1.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from jenkins2flow_runtime.model import (
    KINDS,
    Document,
    Kind,
    ModelError,
    PipelineSpec,
    from_dict,
    json_schema,
    make,
    to_dict,
)
from jenkins2flow_runtime.store import Store, StoreError, open_store, store_uri

GROUPS: dict[str, Kind] = {
    "tasks": "concrete_task",
    "views": "view_task",
    "templates": "parameter_template",
    "pipelines": "pipeline",
}
FOLDERS = {kind: group for group, kind in GROUPS.items()}
F = TypeVar("F", bound=Callable[..., Any])


def _one_line(err: BaseException) -> str:
    return "; ".join(line.strip() for line in str(err).splitlines() if line.strip())


def friendly(fn: F) -> F:
    """Turn the errors a user can act on into one line and exit code 1 (click prints `Error: ...`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (StoreError, ModelError, OSError, yaml.YAMLError) as err:
            raise click.ClickException(_one_line(err)) from None

    return wrapper  # type: ignore[return-value]


def _open(uri: str | None) -> Store:
    return open_store(store_uri(uri))


def _user() -> str:
    try:
        return os.environ.get("JENKINS2FLOW_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


store_option = click.option(
    "--store", "store", envvar="JENKINS2FLOW_STORE", default=None, metavar="URI",
    help="Store: a SQLite path or mongodb://host/db ($JENKINS2FLOW_STORE; default .jenkins2flow/store.db).",
)
by_option = click.option("--by", default=None, help="Who makes the change (default: $JENKINS2FLOW_USER or login).")
comment_option = click.option("--comment", "-m", default="", help="Why, recorded in the audit trail.")


# -- YAML: literal blocks for multi-line text, so shell scripts and SQL read well in review ---------------------------

class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def _doc_yaml(doc: Document) -> str:
    data = to_dict(doc)
    order = ["schema_version", "kind", "name", "version", "status", "spec_hash", "created_at", "created_by",
             "comment", "tags", "spec"]
    return to_yaml({k: data[k] for k in order if k in data})


# -- per-kind groups ---------------------------------------------------------------------------------------------

def _version(text: str) -> int | str:
    return text if text in ("latest", "published") else int(text) if text.isdigit() else text


def _kind_group(group_name: str, kind: Kind) -> click.Group:
    @click.group(group_name, help=f"Browse and manage {kind.replace('_', ' ')}s in the catalog.")
    def group() -> None:
        pass

    @group.command("list")
    @click.option("--status", type=click.Choice(["draft", "published", "retired"]))
    @click.option("--tag")
    @click.option("--owner")
    @click.option("--job", "source_job", help="The Jenkins job full name the document was converted from.")
    @click.option("--json", "as_json", is_flag=True)
    @store_option
    @friendly
    def list_(status: str | None, tag: str | None, owner: str | None, source_job: str | None, as_json: bool,
              store: str | None) -> None:
        """The latest version of each document (with --status published: the published versions)."""
        with _open(store) as s:
            docs = s.list(kind, status, tag=tag, owner=owner, source_job=source_job)
        if as_json:
            click.echo(json.dumps([to_dict(d) for d in docs], indent=2))
            return
        for d in docs:
            when = d.created_at.strftime("%Y-%m-%d %H:%M") if d.created_at else ""
            click.echo(f"{d.name}\tv{d.version}\t{d.status}\t{when}\t{d.created_by}")

    @group.command("show")
    @click.argument("name")
    @click.option("--version", "version", default="latest", help="A number, 'latest' or 'published'.")
    @click.option("--json", "as_json", is_flag=True)
    @store_option
    @friendly
    def show(name: str, version: str, as_json: bool, store: str | None) -> None:
        """The document as YAML (or JSON)."""
        with _open(store) as s:
            doc = s.get(kind, name, _version(version))
        click.echo(json.dumps(to_dict(doc), indent=2) if as_json else _doc_yaml(doc), nl=as_json)

    @group.command("history")
    @click.argument("name")
    @store_option
    @friendly
    def history(name: str, store: str | None) -> None:
        """Every version, oldest first, then the audit trail."""
        with _open(store) as s:
            docs = s.history(kind, name)
            trail = s.audit(kind, name)
        for d in docs:
            when = d.created_at.isoformat(timespec="seconds") if d.created_at else ""
            click.echo(f"v{d.version}\t{d.status}\t{when}\t{d.created_by}\t{d.spec_hash[:12]}\t{d.comment}")
        click.echo("audit:")
        for a in trail:
            click.echo(f"  {a.at.isoformat(timespec='seconds')}\t{a.action}\tv{a.version}\t{a.by}\t{a.comment}")

    @group.command("diff")
    @click.argument("name")
    @click.argument("a")
    @click.argument("b", default="latest")
    @store_option
    @friendly
    def diff(name: str, a: str, b: str, store: str | None) -> None:
        """What changed between versions A and B (default: latest)."""
        with _open(store) as s:
            lines = s.diff(kind, name, _version(a), _version(b))
        click.echo("\n".join(lines) if lines else "no differences")

    @group.command("publish")
    @click.argument("name")
    @click.option("--version", type=int, default=None, help="Default: the latest version.")
    @by_option
    @comment_option
    @store_option
    @friendly
    def publish(name: str, version: int | None, by: str | None, comment: str, store: str | None) -> None:
        """Publish a version (pipelines: every task and template they pin must be published)."""
        with _open(store) as s:
            doc = s.publish(kind, name, version, by=by or _user(), comment=comment)
        click.echo(f"published {kind} {name!r} version {doc.version}")

    @group.command("retire")
    @click.argument("name")
    @click.option("--version", type=int, default=None, help="Default: the published version, else the latest.")
    @by_option
    @comment_option
    @store_option
    @friendly
    def retire(name: str, version: int | None, by: str | None, comment: str, store: str | None) -> None:
        """Retire a version: it is no longer published."""
        with _open(store) as s:
            doc = s.retire(kind, name, version, by=by or _user(), comment=comment)
        click.echo(f"retired {kind} {name!r} version {doc.version}")

    @group.command("rollback")
    @click.argument("name")
    @click.argument("version", type=int)
    @by_option
    @comment_option
    @store_option
    @friendly
    def rollback(name: str, version: int, by: str | None, comment: str, store: str | None) -> None:
        """Publish the spec of an old VERSION as a new version (history is never rewritten)."""
        with _open(store) as s:
            doc = s.rollback(kind, name, version, by=by or _user(), comment=comment)
        click.echo(f"rolled {kind} {name!r} back to the spec of version {version}: published as version {doc.version}")

    @group.command("where-used")
    @click.argument("name")
    @store_option
    @friendly
    def where_used(name: str, store: str | None) -> None:
        """The pipelines (latest and published versions) that use this document."""
        if kind == "pipeline":
            raise click.ClickException("Pipelines are not used by other documents; try 'tasks where-used NAME'.")
        with _open(store) as s:
            usages = s.where_used(kind, name)
        for u in usages:
            click.echo(f"{u.pipeline}\tv{u.version}\t{u.status}\tuses v{u.uses_version}\t{u.where}")
        if not usages:
            click.echo(f"{kind} {name!r} is not used by any pipeline")

    return group


# -- catalog export / import ------------------------------------------------------------------------------------

def read_dir(folder: Path) -> list[tuple[Path, Document]]:
    """Parse and validate every *.yaml / *.yml under `folder`; the first invalid file raises, naming file and field."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    out: list[tuple[Path, Document]] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in files:
        rel = path.relative_to(folder)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            doc = from_dict(data)
        except ModelError as err:
            raise ModelError(err.issues, source=str(rel)) from None
        except yaml.YAMLError as err:
            raise ModelError([("", f"not valid YAML: {_one_line(err)}")], source=str(rel)) from None
        if (doc.kind, doc.name) in seen:
            raise ModelError([("name", f"{doc.kind} {doc.name!r} is also in {seen[(doc.kind, doc.name)]}")],
                             source=str(rel))
        seen[(doc.kind, doc.name)] = rel
        out.append((rel, doc))
    return out


def import_dir(s: Store, folder: Path, *, by: str, comment: str) -> tuple[int, int, int]:
    """Validate everything, then save in one batch and publish what the files mark published.
    Returns (documents, new versions, publications). Idempotent."""
    docs = _repin([d for _, d in read_dir(folder)])
    before = {(d.kind, d.name): s.get(d.kind, d.name).version for d in docs if _exists(s, d)}
    saved = s.save_many(docs, by=by, comment=comment, action="import")
    new = sum(1 for d in saved if before.get((d.kind, d.name)) != d.version)
    published = 0
    for wanted, got in sorted(zip(docs, saved, strict=True), key=lambda p: p[0].kind == "pipeline"):
        if wanted.status == "published" and got.status != "published":
            s.publish(got.kind, got.name, got.version, by=by, comment=comment or "import")
            published += 1
    return len(docs), new, published


def _repin(docs: list[Document]) -> list[Document]:
    """Version numbers belong to the store that assigned them: a pipeline pinning the exported version of a document
    imported alongside is re-pinned to whatever version this import gives it (version 0: resolved on save)."""
    exported = {(d.kind, d.name): d.version for d in docs}
    out: list[Document] = []
    for d in docs:
        if not isinstance(d.spec, PipelineSpec):
            out.append(d)
            continue
        spec = d.spec.model_dump(mode="json")
        refs = [*spec["parameters"]["templates"], *(t["uses"] for t in spec["tasks"])]
        for ref in refs:
            if exported.get((ref["kind"], ref["name"])) == ref["version"]:
                ref["version"] = 0
        out.append(make(d.kind, d.name, spec, **d.model_dump(exclude={"kind", "name", "spec", "spec_hash"})))
    return out


def _exists(s: Store, d: Document) -> bool:
    try:
        s.get(d.kind, d.name)
        return True
    except StoreError:
        return False


@click.group("catalog", help="Move the whole catalog to and from YAML files (one per document, for review in git).")
def catalog_group() -> None:
    pass


@catalog_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@store_option
@friendly
def export_cmd(folder: Path, store: str | None) -> None:
    """Write the latest version of every document to FOLDER/<tasks|views|templates|pipelines>/<name>.yaml."""
    with _open(store) as s:
        docs = s.list()
    for d in docs:
        path = folder / FOLDERS[d.kind] / f"{d.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_doc_yaml(d), encoding="utf-8")
    click.echo(f"exported {len(docs)} documents to {folder}")


@catalog_group.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@by_option
@comment_option
@store_option
@friendly
def import_cmd(folder: Path, by: str | None, comment: str, store: str | None) -> None:
    """Validate every file first (nothing is written if one is invalid), then save and publish. Idempotent."""
    with _open(store) as s:
        total, new, published = import_dir(s, folder, by=by or _user(), comment=comment)
    click.echo(f"imported {total} documents: {new} new versions, {published} published")


@click.command("schema")
@click.argument("kind", type=click.Choice([*KINDS, *GROUPS]))
def schema_cmd(kind: str) -> None:
    """Print the JSON Schema of a document KIND."""
    click.echo(json.dumps(json_schema(GROUPS.get(kind, kind)), indent=2))


def register(cli: click.Group) -> None:
    """Add the catalog commands to the `jenkins2flow` group."""
    for name, kind in GROUPS.items():
        cli.add_command(_kind_group(name, kind))
    cli.add_command(catalog_group)
    cli.add_command(schema_cmd)

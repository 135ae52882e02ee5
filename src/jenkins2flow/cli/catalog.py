"""Catalog commands: `jenkins2flow {tasks,views,templates,pipelines} ...`, `catalog export|import`, `schema KIND`.

Thin: parse arguments, call the store, print. Every failure is one line on stderr and exit code 1. Only `catalog
import` may create a store; every other command needs an existing one ("no catalog at PATH").
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
    spec_hash,
    to_dict,
)
from jenkins2flow_runtime.store import ConflictError, NotFoundError, Store, StoreError, open_store, store_uri
from jenkins2flow_runtime.store.plan import Head, resolve_refs

from jenkins2flow import safe_yaml
from jenkins2flow.cli.progress import Bar, progress_bar

GROUPS: dict[str, Kind] = {
    "tasks": "concrete_task",
    "views": "view_task",
    "templates": "parameter_template",
    "pipelines": "pipeline",
}
FOLDERS = {kind: group for group, kind in GROUPS.items()}
F = TypeVar("F", bound=Callable[..., Any])
IMPORT_BATCH = 500  # documents per commit of `catalog import`: other writers wait for one batch at most


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


def _open(uri: str | None, *, create: bool = False) -> Store:
    return open_store(store_uri(uri), create=create)


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

def read_dir(path: Path) -> list[tuple[Path, Document]]:
    """Parse and validate every *.yaml / *.yml under `path` (or the one file `path`); the first invalid file
    raises, naming file and field. YAML is read within limits (safe_yaml): bombs and binary files are refused."""
    if path.is_dir():
        files, root = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()), path
    else:
        files, root = [path], path.parent
    out: list[tuple[Path, Document]] = []
    seen: dict[tuple[str, str], Path] = {}
    for file in files:
        rel = file.relative_to(root)
        try:
            doc = from_dict(safe_yaml.load_file(file))
        except ModelError as err:
            raise ModelError(err.issues, source=str(rel)) from None
        except yaml.YAMLError as err:
            raise ModelError([("", f"not valid YAML: {_one_line(err)}")], source=str(rel)) from None
        except OSError as err:
            raise ModelError([("", f"cannot read it: {err.strerror or err}")], source=str(rel)) from None
        if (doc.kind, doc.name) in seen:
            raise ModelError([("name", f"{doc.kind} {doc.name!r} is also in {seen[(doc.kind, doc.name)]}")],
                             source=str(rel))
        seen[(doc.kind, doc.name)] = rel
        out.append((rel, doc))
    return out


class _Versions:
    """(version, spec hash) of stored versions, read once each."""

    def __init__(self, s: Store) -> None:
        self.s = s
        self.seen: dict[tuple[str, str, int | str], tuple[int, str] | None] = {}

    def get(self, kind: Kind, name: str, version: int | str = "latest") -> tuple[int, str] | None:
        if (kind, name, version) not in self.seen:
            try:
                found = self.s.get(kind, name, version)
                self.seen[(kind, name, version)] = (found.version, found.spec_hash)
            except NotFoundError:
                self.seen[(kind, name, version)] = None
        return self.seen[(kind, name, version)]


def plan_import(s: Store, files: list[tuple[Path, Document]]) -> tuple[list[Document], list[int | None], list[int]]:
    """The documents to save (spec_hash recomputed from each spec, pipelines re-pinned), the version each save
    expects, and each document's latest version before the import (0: new).

    An exported file knows the version it was exported from and that version's hash. A file whose hash is that of
    version N in this store is based on N: its save expects N, so when someone saved a newer version since, the
    import stops with a ConflictError instead of overwriting it; an edited spec is a new version. A hash that is
    neither the spec's own nor that of version N here was changed by hand: refused. Any other file (new, or from
    another store) expects the latest version read here (0: not in the store yet). A document whose spec is the
    latest's already saves nothing and expects nothing, so importing the same files twice is no conflict."""
    stored = _Versions(s)
    docs: list[Document] = []
    expected: list[int | None] = []
    for rel, d in files:
        computed = spec_hash(d.spec)
        latest = stored.get(d.kind, d.name)
        base = stored.get(d.kind, d.name, d.version) if d.version else None
        from_here = base is not None and base[1] == d.spec_hash
        if d.spec_hash != computed and not from_here:
            where = f"version {d.version} of {d.kind} {d.name!r} in this store" if d.version else "a stored version"
            raise ModelError([("spec_hash", f"{d.spec_hash[:16]!r} is neither the hash of this spec nor that of "
                                            f"{where}: it was changed by hand. Remove the spec_hash line to import "
                                            "the spec as it is")], source=str(rel))
        docs.append(d.model_copy(update={"spec_hash": computed}))
        expected.append(d.version if from_here else latest[0] if latest else 0)
    docs = _repin(docs)
    changing: set[tuple[str, str]] = {(d.kind, d.name) for d in docs if d.kind != "pipeline"
                and (stored.get(d.kind, d.name) or (0, ""))[1] != d.spec_hash}
    for i, d in enumerate(docs):
        latest = stored.get(d.kind, d.name)
        if latest is not None and _resolved_hash(d, stored, changing) == latest[1]:
            expected[i] = None
    return docs, expected, [(stored.get(d.kind, d.name) or (0, ""))[0] for d in docs]


def _resolved_hash(d: Document, stored: _Versions, changing: set[tuple[str, str]]) -> str:
    """The spec hash `d` will have once saved, when its version-0 references pin documents that this import does not
    change ("" when it cannot be told: such a reference changes or is missing, so the document changes anyway)."""
    if not isinstance(d.spec, PipelineSpec):
        return d.spec_hash
    heads: dict[str, Head] = {}
    for _, ref in d.spec.refs():
        latest = stored.get(ref.kind, ref.name)
        if ref.version == 0 and ((ref.kind, ref.name) in changing or latest is None):
            return ""
        heads[ref.key()] = Head(ref.kind, ref.name, latest[0] if latest else 0)
    try:
        return resolve_refs(d, heads).spec_hash
    except StoreError:
        return ""


def import_dir(s: Store, folder: Path, *, by: str, comment: str, batch_size: int = IMPORT_BATCH,
               files: list[tuple[Path, Document]] | None = None, bar: Bar | None = None) -> tuple[int, int, int]:
    """Validate everything, check hashes and base versions (plan_import), then save (in batches of `batch_size`,
    each committed on its own) and publish what the files mark published. Returns (documents, new versions,
    publications). Idempotent: importing the same files again changes nothing. `bar` follows the saves and
    publications."""
    bar = bar or Bar()
    docs, expected, before = plan_import(s, files if files is not None else read_dir(folder))
    bar.start(len(docs))
    bar.phase("saving")
    saved = s.save_many(docs, by=by, comment=comment, expected_versions=expected, action="import",
                        batch_size=batch_size, progress=lambda n: bar.advance(steps=n))
    new = sum(1 for d, v in zip(saved, before, strict=True) if d.version != v)
    to_publish = [got for wanted, got in sorted(zip(docs, saved, strict=True), key=lambda p: p[0].kind == "pipeline")
                  if wanted.status == "published" and got.status != "published"]
    bar.start(len(docs) + len(to_publish))
    bar.phase("publishing")
    for got in to_publish:
        s.publish(got.kind, got.name, got.version, by=by, comment=comment or "import")
        bar.advance(steps=1)
    return len(docs), new, len(to_publish)


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
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=IMPORT_BATCH, show_default=True,
              help="Documents per commit: a long import never holds the store's write lock for long.")
@by_option
@comment_option
@store_option
@friendly
def import_cmd(path: Path, batch_size: int, by: str | None, comment: str, store: str | None) -> None:
    """Import PATH (a folder from `catalog export`, or one YAML file): every file is validated first (nothing is
    written if one is invalid), then saved and published. Idempotent.

    An exported file remembers its version: when someone saved a newer version of that document since, the import
    stops with a conflict instead of overwriting it."""
    files = read_dir(path)  # before opening the store: invalid files create no store
    with _open(store, create=True) as s, progress_bar("importing") as bar:
        try:
            total, new, published = import_dir(s, path, by=by or _user(), comment=comment, batch_size=batch_size,
                                               files=files, bar=bar)
        except ConflictError as err:
            raise ConflictError(f"{_one_line(err)} (catalog import: export it again, redo your edit in the new "
                                "file and import that; batches saved before this one are kept)") from None
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

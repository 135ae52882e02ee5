"""`jenkins2flow pipelines promote NAME`: a jenkins_only pipeline's reviewed draft becomes the tasks that run.

The draft's tasks replace the one task that triggers the Jenkins job, its notifications come back, and the
fallback record is cleared; the result is saved as a new (draft) version, to publish once reviewed. Tasks that stand
for elements that were not converted are counted: they fail at run time until replaced.
"""

from __future__ import annotations

import click
from jenkins2flow_runtime import model

from jenkins2flow.cli.catalog import _open, _user, by_option, comment_option, friendly, store_option
from jenkins2flow.convert.conversion import NOT_CONVERTED_TASK


@click.command("promote")
@click.argument("name")
@by_option
@comment_option
@store_option
@friendly
def promote(name: str, by: str | None, comment: str, store: str | None) -> None:
    """Make the reviewed draft of pipeline NAME (a job that runs on Jenkins) the tasks that run, as a new version."""
    with _open(store) as s:
        doc = s.get("pipeline", name, "latest")
        assert isinstance(doc.spec, model.PipelineSpec)
        try:
            spec = doc.spec.promoted()
        except ValueError as exc:
            raise click.ClickException(f"pipeline {name!r} version {doc.version}: {exc}.") from None
        saved = s.save(model.make("pipeline", name, spec), by=by or _user(), expected_version=doc.version,
                       comment=comment or "draft promoted: the converted tasks replace the Jenkins job trigger")
    holes = sum(t.uses.name == NOT_CONVERTED_TASK for t in spec.tasks)
    click.echo(f"pipeline {name!r} version {saved.version}: {len(spec.tasks)} converted tasks replace the Jenkins "
               f"job trigger (not published: review it, then `jenkins2flow pipelines publish {name}`)")
    if holes:
        click.echo(f"warning: {holes} tasks stand for elements that were not converted; they fail at run time until "
                   "you replace them", err=True)


def register(cli: click.Group) -> None:
    """Add `promote` to the `pipelines` group the catalog commands made."""
    group = cli.commands.get("pipelines")
    if isinstance(group, click.Group):
        group.add_command(promote)

"""Save a conversion into the store: templates, tasks and the pipeline in one batch, the pipeline pinned to the
versions saved with it; publish what is not yet published. Saving an unchanged conversion creates no version, so
re-running a batch is idempotent and resumes where it stopped. A pipeline that belongs to another Jenkins job (or the
same full name read from another source) is never saved over: IdentityConflict (convert.identity)."""

from __future__ import annotations

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import NotFoundError, Store

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.identity import IdentityConflict, stored_owner


def save_conversion(
    store: Store, conv: Conversion, *, publish: bool = True, by: str = "jenkins2flow"
) -> model.Document:
    """Store every document of `conv` and return the stored pipeline; publish them all when `publish`."""
    if conv.pipeline is None:
        raise ValueError(f"The conversion of {conv.job!r} has no pipeline to save ({conv.status}).")
    comment = f"converted from Jenkins job {conv.job!r}"
    pipeline = model.make("pipeline", conv.pipeline_name, conv.pipeline)
    expected = _owned_version(store, conv)
    docs = [*conv.templates, *conv.tasks, pipeline]
    # the pipeline expects the version its owner was checked on: a job saved in between is a ConflictError
    stored = store.save_many(docs, by=by, comment=comment, expected_versions=[None] * (len(docs) - 1) + [expected])
    if publish:
        for doc in stored:
            if doc.status != "published":
                published = store.publish(doc.kind, doc.name, doc.version, by=by)
                if doc.kind == "pipeline":
                    return published
    return stored[-1]


def _owned_version(store: Store, conv: Conversion) -> int:
    """The latest version of the conversion's pipeline (0 when new), when it belongs to the same job and source."""
    try:
        head = store.get("pipeline", conv.pipeline_name)
    except NotFoundError:
        return 0
    assert isinstance(head.spec, model.PipelineSpec) and conv.pipeline is not None
    mine, theirs = conv.pipeline.provenance, head.spec.provenance
    error = stored_owner(conv.pipeline_name, mine.job, mine.source, theirs.job, theirs.source,
                         retired=head.status == "retired")
    if error:
        raise IdentityConflict(error)
    return head.version

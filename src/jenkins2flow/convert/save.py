"""Save a conversion into the store: templates, tasks and the pipeline in one batch, the pipeline pinned to the
versions saved with it; publish what is not yet published. Saving an unchanged conversion creates no version, so
re-running a batch is idempotent and resumes where it stopped."""

from __future__ import annotations

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import Store

from jenkins2flow.convert.conversion import Conversion


def save_conversion(
    store: Store, conv: Conversion, *, publish: bool = True, by: str = "jenkins2flow"
) -> model.Document:
    """Store every document of `conv` and return the stored pipeline; publish them all when `publish`."""
    if conv.pipeline is None:
        raise ValueError(f"The conversion of {conv.job!r} has no pipeline to save ({conv.status}).")
    comment = f"converted from Jenkins job {conv.job!r}"
    pipeline = model.make("pipeline", conv.pipeline_name, conv.pipeline)
    stored = store.save_many([*conv.templates, *conv.tasks, pipeline], by=by, comment=comment)
    if publish:
        for doc in stored:
            if doc.status != "published":
                published = store.publish(doc.kind, doc.name, doc.version, by=by)
                if doc.kind == "pipeline":
                    return published
    return stored[-1]

"""Save a conversion into the store: templates and tasks first, then the pipeline pinned to their versions."""

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
    versions: dict[tuple[str, str], int] = {}
    for doc in [*conv.templates, *conv.tasks]:
        stored = store.save(doc, by=by, comment=comment)
        versions[(doc.kind, doc.name)] = stored.version
        if publish:
            store.publish(doc.kind, doc.name, stored.version, by=by)
    spec = _pin(conv.pipeline, versions)
    stored = store.save(model.make("pipeline", conv.pipeline_name, spec), by=by, comment=comment)
    if publish:
        stored = store.publish("pipeline", conv.pipeline_name, stored.version, by=by)
    return stored


def _pin(spec: model.PipelineSpec, versions: dict[tuple[str, str], int]) -> model.PipelineSpec:
    def pin(ref: model.Ref) -> model.Ref:
        return ref.model_copy(update={"version": versions.get((ref.kind, ref.name), ref.version)})

    tasks = [t.model_copy(update={"uses": pin(t.uses)}) for t in spec.tasks]
    params = spec.parameters.model_copy(update={"templates": [pin(r) for r in spec.parameters.templates]})
    return spec.model_copy(update={"tasks": tasks, "parameters": params})

"""Save conversions into the store: templates, tasks and the pipeline of each, the pipeline pinned to the versions
saved with it; publish what is not yet published. Saving an unchanged conversion creates no version, so re-running
a batch is idempotent and resumes where it stopped. A pipeline that belongs to another Jenkins job (or the same full
name read from another source) is never saved over: IdentityConflict (convert.identity).

`BatchSaver` saves many jobs' conversions in one transaction and publishes them in one more (SQLite), reading who
owns their pipelines in one query per batch (`Store.pipeline_heads`); when a batch fails, its jobs are saved one by
one, so one job's error never stops the others. `save_conversion` saves one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jenkins2flow_runtime import model
from jenkins2flow_runtime.store import NotFoundError, PipelineHead, Store, StoreUnavailable

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.identity import IdentityConflict, stored_owner

_NO_TASKS = model.PipelineSpec(tasks=[])


def pipeline_document(name: str, spec: model.PipelineSpec, comment: str) -> model.Document:
    """The document of a converted pipeline, its envelope validated and its spec, valid already, taken as it is:
    given to Document(), a spec is validated again (pydantic runs the validators of a union's member on an
    instance of it), which walks a pipeline's whole graph a second time."""
    empty = model.Document(kind="pipeline", name=name, spec=_NO_TASKS, comment=comment)
    return empty.model_copy(update={"spec": spec})

Key = tuple[str, str, int]  # kind, name, version


@dataclass(frozen=True, slots=True)
class Saved:
    """One conversion in the store: its pipeline as stored (published when asked), every document it pins, and how
    many of its documents got a new version."""

    pipeline: model.Document
    documents: list[model.Document]  # new versions as stored; unchanged ones as given, with their stored number
    new: int
    unchanged: int


class BatchSaver:
    """Saves conversions into `store`, many at a time."""

    def __init__(self, store: Store, *, publish: bool = True, by: str = "jenkins2flow") -> None:
        self.store = store
        self.publish = publish
        self.by = by
        self.heads: dict[str, PipelineHead] = {}  # the stored pipelines of the batch being saved

    def save(self, convs: Sequence[Conversion],
             heads: dict[str, PipelineHead] | None = None) -> list[Saved | Exception]:
        """Save (and publish) each conversion that has a pipeline; per conversion, what was saved or the error
        that kept it out (StoreUnavailable stops everything: every other job would fail the same way). `heads`: the
        stored pipelines of these conversions when the caller has them (else read in one query)."""
        self.heads = heads if heads is not None else self.store.pipeline_heads(
            c.pipeline_name for c in convs if c.pipeline is not None)
        out: list[Saved | Exception | None] = [None] * len(convs)
        todo: list[tuple[int, int]] = []  # (conversion, expected version of its pipeline)
        for i, conv in enumerate(convs):
            try:
                todo.append((i, self._owned_version(conv)))
            except Exception as exc:
                out[i] = exc
        if todo:
            try:
                for (i, _), saved in zip(todo, self._save([(convs[i], v) for i, v in todo]), strict=True):
                    out[i] = saved
            except StoreUnavailable:
                raise
            except Exception:
                if len(todo) == 1:
                    raise
                for i, expected in todo:  # one by one: the error is the job's own
                    try:
                        out[i] = self._save([(convs[i], expected)])[0]
                    except StoreUnavailable:
                        raise
                    except Exception as exc:
                        out[i] = exc
        return [r if r is not None else ValueError("not saved") for r in out]

    def _owned_version(self, conv: Conversion) -> int:
        """The latest version of the conversion's pipeline (0 when new), when it belongs to the same job and source."""
        if conv.pipeline is None:
            raise ValueError(f"The conversion of {conv.job!r} has no pipeline to save ({conv.status}).")
        head = self.heads.get(conv.pipeline_name)
        if head is None:
            return 0
        mine = conv.pipeline.provenance
        error = stored_owner(conv.pipeline_name, mine.job, mine.source, head.job, head.source, retired=head.retired)
        if error:
            raise IdentityConflict(error)
        return head.latest

    def _save(self, batch: list[tuple[Conversion, int]]) -> list[Saved]:
        """One save_many of every document of `batch` (each document once), one publish_many; raises on failure."""
        unique: dict[tuple[str, str, str], int] = {}  # (kind, name, spec hash) -> index in docs
        docs: list[model.Document] = []
        expected: list[int | None] = []
        per_conv: list[list[int]] = []
        for conv, version in batch:
            assert conv.pipeline is not None
            comment = f"converted from Jenkins job {conv.job!r}"  # each new version keeps its job's comment
            # its spec is valid already, and its hash is computed once its references are pinned (store.plan)
            pipeline = pipeline_document(conv.pipeline_name, conv.pipeline, comment)
            mine = []
            for doc in [*conv.templates, *conv.tasks]:
                at = unique.setdefault((doc.kind, doc.name, doc.spec_hash), len(docs))
                if at == len(docs):
                    docs.append(doc.model_copy(update={"comment": comment}))
                    expected.append(None)
                mine.append(at)
            mine.append(len(docs))
            docs.append(pipeline)
            expected.append(version)  # a job saved in between is a ConflictError
            per_conv.append(mine)
        stored = self.store.save_many(docs, by=self.by, expected_versions=expected, read_unchanged=False)
        if self.publish:
            stored = self._published(stored)
        out = []
        counted: set[int] = set()  # a new version shared by jobs of the batch counts for the first one
        for (conv, _), mine in zip(batch, per_conv, strict=True):
            mine_docs = [stored[i] for i in mine]
            # a new version comes back as stored (created_at set); an unchanged one as given (the converter sets no
            # created_at): its pipeline is read back, as a DAG file embeds the stored envelope
            new = sum(1 for i in mine if stored[i].created_at is not None and i not in counted)
            counted.update(mine)
            pipeline = mine_docs[-1]
            if pipeline.created_at is None:
                pipeline = self.store.get("pipeline", pipeline.name, pipeline.version)
            out.append(Saved(pipeline, mine_docs[:-1], new, len(mine_docs) - new))
            assert conv.pipeline is not None
            head = self.heads.get(conv.pipeline_name)
            published = pipeline.version if pipeline.status == "published" else head.published if head else None
            self.heads[conv.pipeline_name] = PipelineHead(
                conv.pipeline_name, pipeline.version, published, False, conv.pipeline.provenance.job,
                conv.pipeline.provenance.source)
        return out

    def _published(self, stored: list[model.Document]) -> list[model.Document]:
        """Publish every stored document that is not published yet (tasks and templates first), in one call."""
        wanted = dict.fromkeys((d.kind, d.name, d.version) for d in sorted(stored, key=lambda d: d.kind == "pipeline")
                               if d.status != "published")
        self.store.publish_many(wanted, by=self.by)  # type: ignore[arg-type]
        return [d.model_copy(update={"status": "published"}) if (d.kind, d.name, d.version) in wanted else d
                for d in stored]


def save_conversion(
    store: Store, conv: Conversion, *, publish: bool = True, by: str = "jenkins2flow"
) -> model.Document:
    """Store every document of `conv` and return the stored pipeline; publish them all when `publish`."""
    heads = {}
    try:
        head = store.get("pipeline", conv.pipeline_name)
    except NotFoundError:
        pass
    else:
        assert isinstance(head.spec, model.PipelineSpec)
        heads[head.name] = PipelineHead(head.name, head.version, None, head.status == "retired",
                                        head.spec.provenance.job, head.spec.provenance.source)
    result = BatchSaver(store, publish=publish, by=by).save([conv], heads)[0]
    if isinstance(result, Exception):
        raise result
    return result.pipeline


__all__ = ["BatchSaver", "Saved", "save_conversion"]

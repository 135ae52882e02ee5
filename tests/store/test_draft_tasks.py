"""A jenkins_only pipeline's draft (PipelineSpec.draft_tasks, jenkins_fallback): validated like tasks, its `uses`
checked and pinned by the store like the tasks', and promoted into the tasks that run."""

from __future__ import annotations

import pytest
from jenkins2flow_runtime.model import ModelError, PipelineSpec, make
from jenkins2flow_runtime.store import RefError, Store
from store_docs import task


def _spec(draft: list[dict] | None = None, **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "tasks": [{"id": "run_jenkins_job", "uses": {"kind": "concrete_task", "name": "fallback"},
                   "bindings": {"jenkins_job": "team/etl", "jenkins_parameters": {"1x": "p_1x"}}}],
        "draft_tasks": draft if draft is not None else [
            {"id": "extract", "uses": {"kind": "concrete_task", "name": "extract"}},
            {"id": "hole", "uses": {"kind": "concrete_task", "name": "hole"}, "depends_on": ["extract"]},
        ],
        "jenkins_fallback": {"job": "team/etl", "reasons": ["Jenkinsfile:3:5: step x: unknown step"],
                             "notifications": [{"on": "failure", "to": ["data@example.com"]}]},
        **extra,
    }


def test_draft_dependencies_are_validated_like_tasks() -> None:
    bad = [{"id": "a", "uses": {"kind": "concrete_task", "name": "t"}, "depends_on": ["nope"]},
           {"id": "a", "uses": {"kind": "concrete_task", "name": "t"}}]
    with pytest.raises(ModelError) as err:
        make("pipeline", "p", _spec(bad))
    assert "spec.draft_tasks[0].depends_on[0]: unknown task 'nope'" in str(err.value)
    assert "spec.draft_tasks[1].id: duplicate task id 'a'" in str(err.value)


def test_the_store_checks_and_pins_the_drafts_references(store: Store) -> None:
    store.save_many([task("fallback"), task("extract")])
    with pytest.raises(RefError) as err:
        store.save(make("pipeline", "p", _spec()))
    assert "spec.draft_tasks[1].uses: concrete_task 'hole' is not in the store" in str(err.value)
    store.save(task("hole"))
    saved = store.save(make("pipeline", "p", _spec()))
    assert isinstance(saved.spec, PipelineSpec)
    assert [t.uses.version for t in saved.spec.draft_tasks] == [1, 1]  # pinned like the tasks
    with pytest.raises(RefError, match=r"spec.draft_tasks\[0\].uses: .* not published"):
        store.publish("pipeline", "p")
    assert [u.pipeline for u in store.where_used("concrete_task", "hole")] == ["p"]


def test_promoting_moves_the_draft_into_the_tasks_and_clears_the_record() -> None:
    spec = make("pipeline", "p", _spec()).spec
    assert isinstance(spec, PipelineSpec)
    promoted = spec.promoted()
    assert [t.id for t in promoted.tasks] == ["extract", "hole"]
    assert promoted.draft_tasks == [] and promoted.jenkins_fallback is None
    assert [n.to for n in promoted.notifications] == [["data@example.com"]]
    with pytest.raises(ValueError, match="no draft to promote"):
        promoted.promoted()

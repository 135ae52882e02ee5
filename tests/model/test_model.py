"""Model validation: every error names its field path; JSON Schema per kind; migrations from schema v0."""

from __future__ import annotations

from typing import Any

import pytest
from jenkins2flow_runtime.model import (
    KINDS,
    MIGRATIONS,
    SCHEMA_VERSION,
    ModelError,
    PipelineSpec,
    from_dict,
    json_schema,
    make,
    spec_hash,
    to_dict,
)


def uses(name: str = "extract", version: int = 1) -> dict[str, Any]:
    return {"kind": "concrete_task", "name": name, "version": version}


def pipeline(**spec: Any) -> dict[str, Any]:
    tasks = [{"id": "extract", "uses": uses()}, {"id": "load", "uses": uses("load"), "depends_on": ["extract"]}]
    return {"tasks": tasks, **spec}


def issues(kind: str, spec: Any, name: str = "x") -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as err:
        make(kind, name, spec)  # type: ignore[arg-type]
    return err.value.issues


def test_valid_documents_of_every_kind() -> None:
    docs = [
        make("concrete_task", "py", {"type": "python", "callable": "pkg.mod:run"}),
        make("concrete_task", "sh", {"type": "shell", "command": "echo hi"}),
        make("concrete_task", "box", {"type": "container", "image": "alpine:3", "command": "true", "cpu": 512}),
        make("view_task", "v", {"sql": "select 1", "materialize": "table", "target": "t"}),
        make("parameter_template", "tpl", {"parameters": [{"name": "n", "type": "integer", "default": 3}]}),
        make("pipeline", "p", pipeline(schedule={"cron": ["0 2 * * MON-FRI", "@daily"], "timezone": "Europe/Paris"})),
    ]
    assert [d.kind for d in docs] == ["concrete_task"] * 3 + ["view_task", "parameter_template", "pipeline"]
    assert all(d.schema_version == SCHEMA_VERSION and len(d.spec_hash) == 64 for d in docs)


@pytest.mark.parametrize(
    ("kind", "spec", "expected"),
    [
        ("concrete_task", {"type": "shell", "command": "x", "colour": 1}, ("spec.colour", "unknown field 'colour'")),
        ("concrete_task", {"type": "perl"}, ("spec.type", "Input should be 'python', 'shell' or 'container'")),
        ("concrete_task", {"type": "python", "callable": "nope"}, ("spec.callable", "python task needs a callable")),
        ("concrete_task", {"type": "shell", "command": "x", "parameters": [{"name": "n", "type": "integer",
                                                                               "default": "3"}]},
         ("spec.parameters[0].default", "default '3' is not of parameter type 'integer'")),
        ("parameter_template", {"parameters": [{"name": "flag", "type": "boolean", "default": "true"}]},
         ("spec.parameters[0].default", "default 'true' is not of parameter type 'boolean'")),
        ("parameter_template", {"parameters": [{"name": "c", "type": "choice", "choices": ["a"], "default": "b"}]},
         ("spec.parameters[0].default", "default 'b' is not one of the choices ['a']")),
        ("parameter_template", {"parameters": [{"name": "bad name"}]}, ("spec.parameters[0].name", "parameter name")),
        ("view_task", {"sql": "select 1", "materialize": "view"}, ("spec.target", "materialize 'view' needs a target")),
        ("pipeline", pipeline(schedule={"cron": ["0 2 * *"]}), ("spec.schedule.cron[0]", "has 4 fields, expected 5")),
        ("pipeline", pipeline(schedule={"cron": ["0 2 * * *", "61 * * * *"]}),
         ("spec.schedule.cron[1]", "minute 61 is outside 0-59")),
        ("pipeline", pipeline(schedule={"cron": ["H 2 * * *"]}), ("spec.schedule.cron[0]", "'H' must be resolved")),
        ("pipeline", pipeline(schedule={"timezone": "Mars/Base"}), ("spec.schedule.timezone", "unknown timezone")),
        ("pipeline", {"tasks": [{"id": "a b", "uses": uses()}]}, ("spec.tasks[0].id", "task id 'a b' is not valid")),
        ("pipeline", {"tasks": [{"id": "a", "uses": {**uses(), "kind": "pipeline"}}]},
         ("spec.tasks[0].uses.kind", "uses a concrete_task or view_task")),
        ("pipeline", {"tasks": [{"id": "a", "uses": uses("bad/name")}]}, ("spec.tasks[0].uses.name", "not valid")),
    ],
)
def test_errors_name_the_field_path(kind: str, spec: dict[str, Any], expected: tuple[str, str]) -> None:
    found = issues(kind, spec)
    path, fragment = expected
    assert any(p == path and fragment in m for p, m in found), found


def test_missing_task_reference_names_the_path() -> None:
    spec = {"tasks": [{"id": i, "uses": uses()} for i in ("extract", "transform")]}
    spec["tasks"].append({"id": "load", "uses": uses(), "depends_on": ["lod"]})
    with pytest.raises(ModelError) as err:
        make("pipeline", "p", spec)
    assert str(err.value) == "spec.tasks[2].depends_on[0]: unknown task 'lod'; did you mean 'load'?"


def test_cycles_duplicates_and_self_dependencies() -> None:
    tasks = [
        {"id": "a", "uses": uses(), "depends_on": ["c"]},
        {"id": "b", "uses": uses(), "depends_on": ["a"]},
        {"id": "c", "uses": uses(), "depends_on": ["b"]},
        {"id": "d", "uses": uses(), "depends_on": ["d"]},
        {"id": "a", "uses": uses()},
    ]
    found = dict(issues("pipeline", {"tasks": tasks}))
    assert found["spec.tasks[4].id"] == "duplicate task id 'a' (first at tasks[0])"
    assert found["spec.tasks[3].depends_on[0]"] == "task 'd' depends on itself"
    cycle = [m for m in found.values() if m.startswith("dependency cycle")]
    assert cycle == ["dependency cycle a -> c -> b -> a"]


def test_bad_document_names() -> None:
    assert issues("concrete_task", {"type": "shell", "command": "x"}, name="../etc") == [
        ("name", "name '../etc' is not valid: use letters, digits, '_', '.', '-' (pattern "
                 "^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,199}$)")
    ]
    with pytest.raises(ModelError, match="kind: unknown kind 'job'"):
        make("job", "x", {})  # type: ignore[arg-type]


def test_every_problem_is_reported_at_once() -> None:
    found = issues("pipeline", {"tasks": [{"id": "a", "uses": uses(), "depends_on": ["x", "y"]}],
                                "schedule": {"cron": ["bad"], "timezone": "Nowhere"}})
    assert {p for p, _ in found} == {"spec.schedule.cron[0]", "spec.schedule.timezone"}  # fields before graph rules
    found = issues("pipeline", {"tasks": [{"id": "a", "uses": uses(), "depends_on": ["x", "y"]}]})
    assert [p for p, _ in found] == ["spec.tasks[0].depends_on[0]", "spec.tasks[0].depends_on[1]"]


def test_spec_hash_is_canonical() -> None:
    a = make("concrete_task", "t", {"type": "shell", "command": "x", "env": {"B": "1", "A": "2"}})
    b = make("concrete_task", "t", {"env": {"A": "2", "B": "1"}, "command": "x", "type": "shell", "retries": 0})
    assert a.spec_hash == b.spec_hash == spec_hash(a.spec)
    assert make("concrete_task", "t", {"type": "shell", "command": "y"}).spec_hash != a.spec_hash


def test_a_pipeline_hash_made_a_task_at_a_time_is_the_hash_of_its_whole_canonical_json() -> None:
    import hashlib
    import json

    def whole(spec: Any) -> str:  # the definition: the canonical JSON of the whole spec at once
        text = json.dumps(spec.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    task = {"id": "a", "uses": {"kind": "concrete_task", "name": "t", "version": 2}, "env": {"Z": "é", "A": "1"}}
    for spec in ({"tasks": [task, {**task, "id": "b", "depends_on": ["a"]}], "draft_tasks": [{**task, "id": "d"}],
                  "jenkins_fallback": {"job": "j"}, "owners": ["ü"]},
                 {"tasks": [task]},  # draft_tasks at its default: left out
                 {"tasks": [], "draft_tasks": [task], "jenkins_fallback": {"job": "j"}}):
        doc = make("pipeline", "p", spec)
        assert doc.spec_hash == spec_hash(doc.spec) == whole(doc.spec)


def test_pinned_copies_only_the_version_0_references_as_validating_again_would() -> None:
    spec = {"parameters": {"templates": [{"kind": "parameter_template", "name": "tpl", "version": 0}]},
            "tasks": [{"id": "a", "uses": {"kind": "concrete_task", "name": "t", "version": 0}},
                      {"id": "b", "uses": {"kind": "concrete_task", "name": "u", "version": 3}, "depends_on": ["a"]}],
            "draft_tasks": [{"id": "d", "uses": {"kind": "concrete_task", "name": "t", "version": 0}}],
            "jenkins_fallback": {"job": "j"}}
    doc = make("pipeline", "p", spec)
    assert isinstance(doc.spec, PipelineSpec)
    pins = {"parameter_template/tpl": 2, "concrete_task/t": 5, "concrete_task/u": 9}
    pinned = doc.spec.pinned(pins)
    data = doc.spec.model_dump(mode="json")
    data["parameters"]["templates"][0]["version"] = 2
    data["tasks"][0]["uses"]["version"] = data["draft_tasks"][0]["uses"]["version"] = 5  # u stays at 3: pinned
    again = PipelineSpec.model_validate(data)
    assert pinned == again and spec_hash(pinned) == spec_hash(again) != spec_hash(doc.spec)
    assert doc.spec.tasks[0].uses.version == 0 and pinned.tasks[1] is doc.spec.tasks[1]  # the original unchanged


def test_round_trip_through_dict() -> None:
    doc = make("pipeline", "p", pipeline(owners=["ann"]), comment="c")
    assert from_dict(to_dict(doc)) == doc


@pytest.mark.parametrize("kind", KINDS)
def test_json_schema_per_kind(kind: str) -> None:
    schema = json_schema(kind)
    assert schema["properties"]["kind"]["const"] == kind
    assert {"spec", "kind", "name"} <= set(schema["required"])
    assert "schema_version" in schema["properties"]
    assert schema["$id"].endswith(f"/v{SCHEMA_VERSION}/{kind}.json")


def test_json_schema_rejects_unknown_fields() -> None:
    schema = json_schema("concrete_task")
    spec = schema["$defs"]["ConcreteTaskSpec"]
    assert spec["additionalProperties"] is False and "command" in spec["properties"]


V0_PIPELINE = {  # hand-written in the pre-release (v0) layout: no schema_version
    "kind": "pipeline",
    "name": "nightly",
    "spec": {
        "schedule": "30 2 * * *",
        "owner": "data-team",
        "tasks": [
            {"id": "extract", "task": "extract@3"},
            {"id": "report", "view": "daily_report@2", "upstream": ["extract"]},
        ],
    },
}
V0_TASK = {"kind": "task", "name": "extract", "spec": {"type": "shell", "script": "./extract.sh"}}


def test_migration_from_v0() -> None:
    assert 0 in MIGRATIONS
    doc = from_dict(V0_PIPELINE)
    assert doc.schema_version == SCHEMA_VERSION
    assert isinstance(doc.spec, PipelineSpec)
    assert doc.spec.schedule is not None and doc.spec.schedule.cron == ["30 2 * * *"]
    assert doc.spec.owners == ["data-team"]
    assert [(t.id, t.uses.kind, t.uses.name, t.uses.version, t.depends_on) for t in doc.spec.tasks] == [
        ("extract", "concrete_task", "extract", 3, []),
        ("report", "view_task", "daily_report", 2, ["extract"]),
    ]
    assert doc.spec_hash == spec_hash(doc.spec)
    task = from_dict(V0_TASK)
    assert (task.kind, task.spec.command) == ("concrete_task", "./extract.sh")  # type: ignore[union-attr]


def test_migration_errors() -> None:
    with pytest.raises(ModelError, match="schema_version: schema_version 99 is newer"):
        from_dict({**V0_TASK, "schema_version": 99})
    with pytest.raises(ModelError, match=r"spec.tasks\[0\].depends_on\[0\]: unknown task 'x'"):
        from_dict({**V0_PIPELINE, "spec": {"tasks": [{"id": "a", "task": "t@1", "upstream": ["x"]}]}})

"""Every catalog action through the JSON API, on both store backends: create, edit, conflict, publish, retire,
roll back, history, diff, audit, where-used; and every role's denials."""

from __future__ import annotations

from typing import Any

import pytest
from ui_help import Api

TASK = {"type": "shell", "command": "set -e\nmkdir -p out\necho done > out/x.txt\n"}


def pipeline_spec(task: str = "make-out", team: str = "", owners: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"tasks": [{"id": "build", "title": "Build: make the output", "uses":
                       {"kind": "concrete_task", "name": task, "version": 0}}],
            "team": team, "owners": list(owners), "schedule": {"cron": ["23 2 * * *"], "timezone": "UTC"}}


def put(api: Api, path: str, spec: dict[str, Any], expected: int, **extra: Any) -> Any:
    return api.put(path, {"spec": spec, "expected_version": expected, **extra})


def test_create_edit_publish_retire_rollback_history_diff_audit(api: dict[str, Api]) -> None:
    eddie, pat = api["eddie"], api["pat"]
    created = put(eddie, "/tasks/make-out", TASK, 0, comment="first", tags=["demo"])
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["status"] == "draft"
    assert created.json()["spec"]["command"] == TASK["command"]  # multi-line text as it was

    same = put(eddie, "/tasks/make-out", TASK, 1)
    assert same.status_code == 200 and same.json()["version"] == 1 and same.json()["changed"] is False

    changed = put(eddie, "/tasks/make-out", {**TASK, "retries": 2}, 1, comment="retry twice")
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["changed"] is True

    published = pat.post("/tasks/make-out/publish", {"version": 2, "comment": "ok"})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert eddie.get("/tasks/make-out", params={"version": "published"}).json()["version"] == 2

    retired = pat.post("/tasks/make-out/retire", {"comment": "wrong"})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"

    rolled = pat.post("/tasks/make-out/rollback", {"version": 1, "comment": "back to one retry-free"})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["version"] == 3 and rolled.json()["status"] == "published"
    assert rolled.json()["spec"].get("retries", 0) == 0

    history = eddie.get("/tasks/make-out/history").json()
    assert [(h["version"], h["status"]) for h in history] == [(1, "draft"), (2, "retired"), (3, "published")]
    assert history[1]["comment"] == "retry twice" and history[1]["created_by"] == "token:eddie-token"

    diff = eddie.get("/tasks/make-out/diff", params={"a": 1, "b": 2}).json()
    assert diff["lines"] == ["spec.retries: 0 -> 2"]

    trail = [(a["action"], a["version"], a["by"]) for a in eddie.get("/tasks/make-out/audit").json()]
    assert ("publish", 2, "token:pat-token") in trail and ("retire", 2, "token:pat-token") in trail
    assert trail[-1][0] == "publish" and trail[-1][1] == 3
    assert ("rollback", 3, "token:pat-token") in trail


def test_where_used_and_list_filters(api: dict[str, Api]) -> None:
    eddie = api["eddie"]
    assert put(eddie, "/tasks/make-out", TASK, 0).status_code == 201
    assert put(eddie, "/tasks/lonely", {"type": "shell", "command": "true"}, 0).status_code == 201
    assert put(eddie, "/pipelines/nightly", pipeline_spec(team="sales"), 0).status_code == 201

    used = eddie.get("/tasks/make-out/where-used").json()
    assert [(u["pipeline"], u["where"]) for u in used] == [("nightly", "spec.tasks[0].uses")]
    assert eddie.get("/tasks/lonely/where-used").json() == []

    names = [e["name"] for e in eddie.get("/tasks", params={"used": "unused"}).json()]
    assert names == ["lonely"]
    listed = eddie.get("/tasks", params={"used": "used"}).json()
    assert [(e["name"], e["used_by"]) for e in listed] == [("make-out", ["nightly"])]
    assert [e["name"] for e in eddie.get("/pipelines", params={"team": "sales"}).json()] == ["nightly"]
    assert eddie.get("/pipelines", params={"team": "ops"}).json() == []
    assert [e["name"] for e in eddie.get("/pipelines", params={"q": "make the output"}).json()] == ["nightly"]
    assert eddie.get("/pipelines", params={"status": "published"}).json() == []


def test_conflict_names_the_current_version_and_the_differences(api: dict[str, Api]) -> None:
    eddie, erin = api["eddie"], api["erin"]
    assert put(eddie, "/tasks/make-out", TASK, 0).status_code == 201
    # both start from version 1; eddie saves first
    assert put(eddie, "/tasks/make-out", {**TASK, "retries": 1}, 1).json()["version"] == 2
    late = put(erin, "/tasks/make-out", {**TASK, "timeout_seconds": 60}, 1)
    assert late.status_code == 409
    body = late.json()
    assert body["current_version"] == 2
    assert "expected" in body["detail"].lower() or "version" in body["detail"].lower()
    assert "spec.retries: 1 -> 0" in body["diff"] and "spec.timeout_seconds: None -> 60" in body["diff"]
    # nothing lost: eddie's version is the latest, erin's change was not written
    assert erin.get("/tasks/make-out").json()["spec"]["retries"] == 1
    # creating what exists is a conflict too
    assert put(erin, "/tasks/make-out", TASK, 0).status_code == 409


def test_invalid_documents_are_refused_by_field(api: dict[str, Api]) -> None:
    bad = put(api["eddie"], "/pipelines/p1", {"tasks": [
        {"id": "a", "uses": {"kind": "concrete_task", "name": "x"}, "depends_on": ["zz", "a"]},
        {"id": "a", "uses": {"kind": "concrete_task", "name": "x"}},
    ]}, 0)
    assert bad.status_code == 422
    issues = {i["path"]: i["message"] for i in bad.json()["issues"]}
    assert issues == {"spec.tasks[0].depends_on[0]": "unknown task 'zz'",
                      "spec.tasks[0].depends_on[1]": "task 'a' depends on itself",
                      "spec.tasks[1].id": "duplicate task id 'a' (first at tasks[0])"}
    typed = put(api["eddie"], "/tasks/t", {**TASK, "retries": -1, "cpu": "many"}, 0)
    assert {i["path"] for i in typed.json()["issues"]} == {"spec.retries", "spec.cpu"}
    missing = put(api["eddie"], "/pipelines/p1", pipeline_spec("nope"), 0)
    assert missing.status_code == 409 and "nope" in missing.text
    no_version = api["eddie"].put("/tasks/t", {"spec": TASK})
    assert no_version.status_code == 400 and "expected_version" in no_version.json()["detail"]
    bad_name = put(api["eddie"], "/tasks/a%20b", TASK, 0)
    assert bad_name.status_code in (404, 422)


def test_role_denials(api: dict[str, Api]) -> None:
    assert put(api["eddie"], "/tasks/make-out", TASK, 0).status_code == 201
    # viewer: reads, never writes
    assert api["vic"].get("/tasks/make-out").status_code == 200
    denied = put(api["vic"], "/tasks/make-out", {**TASK, "retries": 3}, 1)
    assert denied.status_code == 403 and "editor role" in denied.json()["detail"]
    assert api["vic"].post("/tasks/make-out/publish").status_code == 403
    # editor: saves, never publishes
    refused = api["eddie"].post("/tasks/make-out/publish")
    assert refused.status_code == 403 and "publisher role" in refused.json()["detail"]
    assert api["eddie"].post("/tasks/make-out/rollback", {"version": 1}).status_code == 403
    assert api["pat"].post("/tasks/make-out/publish").status_code == 200
    # nobody unauthenticated; a wrong token is refused
    assert api["vic"].client.get("/api/v1/tasks").status_code == 401
    assert api["vic"].client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_pipelines_team_and_owners_limit_who_edits_and_publishes_it(api: dict[str, Api]) -> None:
    assert put(api["eddie"], "/tasks/make-out", TASK, 0).status_code == 201
    assert api["pat"].post("/tasks/make-out/publish").status_code == 200
    assert put(api["eddie"], "/pipelines/sales-daily", pipeline_spec(team="sales"), 0).status_code == 201

    other_team = put(api["erin"], "/pipelines/sales-daily", {**pipeline_spec(team="sales"), "description": "x"}, 1)
    assert other_team.status_code == 403 and "team 'sales'" in other_team.json()["detail"]
    assert api["polly"].post("/pipelines/sales-daily/publish").status_code == 403
    # nobody moves a pipeline to a team they are not in, or takes it from its team
    assert put(api["eddie"], "/pipelines/sales-daily", pipeline_spec(team="ops"), 1).status_code == 403
    assert put(api["erin"], "/pipelines/ops-only", pipeline_spec(team="sales"), 0).status_code == 403
    # the team's editor and publisher may; owners by name may; an admin may anything
    assert put(api["eddie"], "/pipelines/sales-daily", {**pipeline_spec(team="sales"), "description": "d"},
               1).status_code == 200
    assert api["pat"].post("/pipelines/sales-daily/publish").status_code == 200
    owned = pipeline_spec(team="sales", owners=("token:erin-token",))
    assert put(api["ada"], "/pipelines/sales-daily", owned, 2).status_code == 200
    assert put(api["erin"], "/pipelines/sales-daily", {**owned, "description": "erin owns it"}, 3).status_code == 200
    assert api["ada"].post("/pipelines/sales-daily/retire").status_code == 200


def test_secret_values_are_never_shown_and_kept_on_save(api: dict[str, Api], store_uri: str) -> None:
    from jenkins2flow_runtime.store import open_store

    spec = {"type": "shell", "command": "deploy", "env": {"DB_PASSWORD": "hunter2", "REGION": "eu"},
            "parameters": [{"name": "API_TOKEN", "type": "password", "default": "tok-123"}]}
    assert put(api["eddie"], "/tasks/deploy", spec, 0).status_code == 201
    shown = api["eddie"].get("/tasks/deploy").json()["spec"]
    assert "hunter2" not in str(shown) and "tok-123" not in str(shown)
    assert shown["env"]["REGION"] == "eu"
    # saving what was shown (hidden values as shown) keeps the stored secrets
    saved = put(api["eddie"], "/tasks/deploy", {**shown, "command": "deploy --now"}, 1)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    with open_store(store_uri, create=True) as store:
        doc = store.get("concrete_task", "deploy")
    assert doc.spec.env["DB_PASSWORD"] == "hunter2"  # type: ignore[union-attr]
    assert doc.spec.parameters[0].default == "tok-123"  # type: ignore[union-attr]
    # a hidden value with nothing stored behind it is refused, by field
    fresh = put(api["eddie"], "/tasks/other", {**shown}, 0)
    assert fresh.status_code == 422 and "spec.env.DB_PASSWORD" in fresh.text


@pytest.mark.parametrize("path", ["/tasks", "/tasks/x", "/me"])
def test_every_read_needs_a_login(app_client: Any, path: str) -> None:
    assert app_client.get("/api/v1" + path).status_code == 401

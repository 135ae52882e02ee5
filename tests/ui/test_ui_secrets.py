"""No stored secret value reaches a page: not the pipeline page, not a form or YAML editor shown again after an
invalid field, a conflict or a refusal, not another team's editor, not a view's test render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from htmlform import form_fields, replace
from jenkins2flow_runtime.model import make
from jenkins2flow_runtime.store import NotFoundError, open_store
from ui_help import Users, csrf_of, login, make_client

SECRETS = ("hunter2", "tok-123", "pipe-pw-999", "bound-pw-777", "bound-tok-555", "bind-secret-42")


@pytest.fixture
def client(store_uri: str, users: Users, tmp_path: Path) -> Any:
    with open_store(store_uri, create=True) as store:
        store.save(make("concrete_task", "deploy", {
            "type": "shell", "command": "deploy\n", "env": {"DB_PASSWORD": "hunter2", "REGION": "eu"},
            "parameters": [{"name": "API_TOKEN", "type": "password", "default": "tok-123"}]}), by="seed")
        store.save(make("view_task", "v", {"sql": "select '{{ params.DB_TOKEN }}', '{{ params.PW }}'",
                                           "parameters": [{"name": "DB_TOKEN", "type": "string"},
                                                          {"name": "PW", "type": "string"}]}), by="seed")
        store.save(make("pipeline", "secure", {
            "team": "sales",
            "parameters": {"overrides": [{"name": "PW", "type": "password", "default": "pipe-pw-999"}]},
            "tasks": [{"id": "a", "uses": {"kind": "concrete_task", "name": "deploy", "version": 0},
                       "bindings": {"PW": "bound-pw-777", "API_TOKEN": "bound-tok-555", "REGION": "eu"}},
                      {"id": "q", "uses": {"kind": "view_task", "name": "v", "version": 0},
                       "bindings": {"DB_TOKEN": "bind-secret-42", "PW": "bound-pw-777"}}]}), by="seed")
    with make_client(store_uri, users, tmp_path) as c:
        yield c


def shows_no_secret(response: Any, status: int) -> str:
    assert response.status_code == status, response.text[-2000:]
    leaked = [s for s in SECRETS if s in response.text]
    assert not leaked, f"{response.request.method} {response.request.url} shows {leaked}"
    return str(response.text)


def someone_saves(store_uri: str, kind: str, name: str, **changes: Any) -> None:
    with open_store(store_uri) as store:
        d = store.get(kind, name)  # type: ignore[arg-type]
        store.save(make(kind, name, {**d.spec.model_dump(mode="json"), **changes}), by="polly",  # type: ignore[arg-type]
                   expected_version=d.version)


def test_the_pipeline_page_and_the_test_render_hide_secret_bindings(client: TestClient) -> None:
    login(client, "vic")
    page = shows_no_secret(client.get("/pipelines/secure"), 200)
    assert "<code>REGION</code> = <code>eu</code>" in page and "<code>PW</code> = <span class=\"muted\">hidden" in page
    shows_no_secret(client.get("/tasks/deploy"), 200)
    form = shows_no_secret(client.get("/views/v/render", params={"pipeline": "secure", "task": "q"}), 200)
    out = shows_no_secret(client.post("/views/v/render?pipeline=secure&task=q", data=form_fields(form)), 200)
    assert "select &#39;&lt;hidden: unchanged&gt;&#39;, &#39;&lt;hidden: unchanged&gt;&#39;" in out
    typed = client.post("/views/v/render?pipeline=secure&task=q",
                        data=replace(form_fields(form), **{"param.DB_TOKEN": "typed-here"}))
    assert "select &#39;typed-here&#39;" in shows_no_secret(typed, 200)


def test_forms_shown_again_after_an_invalid_field_or_a_conflict_keep_secrets_hidden(client: TestClient,
                                                                                   store_uri: str) -> None:
    login(client, "eddie")
    for path in ("/tasks/deploy", "/pipelines/secure"):
        page = shows_no_secret(client.get(f"{path}/edit"), 200)
        bad = {"spec.retries": "-1"} if path == "/tasks/deploy" else {"spec.tasks.0.retries": "-1"}
        again = shows_no_secret(client.post(f"{path}/edit", data=replace(form_fields(page), **bad)), 422)
        assert "&lt;hidden: unchanged&gt;" in again  # what was sent, as it was sent
        yaml_page = shows_no_secret(client.get(f"{path}/yaml"), 200)
        fields = form_fields(yaml_page)
        field = "  retries: 0\n" if path == "/tasks/deploy" else "  max_active_runs: null\n"
        assert field in str(fields["text"])
        invalid = replace(fields, text=str(fields["text"]).replace(field, field.split(":")[0] + ": -1\n"))
        shows_no_secret(client.post(f"{path}/yaml", data=invalid), 422)
    # a conflict: someone saved while eddie edited; both the form and the diff keep the secrets hidden
    page = client.get("/tasks/deploy/edit").text
    yaml_page = client.get("/pipelines/secure/yaml").text
    someone_saves(store_uri, "concrete_task", "deploy", command="deploy --theirs\n")
    someone_saves(store_uri, "pipeline", "secure", description="theirs")
    clash = client.post("/tasks/deploy/edit", data=replace(form_fields(page), **{"spec.command": "deploy --mine\n"}))
    assert "someone saved this document" in shows_no_secret(clash, 409)
    fields = form_fields(yaml_page)
    clash = client.post("/pipelines/secure/yaml",
                        data=replace(fields, text=str(fields["text"]).replace("REGION: eu", "REGION: us")))
    assert "someone saved this document" in shows_no_secret(clash, 409)
    # saving the conflict's form again keeps the stored values
    saved = client.post("/pipelines/secure/yaml", data=form_fields(clash.text))
    assert saved.status_code == 303, saved.text[-2000:]
    with open_store(store_uri) as store:
        doc = store.get("pipeline", "secure")
    assert doc.spec.tasks[0].bindings == {"PW": "bound-pw-777", "API_TOKEN": "bound-tok-555",  # type: ignore[union-attr]
                                          "REGION": "us"}


def test_another_teams_editor_never_sees_nor_copies_the_secrets(client: TestClient, users: Users,
                                                              store_uri: str) -> None:
    eddie = TestClient(client.app, follow_redirects=False)
    login(eddie, "eddie")
    form = form_fields(eddie.get("/pipelines/secure/edit").text)
    yaml_fields = form_fields(eddie.get("/pipelines/secure/yaml").text)
    login(client, "erin")  # an editor of team ops
    token = csrf_of(client.get("/catalog").text)
    denied = client.post("/pipelines/secure/edit", data=replace(form, csrf_token=token))
    assert "belongs to team &#39;sales&#39;" in shows_no_secret(denied, 403)
    denied = client.post("/pipelines/secure/edit",
                         data=replace(form, csrf_token=token, **{"spec.tasks.0.retries": "-1"}))
    shows_no_secret(denied, 403)
    shows_no_secret(client.post("/pipelines/secure/yaml", data=replace(yaml_fields, csrf_token=token)), 403)
    # "Copy as new" of a pipeline erin may not edit: the copy does not get its stored secrets
    copy = shows_no_secret(client.get("/new/pipelines", params={"copy": "secure"}), 200)
    fields = replace(form_fields(copy), **{"spec.team": "ops"})
    refused = shows_no_secret(client.post("/new/pipelines", data=fields), 422)
    assert "no value is stored for this binding: type the value" in refused
    bad = shows_no_secret(client.post("/new/pipelines", data=replace(fields, **{"spec.tasks.0.retries": "-1"})), 422)
    assert "&lt;hidden: unchanged&gt;" in bad
    with open_store(store_uri) as store, pytest.raises(NotFoundError):
        store.get("pipeline", "secure-copy")

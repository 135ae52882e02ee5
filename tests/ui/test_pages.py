"""The pages with a browser's own requests: login, forms (generated from the schema, read back losslessly),
errors by field with nothing typed lost, the YAML editor, conflicts, CSRF, lifecycle buttons and the views."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from htmlform import form_fields, replace
from jenkins2flow_runtime.store import open_store
from jenkins2flow_runtime.ui.auth import password_fingerprint
from ui_docs import GATED, SCRIPT, rich_docs
from ui_help import Users, csrf_of, login, make_client

GROUP = {"concrete_task": "tasks", "view_task": "views", "parameter_template": "templates", "pipeline": "pipelines"}


@pytest.fixture
def seeded(store_uri: str, users: Users, tmp_path: Path) -> Any:
    with open_store(store_uri, create=True) as store:
        saved = store.save_many(rich_docs(), by="seed", comment="seeded")
        for d in saved:
            if d.kind != "pipeline":
                store.publish(d.kind, d.name, d.version, by="seed")
    with make_client(store_uri, users, tmp_path) as client:
        yield client


def as_user(client: TestClient, name: str) -> TestClient:
    login(client, name)
    return client


def test_login_logout_and_wrong_password(app_client: TestClient) -> None:
    assert app_client.get("/catalog").headers["location"].startswith("/login?next=")
    page = app_client.get("/login")
    bad = app_client.post("/login", data={"username": "eddie", "password": "nope", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 401 and "wrong password" in bad.text and 'value="eddie"' in bad.text
    login(app_client, "eddie")
    home = app_client.get("/catalog")
    assert home.status_code == 200 and "eddie" in home.text and "editor" in home.text
    out = app_client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert app_client.get("/catalog").status_code == 303


def test_forms_need_the_csrf_token(app_client: TestClient) -> None:
    login(app_client, "ada")
    assert app_client.post("/new/tasks", data={"name": "x", "spec.type": "shell", "spec.command": "true"}).status_code \
        == 400
    forged = app_client.post("/new/tasks", data={"name": "x", "spec.type": "shell", "spec.command": "true",
                                                "csrf_token": "0" * 64})
    assert forged.status_code == 400 and "CSRF" in forged.text
    # a token is bound to the browser's nonce cookie and to the user
    token = csrf_of(app_client.get("/new/tasks").text)
    other = TestClient(app_client.app, follow_redirects=False)
    login(other, "eddie")
    assert other.post("/new/tasks", data={"name": "x", "spec.type": "shell", "spec.command": "true",
                                          "csrf_token": token}).status_code == 400


def test_every_form_is_refused_without_its_csrf_token(seeded: TestClient, store_uri: str) -> None:
    client = as_user(seeded, "ada")
    data = {"name": "x", "spec.type": "shell", "spec.command": "true", "text": "kind: concrete_task\nname: x\n",
            "version": "1", "comment": "c", "logical_date": "2024-01-01T00:00"}
    for path in ("/new/tasks", "/new/tasks/yaml", "/tasks/sum-sales/edit", "/tasks/sum-sales/yaml",
                 "/tasks/sum-sales/publish", "/tasks/sum-sales/retire", "/tasks/sum-sales/rollback",
                 "/views/sales-by-region/render", "/logout", "/login"):
        sent = client.post(path, data=data)  # another site's form: no token, no Origin / Sec-Fetch-Site
        assert sent.status_code == 400 and "CSRF" in sent.text, path
        assert "WHERE day" not in sent.text, path  # the test render rendered nothing
    with open_store(store_uri) as store:
        assert len(store.history("concrete_task", "sum-sales")) == 1  # type: ignore[arg-type]
        assert store.get("concrete_task", "sum-sales").status == "published"  # type: ignore[arg-type]
        assert [d.name for d in store.list() if d.name == "x"] == []
    assert client.get("/catalog").status_code == 200  # still logged in: the logout was refused too


@pytest.mark.parametrize("kind,name", [(d.kind, d.name) for d in rich_docs()])
def test_the_generated_form_reads_back_every_field_unchanged(seeded: TestClient, store_uri: str, kind: str,
                                                             name: str) -> None:
    client = as_user(seeded, "ada")
    page = client.get(f"/{GROUP[kind]}/{name}/edit")
    assert page.status_code == 200
    assert "hunter2" not in page.text and "tok-123" not in page.text  # secrets never in the page
    sent = client.post(f"/{GROUP[kind]}/{name}/edit", data=form_fields(page.text))
    assert sent.status_code == 303, sent.text[-3000:]
    assert "ok=unchanged" in sent.headers["location"]
    with open_store(store_uri, create=True) as store:
        assert store.get(kind, name).version == 1  # type: ignore[arg-type]


def test_shell_and_sql_are_multiline_code(seeded: TestClient) -> None:
    client = as_user(seeded, "vic")
    task = client.get("/tasks/sum-sales").text
    assert '<pre class="code lang-shell">' in task
    assert "\\n" not in task.split('<pre class="code lang-shell">')[1].split("</pre>")[0]
    assert task.count('<span class="ln">') >= SCRIPT.count("\n")
    yaml_page = as_user(seeded, "ada").get("/tasks/sum-sales/yaml").text
    assert "command: |" in yaml_page  # a literal block even with tabs and trailing spaces
    view = client.get("/views/sales-by-region").text
    assert '<pre class="code lang-sql">' in view and "GROUP BY region" in view


def test_editing_through_the_form_saves_a_new_version(seeded: TestClient, store_uri: str) -> None:
    client = as_user(seeded, "eddie")
    page = client.get("/tasks/sum-sales/edit")
    new_script = "echo one\r\necho two   \r\n"  # browsers send CRLF
    fields = replace(form_fields(page.text), **{"spec.command": new_script, "spec.retries": "4",
                                                "comment": "two lines"})
    sent = client.post("/tasks/sum-sales/edit", data=fields)
    assert sent.status_code == 303 and "ok=saved" in sent.headers["location"] and "v=2" in sent.headers["location"]
    with open_store(store_uri, create=True) as store:
        doc = store.get("concrete_task", "sum-sales")
    assert doc.spec.command == "echo one\necho two   \n" and doc.spec.retries == 4  # type: ignore[union-attr]
    assert doc.created_by == "eddie" and doc.comment == "two lines"
    assert doc.spec.env["DB_PASSWORD"] == "hunter2"  # type: ignore[union-attr]  # hidden, kept
    shown = client.get("/tasks/sum-sales?ok=saved&v=2")
    assert "Saved as version 2." in shown.text


def test_bad_input_shows_messages_by_field_and_keeps_what_was_typed(seeded: TestClient) -> None:
    client = as_user(seeded, "eddie")
    page = client.get("/new/pipelines")
    fields = replace(form_fields(page.text), **{
        "name": "bad name!", "spec.tasks.0.id": "step one", "spec.tasks.0.uses.name": "sum-sales",
        "spec.tasks.0.retries": "three", "spec.description": "my typed description",
        "spec.tasks.0.bindings": "LIMIT: [unclosed",
    })
    first = client.post("/new/pipelines", data=fields)
    assert first.status_code == 422
    assert "&#39;three&#39; is not a whole number" in first.text
    assert "not valid YAML (line 1" in first.text
    assert 'value="three"' in first.text and "my typed description" in first.text and "LIMIT: [unclosed" in first.text
    # fixed the conversions: now the model's own messages, at their fields
    fields = replace(fields, **{"spec.tasks.0.retries": "3", "spec.tasks.0.bindings": "LIMIT: 5"})
    second = client.post("/new/pipelines", data=fields)
    assert second.status_code == 422
    assert "name &#39;bad name!&#39; is not valid" in second.text
    assert "task id &#39;step one&#39; is not valid" in second.text
    assert re.search(r'<div class="field w-text has-error">\s*<label for="f-spec.tasks.0.id"', second.text)
    assert 'value="bad name!"' in second.text and 'value="step one"' in second.text
    fields = replace(fields, **{"name": "good", "spec.tasks.0.id": "step_one"})
    third = client.post("/new/pipelines", data=fields)
    assert third.status_code == 303 and "ok=created" in third.headers["location"]


def test_add_and_remove_items_without_javascript(seeded: TestClient) -> None:
    client = as_user(seeded, "eddie")
    page = client.get("/new/pipelines")
    fields = replace(form_fields(page.text), **{"spec.tasks.0.id": "a", "spec.tasks.0.uses.name": "py-step"})
    more = client.post("/new/pipelines", data={**fields, "_add": "spec.tasks"})
    assert more.status_code == 200 and 'name="spec.tasks.1.__item"' in more.text and 'value="a"' in more.text
    fields = replace(form_fields(more.text), **{"spec.tasks.1.id": "b", "spec.tasks.1.uses.name": "py-step"})
    fewer = client.post("/new/pipelines", data={**fields, "_remove": "spec.tasks.0"})
    assert 'name="spec.tasks.1.__item"' not in fewer.text and 'value="b"' in fewer.text


def test_a_concurrent_edit_is_a_conflict_with_the_differences_and_nothing_lost(seeded: TestClient,
                                                                            store_uri: str) -> None:
    client = as_user(seeded, "eddie")
    page = client.get("/tasks/py-step/edit")
    # someone else saves version 2 meanwhile
    with open_store(store_uri, create=True) as store:
        from jenkins2flow_runtime.model import make

        store.save(make("concrete_task", "py-step", {"type": "python", "callable": "pkg.mod:other"}), by="erin",
                   comment="theirs", expected_version=1)
    mine = replace(form_fields(page.text), **{"spec.callable": "pkg.mod:mine"})
    clash = client.post("/tasks/py-step/edit", data=mine)
    assert clash.status_code == 409
    assert "someone saved this document while you were editing it" in clash.text
    assert "Version 2 was saved by <strong>erin</strong>" in clash.text
    assert "pkg.mod:other" in clash.text and 'value="pkg.mod:mine"' in clash.text  # both sides; typed text kept
    assert 'name="expected_version" value="2"' in clash.text
    again = client.post("/tasks/py-step/edit", data=form_fields(clash.text))
    assert again.status_code == 303 and "v=3" in again.headers["location"]
    with open_store(store_uri, create=True) as store:
        versions = [(d.version, d.spec.callable, d.created_by) for d in store.history("concrete_task", "py-step")]
    assert versions[1:] == [(2, "pkg.mod:other", "erin"), (3, "pkg.mod:mine", "eddie")]


def test_the_yaml_editor(seeded: TestClient, store_uri: str) -> None:
    client = as_user(seeded, "eddie")
    page = client.get("/views/sales-by-region/yaml")
    fields = form_fields(page.text)
    text = str(fields["text"])
    assert "sql: |" in text and "GROUP BY region" in text
    broken = client.post("/views/sales-by-region/yaml", data=replace(fields, text=text + "\n  bad: [\n"))
    assert broken.status_code == 422 and "not valid YAML: line" in broken.text and "bad: [" in broken.text
    invalid = client.post("/views/sales-by-region/yaml",
                          data=replace(fields, text=text.replace("materialize: table", "materialize: cube")))
    assert invalid.status_code == 422 and "spec.materialize" in invalid.text and "materialize: cube" in invalid.text
    renamed = client.post("/views/sales-by-region/yaml", data=replace(fields, text=text.replace(
        "name: sales-by-region", "name: other")))
    assert renamed.status_code == 422 and "to rename, create a new document" in renamed.text
    ok = client.post("/views/sales-by-region/yaml", data=replace(fields, text=text.replace("GROUP BY region",
                                                                                          "GROUP BY 1")))
    assert ok.status_code == 303 and "v=2" in ok.headers["location"]
    created = client.post("/new/tasks/yaml", data=replace(
        form_fields(client.get("/new/tasks/yaml").text),
        text="kind: concrete_task\nname: from-yaml\ntags: [x]\nspec:\n  type: shell\n  command: |\n    echo a\n"))
    assert created.status_code == 303 and "/tasks/from-yaml" in created.headers["location"]
    with open_store(store_uri, create=True) as store:
        doc = store.get("concrete_task", "from-yaml")
    assert doc.spec.command == "echo a\n" and doc.tags == ["x"]  # type: ignore[union-attr]


def test_denied_actions_keep_the_form_and_say_why(seeded: TestClient) -> None:
    viewer = as_user(seeded, "vic")
    assert viewer.get("/tasks/py-step/edit").status_code == 403
    assert "Edit" not in viewer.get("/tasks/py-step").text.split('<div class="actions">')[1].split("</div>")[0]
    erin = TestClient(seeded.app, follow_redirects=False)
    login(erin, "erin")  # an editor of another team
    assert erin.get("/pipelines/daily-sales/edit").status_code == 403
    page = as_user(TestClient(seeded.app, follow_redirects=False), "eddie").get("/pipelines/daily-sales/edit")
    eddie_fields = form_fields(page.text)
    moved = erin.post("/pipelines/daily-sales/edit",
                      data=replace(eddie_fields, csrf_token=csrf_of(erin.get("/catalog").text)))
    assert moved.status_code == 403 and "belongs to team &#39;sales&#39;" in moved.text
    assert 'name="spec.tasks.0.id"' in moved.text  # the form is still there, as typed
    editor = as_user(TestClient(seeded.app, follow_redirects=False), "eddie")
    publish = editor.post("/tasks/py-step/publish", data={"csrf_token": csrf_of(editor.get("/catalog").text)})
    assert publish.status_code == 403 and "publisher role" in publish.text


def test_publish_retire_rollback_buttons(seeded: TestClient, store_uri: str) -> None:
    client = as_user(seeded, "pat")
    csrf = csrf_of(client.get("/catalog").text)
    done = client.post("/pipelines/daily-sales/publish", data={"csrf_token": csrf, "version": "1", "comment": "go"})
    assert done.status_code == 303 and "ok=published" in done.headers["location"]
    page = client.get(done.headers["location"])
    assert "Published version 1." in page.text and "Retire v1" in page.text
    editor = as_user(TestClient(seeded.app, follow_redirects=False), "eddie")
    with open_store(store_uri, create=True) as store:
        from jenkins2flow_runtime.model import make

        old = store.get("pipeline", "daily-sales")
        spec = old.spec.model_dump(mode="json")
        store.save(make("pipeline", "daily-sales", {**spec, "description": "v2"}), by="eddie", expected_version=1)
    old_page = client.get("/pipelines/daily-sales?version=1")
    assert "You are looking at version 1" in old_page.text and "Roll back to v1" in old_page.text
    back = client.post("/pipelines/daily-sales/rollback", data={"csrf_token": csrf, "version": "1"})
    assert back.status_code == 303 and "v=3" in back.headers["location"]
    retire = client.post("/pipelines/daily-sales/retire", data={"csrf_token": csrf, "version": "3"})
    assert retire.status_code == 303
    trail = client.get("/pipelines/daily-sales/history").text
    for action in ("publish", "rollback", "retire"):
        assert f"<td>{action}</td>" in trail
    assert editor.get("/pipelines/daily-sales").status_code == 200


def test_pipeline_page_graph_schedule_parameters(seeded: TestClient) -> None:
    page = as_user(seeded, "vic").get("/pipelines/daily-sales").text
    assert page.count('<g class="node') == 3 and page.count('class="edge"') == 3
    assert '<g class="node matrix"' in page and "× 2" in page
    assert "Extract: copy the files" in page  # the title beside the id
    assert ("At 02:23, on Monday to Friday; and at 12:00, on day 13 of the month and on Friday (both must match, "
            "as in Jenkins) (Europe/Paris).") in page
    assert "Also when any of these happens: ingest ends." in page
    runs = re.findall(r"<li>(\w{3} \d{4}-\d\d-\d\d \d\d:\d\d) Europe/Paris", page)
    assert len(runs) == 5
    assert "Template <a" in page and "RUN_DATE" in page and "TENANT" in page
    assert "config.xml:12:3: waived timestamps" in page
    assert "a@example.com, b@example.com" in page


def test_catalog_filters_and_search(seeded: TestClient) -> None:
    client = as_user(seeded, "vic")
    def names(**q: str) -> list[str]:
        text = client.get("/catalog", params=q).text
        return re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', text)
    assert len(names()) == 6
    assert names(kind="pipeline") == ["daily-sales"]
    assert names(status="published", kind="concrete_task") == ["in-a-box", "py-step", "sum-sales"]
    assert names(status="draft") == ["daily-sales"]
    assert names(team="sales") == ["daily-sales"]
    assert names(tag="awk") == ["sum-sales"]
    assert names(used="unused") == ["in-a-box"]
    assert names(q="region") == ["sales-by-region"]
    assert names(q="sales/daily") == ["daily-sales"]  # the Jenkins job
    assert names(q="copy the files") == ["daily-sales"]  # a task title


def test_where_used_history_and_diff_pages(seeded: TestClient, store_uri: str) -> None:
    client = as_user(seeded, "vic")
    task = client.get("/tasks/sum-sales").text
    used = task.split("Where used")[1].split("</table>")[0]
    assert "daily-sales" in used and "Extract: copy the files" in used and "<code>extract</code>" in used
    assert "spec.tasks[0].uses" not in used  # the task, not a field path
    assert "<code>spec.parameters.templates[0]</code>" in client.get("/templates/run-params").text
    with open_store(store_uri, create=True) as store:
        from jenkins2flow_runtime.model import make

        store.save(make("concrete_task", "py-step", {"type": "python", "callable": "pkg.mod:two", "tags": ["py"]}),
                   by="x", expected_version=1)
    diff = client.get("/tasks/py-step/diff", params={"a": 1, "b": 2}).text
    assert "spec.callable: &#39;pkg.mod:run&#39; -&gt; &#39;pkg.mod:two&#39;" in diff
    assert '<tr class="d-change">' in diff
    hist = client.get("/tasks/py-step/history").text
    assert hist.count('name="a"') == 2


def test_test_render_of_a_view_is_sandboxed_and_hides_secrets(seeded: TestClient) -> None:
    client = as_user(seeded, "vic")
    page = client.get("/views/sales-by-region/render", params={"pipeline": "daily-sales", "task": "aggregate"})
    assert page.status_code == 200 and 'name="param.RUN_DATE" value="2024-01-15"' in page.text
    fields = replace(form_fields(page.text), **{"param.TENANT": "o'hara", "logical_date": "2024-03-01T02:00"})
    out = client.post("/views/sales-by-region/render?pipeline=daily-sales&task=aggregate", data=fields)
    assert "WHERE day = &#39;2024-03-01&#39;" in out.text and "tenant = &#39;o&#39;&#39;hara&#39;" in out.text
    typed = client.post("/views/sales-by-region/render?pipeline=daily-sales&task=aggregate",
                        data=replace(form_fields(page.text), **{"param.LIMIT": "x"}))
    assert "Cannot render" in typed.text and "Parameter &#39;LIMIT&#39; must be an integer" in typed.text
    assert 'name="param.LIMIT" value="x"' in typed.text  # what was typed stays in the form
    bad = replace(form_fields(page.text), **{"param.TENANT": "acme", "logical_date": "tuesday", "results": "a: [1"})
    kept = client.post("/views/sales-by-region/render?pipeline=daily-sales&task=aggregate", data=bad).text
    assert "The logical date &#39;tuesday&#39; is not a date and time" in kept
    assert 'name="param.TENANT" value="acme"' in kept and 'value="tuesday"' in kept and ">a: [1</textarea>" in kept


def test_test_render_never_shows_a_stored_secret_nor_escapes_the_sandbox(app_client: TestClient) -> None:
    login(app_client, "eddie")
    page = app_client.get("/new/views/yaml")
    text = ("kind: view_task\nname: v\nspec:\n  sql: select '{{ params.PW }}', {{ params.N }}\n  parameters:\n"
            "  - {name: PW, type: password, default: s3cr3t}\n  - {name: N, type: integer, default: 7}\n")
    assert app_client.post("/new/views/yaml", data=replace(form_fields(page.text), text=text)).status_code == 303
    form = app_client.get("/views/v/render")
    assert "s3cr3t" not in form.text
    out = app_client.post("/views/v/render", data=form_fields(form.text))
    assert "select &#39;&lt;hidden: unchanged&gt;&#39;, 7" in out.text and "s3cr3t" not in out.text
    evil = "kind: view_task\nname: w\nspec:\n  sql: \"{{ params.__class__.__mro__ }}\"\n"
    assert app_client.post("/new/views/yaml", data=replace(form_fields(page.text), text=evil)).status_code == 303
    refused = app_client.post("/views/w/render", data=form_fields(app_client.get("/views/w/render").text))
    assert "Cannot render" in refused.text and "the sandbox forbids" in refused.text


def test_security_headers_and_unknown_pages(app_client: TestClient) -> None:
    page = app_client.get("/login")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "httponly" in page.headers["set-cookie"].lower()
    login(app_client, "vic")
    missing = app_client.get("/nowhere/at/all/here")
    assert missing.status_code == 404 and "There is no page" in missing.text
    assert app_client.get("/tasks/absent").status_code == 404


def test_new_document_forms_for_every_kind(app_client: TestClient, store_uri: str) -> None:
    login(app_client, "eddie")
    for group, changes in {
        "tasks": {"name": "t1", "spec.command": "echo hi"},
        "views": {"name": "v1", "spec.sql": "select 1"},
        "templates": {"name": "p1", "spec.parameters.0.name": "RUN_DATE"},
    }.items():
        page = app_client.get(f"/new/{group}")
        sent = app_client.post(f"/new/{group}", data=replace(form_fields(page.text), **changes))
        assert sent.status_code == 303, sent.text[-2000:]
    page = app_client.get("/new/pipelines")
    sent = app_client.post("/new/pipelines", data=replace(form_fields(page.text), **{
        "name": "pipe", "spec.tasks.0.id": "one", "spec.tasks.0.uses.name": "t1"}))
    assert sent.status_code == 303
    with open_store(store_uri, create=True) as store:
        assert {d.name for d in store.list()} == {"t1", "v1", "p1", "pipe"}


@pytest.fixture
def converted(store_uri: str, users: Users, tmp_path: Path) -> Any:
    """GATED converted and saved as `jenkins2flow convert` does, then the app over that store: (client, the
    conversion, the stored pipeline)."""
    from jenkins2flow.convert import convert_job
    from jenkins2flow.convert.save import save_conversion
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    conv = convert_job(parse_jenkinsfile(GATED, "Jenkinsfile", "gated"))
    with open_store(store_uri, create=True) as store:
        pipeline = save_conversion(store, conv)
    with make_client(store_uri, users, tmp_path) as client:
        login(client, "vic")
        yield client, conv, pipeline


def test_converted_post_catch_and_finally_blocks_are_gates_in_the_graph(converted: Any) -> None:
    client, conv, pipeline = converted
    page = client.get(f"/pipelines/{pipeline.name}").text
    gates = dict(re.findall(r'<title>(\w+)[^<]*?&#10;gate: ([^&]+)&#10;', page))
    assert {gates.get(t.id) for t in conv.pipeline.tasks if t.uses.name == "airflow.block-gate"} == {  # type: ignore[union-attr]
        "post failure", "post always", "catch", "finally"}
    assert "when" in gates.values()
    assert page.count('<g class="node gate') == len(gates) == 5
    legend = page.split('<p class="legend">')[1].split("</p>")[0]
    for label in ("when", "input", "post condition", "catch", "finally"):
        assert label in legend


def test_converted_tasks_and_templates_have_readable_titles_in_the_list_and_on_their_page(converted: Any) -> None:
    app_client, conv, pipeline = converted
    deploy = next(t for t in pipeline.spec.tasks if t.id == "deploy")  # type: ignore[union-attr]
    assert deploy.title == "Deploy · sh: make deploy" and not conv.tasks[0].spec.description  # type: ignore[union-attr]
    template = pipeline.spec.parameters.templates[0].name  # type: ignore[union-attr]
    listed = app_client.get("/catalog").text
    rows = dict(re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a><div class="sub">([^<]+)</div>', listed))
    assert rows[deploy.uses.name] == "sh: make deploy"  # the step, without the stage
    assert rows[template] == "Parameters DAY"
    found = app_client.get("/catalog", params={"q": "sh: make deploy", "kind": "concrete_task"}).text
    assert re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', found) == [deploy.uses.name]
    page = app_client.get(f"/tasks/{deploy.uses.name}").text
    assert '<p class="description">sh: make deploy</p>' in page
    used = page.split("Where used")[1].split("</table>")[0]
    assert "Deploy · sh: make deploy" in used and "<code>deploy</code>" in used and "spec.tasks[" not in used
    assert '<p class="description">Parameters DAY</p>' in app_client.get(f"/templates/{template}").text


def test_a_new_document_under_a_name_in_use_is_a_name_error_never_a_new_version(seeded: TestClient,
                                                                                 store_uri: str) -> None:
    client = as_user(seeded, "eddie")
    fields = replace(form_fields(client.get("/new/tasks").text), name="py-step", **{"spec.command": "echo mine"})
    for _ in range(2):  # saving the form shown again is refused again
        taken = client.post("/new/tasks", data=fields)
        assert taken.status_code == 409
        assert re.search(r'<div class="field has-error">\s*<label for="f-name"', taken.text)
        assert ("a task named &#39;py-step&#39; already exists; open it or choose another name" in taken.text)
        assert "someone saved this document" not in taken.text and "echo mine" in taken.text
        assert 'name="expected_version" value="0"' in taken.text
        fields = form_fields(taken.text)
    forged = client.post("/new/tasks", data=replace(fields, expected_version="1"))  # no overwrite by hand either
    assert forged.status_code == 409
    yaml_fields = form_fields(client.get("/new/tasks/yaml").text)
    text = "kind: concrete_task\nname: py-step\nspec:\n  type: shell\n  command: echo mine\n"
    taken = client.post("/new/tasks/yaml", data=replace(yaml_fields, text=text))
    assert taken.status_code == 409 and "a task named &#39;py-step&#39; already exists" in taken.text
    assert 'name="expected_version" value="0"' in taken.text
    with open_store(store_uri) as store:
        assert [d.version for d in store.history("concrete_task", "py-step")] == [1]
    renamed = client.post("/new/tasks", data=replace(fields, name="py-step-2"))
    assert renamed.status_code == 303 and "/tasks/py-step-2" in renamed.headers["location"]


def test_an_expired_form_or_session_shows_the_form_again_with_what_was_typed(seeded: TestClient,
                                                                            store_uri: str) -> None:
    client = as_user(seeded, "eddie")
    typed = replace(form_fields(client.get("/tasks/py-step/edit").text), **{"spec.callable": "pkg.mod:typed",
                                                                            "comment": "my typed reason"})
    stale = client.post("/tasks/py-step/edit", data=replace(typed, csrf_token="stale"))
    assert stale.status_code == 400 and "This form had expired" in stale.text and "nothing was saved" in stale.text
    assert 'value="pkg.mod:typed"' in stale.text and "my typed reason" in stale.text
    assert csrf_of(stale.text) not in ("stale", "")
    saved = client.post("/tasks/py-step/edit", data=form_fields(stale.text))
    assert saved.status_code == 303 and "v=2" in saved.headers["location"]
    # the YAML editor, without a token at all
    text = "kind: concrete_task\nname: typed-in-yaml\nspec:\n  type: shell\n  command: echo typed\n"
    fields = {k: v for k, v in replace(form_fields(client.get("/new/tasks/yaml").text), text=text).items()
              if k != "csrf_token"}
    missing = client.post("/new/tasks/yaml", data=fields)
    assert missing.status_code == 400 and "echo typed" in missing.text and "This form had expired" in missing.text
    assert client.post("/new/tasks/yaml", data=form_fields(missing.text)).status_code == 303
    # the session expired (12 hours): the form comes back for eddie, who logs in again elsewhere and saves it
    st = seeded.app.state.ui
    old = st.signer.sign({"u": "eddie", "f": password_fingerprint(st.users.users["eddie"].secret),
                          "iat": time.time() - 13 * 3600})
    page = client.get("/tasks/py-step/edit").text
    client.cookies.set("j2f_session", old)
    expired = client.post("/tasks/py-step/edit", data=replace(form_fields(page), **{"spec.callable": "pkg.mod:late"}))
    assert expired.status_code == 401 and "Your session has expired" in expired.text
    assert 'value="pkg.mod:late"' in expired.text and 'href="/login" target="_blank"' in expired.text
    client.cookies.delete("j2f_session")  # what the browser's jar holds once eddie has logged in again
    login(client, "eddie")
    again = client.post("/tasks/py-step/edit", data=form_fields(expired.text))
    assert again.status_code == 303 and "v=3" in again.headers["location"]
    with open_store(store_uri) as store:
        assert store.get("concrete_task", "py-step").spec.callable == "pkg.mod:late"  # type: ignore[union-attr]
    # another site's form is not shown as ours: the error page, or the login page
    cross = {"sec-fetch-site": "cross-site"}
    assert "pkg.mod:other" not in client.post("/tasks/py-step/edit", headers=cross, data=replace(
        form_fields(page), csrf_token="stale", **{"spec.callable": "pkg.mod:other"})).text
    client.cookies.delete("j2f_session")
    client.cookies.set("j2f_session", old)
    assert client.post("/tasks/py-step/edit", headers=cross, data=form_fields(page)).status_code == 303


def test_a_refused_action_keeps_its_comment(seeded: TestClient) -> None:
    client = as_user(seeded, "pat")
    token = csrf_of(client.get("/catalog").text)
    refused = client.post("/tasks/py-step/rollback", data={"csrf_token": token, "version": "", "comment": "my reason"})
    assert refused.status_code == 400 and "Roll back to which version?" in refused.text
    assert 'name="comment" value="my reason"' in refused.text and 'name="version" inputmode="numeric"' in refused.text
    stale = client.post("/tasks/py-step/retire", data={"csrf_token": "stale", "version": "1", "comment": "ship it"})
    assert stale.status_code == 400 and "This form had expired" in stale.text
    assert 'name="comment" value="ship it"' in stale.text


def test_deeply_nested_yaml_is_a_message_not_a_server_error(seeded: TestClient) -> None:
    client = as_user(seeded, "eddie")
    fields = form_fields(client.get("/new/pipelines/yaml").text)
    deep = "kind: pipeline\nname: deep\nspec: " + "[" * 20000 + "]" * 20000 + "\n"
    refused = client.post("/new/pipelines/yaml", data=replace(fields, text=deep))
    assert refused.status_code == 422 and "nested more than 64 levels deep" in refused.text
    form = replace(form_fields(client.get("/new/pipelines").text), **{
        "name": "deep", "spec.tasks.0.id": "a", "spec.tasks.0.uses.name": "py-step",
        "spec.tasks.0.bindings": "A: " + "[" * 20000 + "]" * 20000})
    refused = client.post("/new/pipelines", data=form)
    assert refused.status_code == 422 and "nested more than 64 levels deep" in refused.text
    assert re.search(r'<div class="field w-yaml has-error">\s*<label for="f-spec.tasks.0.bindings"', refused.text)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    refused = client.post("/new/pipelines", data=replace(form, **{"spec.tasks.0.bindings": bomb}))
    assert refused.status_code == 422 and "aliases expand to more than" in refused.text
    view = client.get("/views/sales-by-region/render")
    out = client.post("/views/sales-by-region/render", data=replace(form_fields(view.text),
                                                                     results="[" * 20000 + "]" * 20000))
    assert out.status_code == 200 and "nested more than 64 levels deep" in out.text

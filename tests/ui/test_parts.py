"""The UI's parts on their own: schedule words and next runs, YAML blocks and hidden values, the graph layout,
side-by-side diffs, the list index, passwords, sessions, tokens, and Airflow role mapping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from jenkins2flow_runtime.model import KINDS, Schedule, json_schema, make
from jenkins2flow_runtime.store import open_store
from jenkins2flow_runtime.ui import schedule
from jenkins2flow_runtime.ui.airflow_auth import map_user
from jenkins2flow_runtime.ui.auth import Signer, UsersFile, add_token, hash_password, set_user, verify_password
from jenkins2flow_runtime.ui.diffview import changed, side_by_side
from jenkins2flow_runtime.ui.graph import layout
from jenkins2flow_runtime.ui.index import CatalogIndex
from jenkins2flow_runtime.ui.sandbox import test_render as render_in_sandbox
from jenkins2flow_runtime.ui.yamltext import SECRET, dump, hide_secrets, restore_secrets


def test_every_field_of_every_kind_has_a_description() -> None:
    missing = []
    for kind in KINDS:
        schema = json_schema(kind)
        nodes = {"": schema, **{f"{k}.": v for k, v in schema["$defs"].items()}}
        for prefix, node in nodes.items():
            missing += [f"{kind} {prefix}{n}" for n, p in node.get("properties", {}).items()
                        if not p.get("description")]
    assert missing == []


@pytest.mark.parametrize("expr,words", [
    ("23 2 * * *", "at 02:23, every day"),
    ("*/15 * * * *", "every 15 minutes, every day"),
    ("0 */4 * * 1-5", "every 4 hours at minute 0, on Monday to Friday"),
    ("5 0,12 1 JAN,JUL *", "at 00:05, 12:05, on day 1 of the month, in January, July"),
    ("0 0 1-7 * 1", "at 00:00, on day 1 to 7 of the month or on Monday"),
    ("@weekly", "every Sunday at 00:00"),
    ("*/15 9-17 * * 1-5", "every 15 minutes from 09:00 to 17:59, on Monday to Friday"),
    ("0 9-17 * * *", "at minute 0 of every hour from 09:00 to 17:59, every day"),
    ("15,45 * * * *", "at minutes 15 and 45 of every hour, every day"),
    ("5/10 * * * *", "every 10 minutes from minute 5, every day"),
    ("*/10 9,17 * * *", "every 10 minutes in the 09:00 and 17:00 hours, every day"),
    ("*/5 */2 * * *", "every 5 minutes in every 2nd hour, every day"),
    ("0 0 */2 * *", "at 00:00, every 2nd day of the month"),
    ("0 0 1 */3 *", "at 00:00, on day 1 of the month, every 3rd month from January"),
    ("0 0 */2 * 1", "at 00:00, every 2nd day of the month or on Monday"),
])
def test_cron_in_words(expr: str, words: str) -> None:
    assert schedule.describe_cron(expr) == words


def test_next_runs_keep_jenkins_and_of_day_of_month_and_day_of_week() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    jenkins = schedule.next_runs(Schedule(cron=["0 0 13 * 5"], timezone="UTC", and_dom_dow=True), 2, now=start)
    assert [d.date().isoformat() for d in jenkins] == ["2026-02-13", "2026-03-13"]  # Fridays the 13th only
    cron = schedule.next_runs(Schedule(cron=["0 0 13 * 5"], timezone="UTC"), 3, now=start)
    assert [d.date().isoformat() for d in cron] == ["2026-01-02", "2026-01-09", "2026-01-13"]  # either
    merged = schedule.next_runs(Schedule(cron=["0 9 * * *", "30 8 * * *"], timezone="Europe/Paris"), 3, now=start)
    assert [d.strftime("%d %H:%M") for d in merged] == ["01 08:30", "01 09:00", "02 08:30"]
    assert merged[0].tzinfo == ZoneInfo("Europe/Paris")
    assert schedule.next_runs(None) == [] and "only when triggered" in schedule.describe(None)


def test_multiline_text_is_a_literal_block_even_with_tabs_and_trailing_spaces() -> None:
    data = {"command": "a  \n\tb\nc\n", "sql": "select 1\nfrom t", "one": "x"}
    text = dump(data)
    assert "command: |" in text and "sql: |" in text and "\\n" not in text
    assert yaml.safe_load(text) == data
    odd = {"command": "a\r\nb"}  # no literal block keeps a CR: the plain form, still exact
    assert yaml.safe_load(dump(odd)) == odd


def test_hidden_values_are_restored_from_the_stored_document() -> None:
    stored = {"env": {"DB_PASSWORD": "hunter2", "A": "1"}, "parameters": [
        {"name": "TOKEN", "type": "password", "default": "t0k"}, {"name": "X", "type": "string", "default": "x"}]}
    shown = hide_secrets(stored)
    assert shown["env"] == {"DB_PASSWORD": SECRET, "A": "1"} and shown["parameters"][0]["default"] == SECRET
    assert stored["env"]["DB_PASSWORD"] == "hunter2"  # a copy was changed
    edited = {**shown, "parameters": list(reversed(shown["parameters"]))}
    assert restore_secrets(edited, stored) == []
    assert edited["parameters"][1]["default"] == "t0k" and edited["env"]["DB_PASSWORD"] == "hunter2"
    pipeline = {"parameters": {"overrides": [{"name": "PW", "type": "password", "default": SECRET}]}}
    assert restore_secrets(pipeline, None) == [("spec.parameters.overrides[0].default",
                                                "no value is stored for a password parameter of this name: type "
                                                "the value")]


def test_graph_layers_gates_and_matrix() -> None:
    spec = make("pipeline", "p", {"tasks": [
        {"id": "a", "uses": {"kind": "concrete_task", "name": "t", "version": 1}},
        {"id": "gate", "uses": {"kind": "concrete_task", "name": "g", "version": 2}, "depends_on": ["a"]},
        {"id": "m", "uses": {"kind": "concrete_task", "name": "t", "version": 1}, "depends_on": ["a"],
         "matrix": [{"OS": "l"}, {"OS": "w"}, {"OS": "m"}]},
        {"id": "end", "uses": {"kind": "concrete_task", "name": "t", "version": 1}, "depends_on": ["gate", "m"],
         "trigger_rule": "all_done"},
    ]}).spec
    graph = layout(spec, {"g@2": "jenkins2flow_runtime.fallback:when_gate"})  # type: ignore[arg-type]
    nodes = {n.id: n for n in graph.nodes}
    assert [nodes[i].layer for i in ("a", "gate", "m", "end")] == [0, 1, 1, 2]
    assert nodes["gate"].gate == "when" and nodes["m"].cells == 3 and nodes["end"].trigger_rule == "all_done"
    assert nodes["gate"].x == nodes["m"].x and nodes["gate"].y != nodes["m"].y
    assert {(e.source, e.target) for e in graph.edges} == {("a", "gate"), ("a", "m"), ("gate", "end"), ("m", "end")}
    assert graph.width > nodes["end"].x and graph.height >= nodes["m"].y


def test_graph_lines_and_direction() -> None:
    def task(i: int, **more: object) -> dict[str, object]:
        return {"id": f"t{i}", "uses": {"kind": "concrete_task", "name": "t", "version": 1},
                "depends_on": [f"t{i - 1}"] if i else [], **more}

    short = layout(make("pipeline", "p", {"tasks": [  # type: ignore[arg-type]
        task(0, title="Build · sh: make all"), task(1), task(2, title="Publish the report")]}).spec)
    lines = {n.id: n.lines for n in short.nodes}
    assert lines == {"t0": ("Build", "sh: make all", "t0"), "t1": ("t1", "", "t@1"),
                     "t2": ("Publish the report", "", "t2")}
    assert short.direction == "LR" and short.node_h > 54  # three lines where one task has a step
    long_title = "Deploy to production · sh: ./deploy.sh --region eu-west-1 --all-the-flags"
    chain = [task(i, title=long_title) for i in range(8)]
    chain[7]["depends_on"] = ["t6", "t2"]  # over five layers: round the side
    graph = layout(make("pipeline", "p", {"tasks": chain}).spec)  # type: ignore[arg-type]
    assert graph.direction == "TB" and graph.height > graph.width  # eight deep reads top to bottom
    head, body, _ = graph.nodes[0].lines
    assert head == "Deploy to production" and body.endswith("…") and len(body) <= 31
    far = next(e for e in graph.edges if (e.source, e.target) == ("t2", "t7"))
    assert " L" in far.path and max(n.x for n in graph.nodes) + graph.node_w < graph.width - 16  # room on the right


def test_side_by_side_folds_long_unchanged_runs() -> None:
    a = "\n".join(f"line {i}" for i in range(40))
    b = a.replace("line 20", "line twenty") + "\nextra"
    rows = side_by_side(a, b)
    assert changed(rows) == 2
    assert [r.kind for r in rows].count("fold") == 2
    change = next(r for r in rows if r.kind == "change")
    assert (change.left_no, change.left, change.right) == (21, "line 20", "line twenty")
    assert rows[-1].kind == "insert" and rows[-1].right == "extra"


def test_the_index_sees_other_processes_writes_and_its_own_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    store = open_store(path, create=True)
    store.save(make("concrete_task", "a", {"type": "shell", "command": "true"}))
    index = CatalogIndex(lambda: store, refresh_seconds=3600)
    assert [e.name for e in index.query()] == ["a"]
    store.save(make("concrete_task", "b", {"type": "shell", "command": "true"}))
    index.updated("concrete_task", "b")  # the UI's own write: at once
    assert [e.name for e in index.query()] == ["a", "b"]
    with open_store(path, create=True) as other:  # another process (the CLI): seen through the SQLite files
        other.save(make("concrete_task", "c", {"type": "shell", "command": "true"}))
        other.publish("concrete_task", "c")
    index._checked = 0.0  # do not wait for the next check
    index.snapshot()
    deadline = time.monotonic() + 10
    while [e.name for e in index.query()] != ["a", "b", "c"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(e.name, e.published) for e in index.query()] == [("a", None), ("b", None), ("c", 1)]
    store.close()


def test_passwords_sessions_and_tokens(tmp_path: Path) -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_password("s3cret", stored) and not verify_password("other", stored)
    assert not verify_password("s3cret", "plain") and not verify_password("x", "scrypt$1$2$3$!!$!!")
    path = tmp_path / "users.yaml"
    password = "ann-pass-word-1"  # long enough that a random salt or hash never holds it by chance ("pw" did)
    set_user(path, "ann", password=password, role="editor", teams=("sales",))
    token = add_token(path, "ci", role="publisher")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert password not in path.read_text() and token not in path.read_text()
    users = UsersFile(path)
    user = users.login("ann", password)
    assert user is not None and (user.role, user.teams) == ("editor", ("sales",))
    assert users.login("ann", "nope") is None and users.login("bob", "pw") is None
    assert users.token_user(token).role == "publisher"  # type: ignore[union-attr]
    assert users.token_user(token + "x") is None
    signer = Signer("k")
    value = signer.sign({"u": "ann", "iat": time.time()})
    assert signer.unsign(value, 60)["u"] == "ann"  # type: ignore[index]
    tampered = value[:-1] + ("1" if value.endswith("0") else "0")
    assert Signer("other").unsign(value, 60) is None and signer.unsign(tampered, 60) is None
    assert signer.unsign(signer.sign({"u": "ann", "iat": time.time() - 100}), 60) is None
    assert signer.csrf("n1", "ann") != signer.csrf("n2", "ann") != signer.csrf("n1", "bob")


class SimpleUser:
    """Shaped as Airflow's SimpleAuthManagerUser (the real one is checked against a real api-server in
    test_airflow_plugin.py; importing Airflow here would configure it outside a test home)."""

    def __init__(self, role: str | None, teams: list[str] | None) -> None:
        self.username, self.role, self.teams = "u", role, teams or []

    def get_name(self) -> str:
        return self.username


def test_airflow_roles_map_to_ours() -> None:
    from jenkins2flow_runtime.ui.settings import DEFAULT_ROLE_MAP

    def role(r: str | None, teams: list[str] | None = None) -> tuple[str, tuple[str, ...]] | None:
        user = map_user(SimpleUser(r, teams), DEFAULT_ROLE_MAP)
        return (user.role, user.teams) if user else None

    assert role("viewer") == ("viewer", ())
    assert role("user") == ("editor", ())
    assert role("OP", ["sales"]) == ("publisher", ("sales",))
    assert role("admin") == ("admin", ())
    assert role(None) is None

    class FabUser:
        roles = [type("R", (), {"name": "Viewer"})(), type("R", (), {"name": "Op"})()]

        def get_name(self) -> str:
            return "fab"

    assert map_user(FabUser(), DEFAULT_ROLE_MAP).role == "publisher"  # type: ignore[union-attr]


def test_the_sandbox_stops_a_runaway_template() -> None:
    ok, text = render_in_sandbox("{{ ds }} {{ params.a | sql_string }}", params={"a": "it's"},
                                 logical_date=datetime(2024, 5, 6))
    assert ok and text == "2024-05-06 'it''s'"
    started = time.monotonic()
    ok, text = render_in_sandbox("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                                 params={})
    assert not ok and "went past a limit" in text and time.monotonic() - started < 15
    ok, text = render_in_sandbox("{{ ''.__class__.__mro__ }}", params={})
    assert not ok and "sandbox forbids" in text


def test_index_queries_match_a_plain_filter(tmp_path: Path) -> None:
    import itertools

    store = open_store(str(tmp_path / "store.db"), create=True)
    docs = [make("concrete_task", f"t{i}", {"type": "shell", "command": "true", "tags": [f"g{i % 3}"],
                                            "description": f"step {i} of the nightly load"}) for i in range(12)]
    docs += [make("pipeline", f"p{i}", {"tasks": [{"id": "a", "uses": {"kind": "concrete_task", "name": f"t{i}"}}],
                                        "team": ["sales", "ops", ""][i % 3], "tags": [f"g{i % 2}"],
                                        "provenance": {"job": f"folder/job-{i}"}}) for i in range(8)]
    saved = store.save_many(docs)
    for d in saved[::3]:
        if d.kind == "concrete_task":
            store.publish(d.kind, d.name)
    store.retire("concrete_task", "t3")
    index = CatalogIndex(lambda: store)
    entries = index.query()
    used = {r for e in entries for r in e.refs}

    def plain(q: str, kind: str, status: str, team: str, tag: str, use: str) -> list[str]:
        out = []
        for e in entries:
            ok = (not kind or e.kind == kind) and (not team or e.team == team) and (not tag or tag in e.tags)
            ok = ok and (status != "published" or e.published is not None)
            ok = ok and (status not in ("draft", "retired") or (e.status == status and not (
                status == "retired" and e.published)))
            ok = ok and (not use or (e.kind != "pipeline" and (f"{e.kind}/{e.name}" in used) == (use == "used")))
            ok = ok and all(w in e.text for w in q.lower().split())
            if ok:
                out.append(e.name)
        return out

    combos = itertools.product(["", "nightly", "job-1", "step 1", "T1"], ["", "pipeline", "concrete_task"],
                               ["", "published", "draft", "retired"], ["", "sales"], ["", "g1"], ["", "used", "unused"])
    checked = 0
    for q, kind, status, team, tag, use in combos:
        got = [e.name for e in index.query(q=q, kind=kind, status=status, team=team, tag=tag, used=use)]
        assert got == plain(q, kind, status, team, tag, use), (q, kind, status, team, tag, use)
        checked += bool(got)
    assert checked > 100  # most combinations found something to compare
    store.close()


def test_secret_bindings_are_hidden_and_restored() -> None:
    stored = {"parameters": {"overrides": [{"name": "PW", "type": "password"}]}, "tasks": [
        {"id": "a", "bindings": {"PW": "p4ss", "API_TOKEN": "t0k", "REGION": "eu"}}]}
    shown = hide_secrets(stored)
    assert shown["tasks"][0]["bindings"] == {"PW": SECRET, "API_TOKEN": SECRET, "REGION": "eu"}
    assert restore_secrets(shown, stored) == [] and shown["tasks"][0]["bindings"]["PW"] == "p4ss"
    moved = {**hide_secrets(stored), "tasks": [{"id": "b", "bindings": {"PW": SECRET}}]}
    assert restore_secrets(moved, stored)[0][0] == "spec.tasks[0].bindings.PW"


def test_airflow_role_map_from_the_environment() -> None:
    from jenkins2flow_runtime.ui.settings import parse_role_map

    assert parse_role_map(" DataTeam = editor, Op=admin ") == {"datateam": "editor", "op": "admin"}
    with pytest.raises(ValueError, match="'Boss=king'"):
        parse_role_map("Boss=king")


def test_closing_the_catalog_waits_for_the_index_build_reading_the_store(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """The app's shutdown closes the store while the index may be building in the background from the same
    connection (it hung a test run once): the build ends first, on an open store."""
    import threading

    from jenkins2flow_runtime.ui.service import Catalog

    catalog = Catalog(str(tmp_path / "store.db"), create=True)
    catalog.store().save(make("concrete_task", "a", {"type": "shell", "command": "true"}))
    reading, real_list = threading.Event(), catalog.store().list

    def slow_list(*args: object, **kwargs: object) -> object:
        reading.set()
        time.sleep(0.5)  # the shutdown comes while the build is reading
        return real_list(*args, **kwargs)  # type: ignore[arg-type]

    catalog.store().list = slow_list  # type: ignore[method-assign]
    catalog.index.warm()
    assert reading.wait(10)
    catalog.close()
    assert catalog.index._snap is not None and [e.name for e in catalog.index._snap.entries.values()] == ["a"]
    assert "first build failed" not in caplog.text

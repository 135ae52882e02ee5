"""Static DAG files are a shim over the runtime's `build_dag`: a real DagBag over them gives the DAGs the loader
builds from a store holding the same published documents (compared in Airflow's serialized form). `jenkins2flow
render` writes them from the catalog (idempotent, one file per pipeline name), `convert --dags-dir` writes the
same files, and the loader beside static files leaves their pipelines to them, with one warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jenkins2flow_runtime import dagfile, model
from jenkins2flow_runtime.catalog import load_from_store
from jenkins2flow_runtime.store import open_store

from jenkins2flow.airflow_env import airflow_env, write_dag_file
from jenkins2flow.cli.main import cli
from jenkins2flow.render.dag import RenderError, render_catalog, write_dag
from tests.render.dagcheck import echo_docs, one_task

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "jenkinsfiles" / "daily_sales.Jenkinsfile"

SERIALIZE = """
import json, sys, warnings
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
DROP = {"fileloc", "relative_fileloc"}
out = {}
for folder in sys.argv[1:]:
    bag = DagBag(dag_folder=folder, safe_mode=True)
    dags = {}
    for dag_id, dag in bag.dags.items():
        data = DagSerialization.to_dict(dag)["dag"]
        dags[dag_id] = {k: v for k, v in data.items() if k not in DROP}
    out[folder] = {"dags": dags, "errors": {k: v[-800:] for k, v in bag.import_errors.items()},
                   "warnings": {k: list(v) for k, v in bag.captured_warnings.items()},
                   "files": {d.dag_id: d.fileloc for d in bag.dags.values()}}
print("JSON" + json.dumps(out, default=str, sort_keys=True))
"""


def _ref(kind: str, name: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "version": 0}


def _rich_catalog() -> list[model.Document]:
    """Documents that exercise every DAG attribute the builder sets."""
    tmpl = model.make("parameter_template", "run", {"parameters": [
        {"name": "RUN_DATE", "type": "string", "default": "2024-01-01"},
        {"name": "LIMIT", "type": "integer", "default": 3, "description": "rows"},
        {"name": "ENV", "type": "choice", "choices": ["dev", "prod"], "default": "dev"},
    ]})
    echo = model.make("concrete_task", "echo", {"type": "shell", "command": "echo \"$WHO\" '{{ x }}'",
                                                "retries": 2, "retry_delay_seconds": 30, "timeout_seconds": 600,
                                                "env": {"A": "1"}})
    py = model.make("concrete_task", "py", {"type": "python", "callable": "json:dumps"})
    box = model.make("concrete_task", "box", {"type": "container", "image": "alpine:3", "command": "true",
                                              "cpu": 512, "memory": 1024})
    view = model.make("view_task", "v", {"sql": "select {{ params.LIMIT }}", "materialize": "query"})
    rich = model.make("pipeline", "rich", {
        "description": "A pipeline with everything",
        "schedule": {"cron": ["0 2 * * *"], "timezone": "Europe/Paris", "jenkins_spec": "H 2 * * *"},
        "parameters": {"templates": [_ref("parameter_template", "run")],
                       "overrides": [{"name": "TENANT", "type": "string", "default": "acme", "required": True}]},
        "tasks": [
            {"id": "extract", "uses": _ref("concrete_task", "echo"), "bindings": {"WHO": "a"}, "queue": "q1"},
            {"id": "compute", "uses": _ref("concrete_task", "py"), "depends_on": ["extract"],
             "trigger_rule": "all_done", "retries": 0, "timeout_seconds": 60},
            {"id": "query", "uses": _ref("view_task", "v"), "depends_on": ["extract"], "retries": 3,
             "timeout_seconds": 30, "matrix": [{"ENV": "dev"}, {"ENV": "prod"}]},
            {"id": "cells", "uses": _ref("concrete_task", "echo"), "depends_on": ["extract"],
             "matrix": [{"OS": "linux", "CPU": "x86"}, {"OS": "mac", "CPU": "arm"}]},
            {"id": "ship", "uses": _ref("concrete_task", "box"), "depends_on": ["compute", "query", "cells"],
             "trigger_rule": "none_failed", "executor": "fargate"},
        ],
        "notifications": [{"on": "failure", "to": ["dev@example.com"], "subject": "Failed ${env.JOB_NAME}"},
                          {"on": "retry", "channel": "slack", "to": ["#ci"]}],
        "owners": ["ana", "bo"], "team": "data",
        "access_control": {"Viewer": ["read"], "Op": ["read", "edit", "trigger"]},
        "tags": ["sales"], "max_active_runs": 2, "asset_events": ["success", "done"],
        "provenance": {"job": "folder/rich", "source": "https://jenkins.example.com/job/rich/",
                       "config_sha256": "ab" * 32, "diagnostics": ["x.Jenkinsfile:3:1: a note"]},
    }, tags=["envelope-tag"])
    one = [{"id": "only", "uses": _ref("concrete_task", "echo")}]
    return [tmpl, echo, py, box, view, rich,
            model.make("pipeline", "multi", {"tasks": one, "schedule": {
                "cron": ["0 2 * * *", "30 14 * * 1-5"], "timezone": "UTC",
                "upstream": [{"pipeline": "rich", "on": "done"}]}}),
            model.make("pipeline", "fri13", {"tasks": one, "schedule": {"cron": ["0 0 13 * 5"],
                                                                       "and_dom_dow": True}}),
            model.make("pipeline", "down", {"tasks": one, "schedule": {"upstream": [{"pipeline": "rich"}]}}),
            model.make("pipeline", "manual", {"tasks": one}),
            model.make("concrete_task", "draft-only", {"type": "shell", "command": "make deploy"}),
            model.make("pipeline", "delegated", {  # a job Jenkins still runs: one task, its draft beside
                "tasks": one, "draft_tasks": [{"id": "deploy", "uses": _ref("concrete_task", "draft-only")}],
                "jenkins_fallback": {"job": "folder/delegated", "reasons": ["Jenkinsfile:3:5: input: no mapping"]}})]


def _publish(store: Path, docs: list[model.Document]) -> None:
    with open_store(str(store), create=True) as st:
        saved = st.save_many(docs, by="tests")
        for kind_first in (False, True):
            for d in saved:
                if (d.kind == "pipeline") is kind_first:
                    st.publish(d.kind, d.name, d.version, by="tests")


def _bags(tmp_path: Path, store: Path, *folders: Path) -> dict[str, Any]:
    env = airflow_env(tmp_path / "state", str(store))
    env["JENKINS2FLOW_SNAPSHOT"] = str(tmp_path / "snapshot.json")
    proc = subprocess.run([sys.executable, "-c", SERIALIZE, *map(str, folders)], env=env, capture_output=True,
                          text=True, check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(lines[0][4:])
    return {Path(k).name: v for k, v in out.items()}


def test_static_files_and_the_loader_build_the_same_dags(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    _publish(store, _rich_catalog())
    result = render_catalog(load_from_store(str(store)), tmp_path / "static")
    assert result.errors == [] and len(result.written) == 6
    write_dag_file(tmp_path / "loader")
    bags = _bags(tmp_path, store, tmp_path / "static", tmp_path / "loader")
    static, loader = bags["static"], bags["loader"]
    assert static["errors"] == {} and loader["errors"] == {}
    assert sorted(static["dags"]) == sorted(loader["dags"]) == ["delegated", "down", "fri13", "manual", "multi",
                                                                "rich"]
    # the draft of a job Jenkins still runs never runs: the static file leaves it (and what only it pins) out
    delegated = (tmp_path / "static" / "delegated.py").read_text(encoding="utf-8")
    assert "draft-only" not in delegated and "make deploy" not in delegated
    assert "the draft of 1 converted tasks" in delegated
    assert [t["__var"]["task_id"] for t in loader["dags"]["delegated"]["tasks"]] == ["only"]
    for dag_id in loader["dags"]:
        assert static["dags"][dag_id] == loader["dags"][dag_id], dag_id
    assert static["files"]["rich"].endswith("/static/rich.py")
    # what the comparison covered: the serialized DAG holds the attributes the old template lost, and the rest
    rich = loader["dags"]["rich"]
    assert rich["access_control"]["__var"]["Op"]["__var"]["DAGs"]["__var"] == ["can_edit", "can_read"]
    assert rich["doc_md"].startswith("### rich (version 1)") and "H 2 * * *" in rich["doc_md"]
    assert rich["default_args"]["__var"]["owner"] == "ana,bo"
    assert "envelope-tag" in rich["tags"] and "jenkins2flow" in rich["tags"]
    tasks = {t["__var"]["task_id"]: t["__var"] for t in rich["tasks"]}
    assert tasks["extract"]["queue"] == "q1" and tasks["extract"]["retries"] == 2
    assert tasks["compute"]["trigger_rule"] == "all_done" and tasks["compute"]["execution_timeout"] == 60.0
    assert tasks["query"]["_is_mapped"] and tasks["cells"]["_is_mapped"]
    assert [p[0] for p in rich["params"]] == ["RUN_DATE", "LIMIT", "ENV", "TENANT"]
    assert "Europe/Paris" in json.dumps(rich["timetable"])


def test_the_render_command_writes_one_file_per_name_and_only_what_changed(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    _publish(store, [*echo_docs(), *(one_task(n) for n in ("a-b", "a_b", "a.b", "A-B"))])  # echo is version 1
    dags = tmp_path / "dags"
    first = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(dags)])
    assert first.exit_code == 0, first.output + first.stderr
    assert sorted(p.name for p in dags.iterdir()) == ["A-B+5.py", "a-b.py", "a.b.py", "a_b.py"]
    assert first.stdout.count("wrote ") == 4 and "4 written, 0 unchanged, 0 failed" in first.stdout
    before = {p.name: p.stat().st_mtime_ns for p in dags.iterdir()}
    again = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(dags), "a.b"])
    assert again.exit_code == 0 and "wrote" not in again.stdout and "0 written, 1 unchanged" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in dags.iterdir()} == before
    bags = _bags(tmp_path, tmp_path / "absent.db", dags)["dags"]  # static files never read the store
    assert bags["errors"] == {} and sorted(bags["dags"]) == ["A-B", "a-b", "a.b", "a_b"]
    assert not (tmp_path / "absent.db").exists()
    assert {k: Path(v).name for k, v in bags["files"].items()} == {"a-b": "a-b.py", "a.b": "a.b.py",
                                                                   "a_b": "a_b.py", "A-B": "A-B+5.py"}

    unknown = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(dags), "a_c"])
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines() == [
        f"Unknown pipeline 'a_c': no published pipeline has that name in {store}. Did you mean 'a_b'?"]
    missing = CliRunner().invoke(cli, ["render", "--store", str(tmp_path / "none.db"), "--dags-dir", str(dags)])
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "no catalog at" in missing.stderr and not (tmp_path / "none.db").exists()


def test_render_warns_when_the_folder_holds_the_loader(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    _publish(store, [*echo_docs(), one_task("solo")])
    dags = tmp_path / "dags"
    write_dag_file(dags)
    result = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(dags)])
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {dags} also holds the jenkins2flow loader (jenkins2flow_dags.py)")
    assert "deploy one or the other, not both; delete the loader file" in result.stderr
    assert dagfile.static_files(dags) == {"solo": dags / "solo.py"}
    assert dagfile.loader_files(dags) == [dags / "jenkins2flow_dags.py"]


def test_the_loader_leaves_pipelines_with_static_files_to_them(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    _publish(store, _rich_catalog())
    dags = tmp_path / "dags"
    result = render_catalog(load_from_store(str(store)), dags, ["rich", "down"])
    assert [w.path.name for w in result.written] == ["rich.py", "down.py"]
    write_dag_file(dags)
    bag = _bags(tmp_path, store, dags)["dags"]
    assert bag["errors"] == {}  # no DAG id defined twice
    assert sorted(bag["dags"]) == ["delegated", "down", "fri13", "manual", "multi", "rich"]
    assert {k: Path(v).name for k, v in bag["files"].items()} == {
        "rich": "rich.py", "down": "down.py", "fri13": "jenkins2flow_dags.py", "manual": "jenkins2flow_dags.py",
        "multi": "jenkins2flow_dags.py", "delegated": "jenkins2flow_dags.py"}
    [warning] = [w for ws in bag["warnings"].values() for w in ws if "static DAG files" in w]
    assert "2 pipeline(s) have static DAG files beside this loader" in warning
    assert "(down.py, rich.py)" in warning or "(rich.py, down.py)" in warning
    assert "Deploy either the loader (jenkins2flow_dags.py) or static files (jenkins2flow render), not both" in warning


def test_convert_dags_dir_writes_what_render_writes(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    converted = CliRunner().invoke(cli, ["convert", str(SAMPLE), "--store", str(store), "--dags-dir",
                                         str(tmp_path / "by_convert")])
    assert converted.exit_code == 0, converted.output
    rendered = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(tmp_path / "by_render")])
    assert rendered.exit_code == 0, rendered.output
    by_convert = {p.name: p.read_bytes() for p in (tmp_path / "by_convert").iterdir()}
    by_render = {p.name: p.read_bytes() for p in (tmp_path / "by_render").iterdir()}
    assert list(by_convert) == ["daily_sales.py"] and by_convert == by_render


def test_write_dag_never_overwrites_another_file(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text("# my own DAG\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"p\.py: holds a file jenkins2flow did not write; not overwritten"):
        write_dag(tmp_path, one_task("p"), echo_docs())
    assert (tmp_path / "p.py").read_text(encoding="utf-8") == "# my own DAG\n"
    write_dag(tmp_path, one_task("q"), echo_docs())
    (tmp_path / "q.py").rename(tmp_path / "r.py")
    with pytest.raises(RenderError, match="holds the static DAG file of pipeline 'q'"):
        write_dag(tmp_path, one_task("r"), echo_docs())


def test_one_pipeline_that_cannot_be_rendered_never_stops_the_others(tmp_path: Path) -> None:
    import sqlite3

    store = tmp_path / "store.db"
    stale_cmd = model.make("concrete_task", "stale_cmd", {"type": "shell", "command": "echo stale"})
    _publish(store, [*echo_docs(), one_task("fine"), one_task("stale"), stale_cmd, model.make(
        "pipeline", "stale_task", {"tasks": [{"id": "only", "uses": _ref("concrete_task", "stale_cmd")}]})])
    db = sqlite3.connect(store)
    with db:  # versions written by an older model, or edited by hand: they no longer validate
        for kind, name, field, value in (("pipeline", "stale", "no_such_field", 1),
                                         ("concrete_task", "stale_cmd", "type", "perl")):
            body = json.loads(db.execute("SELECT body FROM versions WHERE kind=? AND name=?", (kind, name))
                              .fetchone()[0])
            body["spec"][field] = value
            db.execute("UPDATE versions SET body=? WHERE kind=? AND name=?", (json.dumps(body), kind, name))
    db.close()
    dags = tmp_path / "dags"
    result = CliRunner().invoke(cli, ["render", "--store", str(store), "--dags-dir", str(dags)])
    assert result.exit_code == 1
    assert [p.name for p in dags.iterdir()] == ["fine.py"]
    assert "1 written, 0 unchanged, 2 failed" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("pipeline 'stale': not rendered: ") and "no_such_field" in errors[0]
    assert errors[1].startswith("pipeline 'stale_task': not rendered: ") and "stale_cmd" in errors[1]


def test_convert_warns_once_when_its_folder_holds_the_loader(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    write_dag_file(dags)
    jobs = [tmp_path / f"{name}.Jenkinsfile" for name in ("one", "two")]
    for job in jobs:
        job.write_bytes(SAMPLE.read_bytes())
    result = CliRunner().invoke(cli, ["convert", *map(str, jobs), "--store", str(tmp_path / "s.db"),
                                      "--dags-dir", str(dags)])
    assert sorted(dagfile.static_files(dags)) == ["one", "two"], result.output
    assert result.stderr.count("also holds the jenkins2flow loader (jenkins2flow_dags.py)") == 1

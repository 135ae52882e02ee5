"""Cross-pipeline links render like the sync engine builds them: asset schedules and asset marker tasks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jenkins2flow_runtime import model

from jenkins2flow.airflow_env import airflow_env
from jenkins2flow.render.dag import write_dag

CHECK = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
def uris(c):
    if hasattr(c, "uri"):
        return [c.uri]
    return sorted(u for o in getattr(c, "objects", []) for u in uris(o))
out = {"errors": {k: v[-800:] for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "timetable": type(dag.timetable).__name__,
        "assets": uris(dag.timetable.asset_condition) if hasattr(dag.timetable, "asset_condition") else [],
        "outlets": {t.task_id: sorted(o.uri for o in t.outlets) for t in dag.tasks if t.outlets},
        "rules": {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks},
    }
print("JSON" + json.dumps(out))
"""


def _docs() -> dict[str, model.Document]:
    return {"echo": model.make("concrete_task", "echo", {"type": "shell", "command": "echo hi"})}


def _spec(**extra: object) -> model.PipelineSpec:
    task = {"id": "step", "uses": {"kind": "concrete_task", "name": "echo", "version": 1}}
    return model.make("pipeline", "p", {"tasks": [task], **extra}).spec  # type: ignore[return-value]


def test_upstream_schedule_and_asset_markers_render_and_load(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    write_dag(dags, "extract", _spec(asset_events=["success", "done"]), _docs())
    write_dag(dags, "report", _spec(schedule={"upstream": [{"pipeline": "extract"}]}), _docs())
    write_dag(dags, "nightly", _spec(schedule={"cron": ["0 2 * * *"], "upstream": [
        {"pipeline": "extract", "on": "done"}]}), _docs())
    env = airflow_env(tmp_path / "state", str(tmp_path / "state" / "store.db"))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(dags)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    out = json.loads(lines[0][4:])
    assert out["errors"] == {}
    up = out["dags"]["extract"]
    assert up["outlets"] == {"jenkins2flow_succeeded": ["jenkins2flow://pipeline/extract"],
                             "jenkins2flow_ended": ["jenkins2flow://pipeline/extract/done"]}
    assert up["rules"]["jenkins2flow_succeeded"] == "none_failed" and up["rules"]["jenkins2flow_ended"] == "all_done"
    assert out["dags"]["report"]["assets"] == ["jenkins2flow://pipeline/extract"]
    assert out["dags"]["nightly"]["timetable"] == "AssetOrTimeSchedule"
    assert out["dags"]["nightly"]["assets"] == ["jenkins2flow://pipeline/extract/done"]

"""Cross-pipeline links render like the sync engine builds them: asset schedules and asset marker tasks."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.render.dag import write_dag
from tests.render.dagcheck import echo_docs, load_in_dagbag, one_task

CHECK = """
def uris(c):
    if hasattr(c, "uri"):
        return [c.uri]
    return sorted(u for o in getattr(c, "objects", []) for u in uris(o))
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "timetable": type(dag.timetable).__name__,
        "assets": uris(dag.timetable.asset_condition) if hasattr(dag.timetable, "asset_condition") else [],
        "outlets": {t.task_id: sorted(o.uri for o in t.outlets) for t in dag.tasks if t.outlets},
        "rules": {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks},
    }
"""


def test_upstream_schedule_and_asset_markers_render_and_load(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    write_dag(dags, one_task("extract", asset_events=["success", "done"]), echo_docs())
    write_dag(dags, one_task("report", schedule={"upstream": [{"pipeline": "extract"}]}), echo_docs())
    write_dag(dags, one_task("nightly", schedule={"cron": ["0 2 * * *"], "upstream": [
        {"pipeline": "extract", "on": "done"}]}), echo_docs())
    out = load_in_dagbag(dags, tmp_path, CHECK)
    assert out["errors"] == {}
    up = out["dags"]["extract"]
    assert up["outlets"] == {"jenkins2flow_succeeded": ["jenkins2flow://pipeline/extract"],
                             "jenkins2flow_ended": ["jenkins2flow://pipeline/extract/done"]}
    assert up["rules"]["jenkins2flow_succeeded"] == "none_failed" and up["rules"]["jenkins2flow_ended"] == "all_done"
    assert out["dags"]["report"]["assets"] == ["jenkins2flow://pipeline/extract"]
    assert out["dags"]["nightly"]["timetable"] == "AssetOrTimeSchedule"
    assert out["dags"]["nightly"]["assets"] == ["jenkins2flow://pipeline/extract/done"]

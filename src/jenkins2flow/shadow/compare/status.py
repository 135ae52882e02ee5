"""Run and stage <-> task statuses: the Jenkins build result against the DAG run state, and each stage against the
task it became (declared in `stages`, else the converter's task id for the stage name)."""

from __future__ import annotations

from jenkins2flow_runtime.model.shadow import StatusOutput

from jenkins2flow.convert.naming import task_id
from jenkins2flow.shadow.outcome import Difference, OutputResult, SideRun

# Jenkins results / stage statuses and Airflow states, to one vocabulary.
STATUS = {
    "SUCCESS": "success", "UNSTABLE": "unstable", "FAILURE": "failed", "FAILED": "failed", "ABORTED": "aborted",
    "NOT_BUILT": "not run", "NOT_EXECUTED": "not run", "SKIPPED": "skipped", "IN_PROGRESS": "running",
    "PAUSED_PENDING_INPUT": "running",
    "success": "success", "failed": "failed", "skipped": "skipped", "upstream_failed": "not run",
    "removed": "not run", "none": "not run", "None": "not run", "running": "running", "queued": "running",
    "scheduled": "running", "up_for_retry": "running", "up_for_reschedule": "running", "deferred": "running",
    "restarting": "running",
}


def status_of(raw: str | None) -> str:
    if raw is None:
        return "running"
    return STATUS.get(raw, STATUS.get(raw.upper(), raw.lower()))


def compare_status(output: StatusOutput, baseline: SideRun, candidate: SideRun) -> OutputResult:
    result = OutputResult(output.label or "status", "status")
    result.compared = 1
    if baseline.status != candidate.status:
        result.add(Difference("run", "status", baseline.status, candidate.status, "run result"))
    tasks = {t["name"]: t["status"] for t in candidate.stages}
    used: set[str] = set()
    for stage in baseline.stages:
        tid = output.stages.get(stage["name"]) or task_id(stage["name"])
        result.compared += 1
        used.add(tid)
        got = tasks.get(tid)
        if got is None:
            if stage["status"] not in ("not run", "skipped"):
                result.add(Difference(f"stage {stage['name']}", "missing", stage["status"], None,
                                      f"no Airflow task {tid!r} for this stage"))
        elif got != stage["status"]:
            result.add(Difference(f"stage {stage['name']}", "status", stage["status"], got, f"task {tid}"))
    unmatched = [t for t in tasks if t not in used]
    result.summary = (f"run {baseline.status} vs {candidate.status}; {len(baseline.stages)} stage(s) against "
                      f"{len(tasks)} task(s)" + (f"; tasks with no stage: {', '.join(unmatched)}" if unmatched else ""))
    return result.finish()

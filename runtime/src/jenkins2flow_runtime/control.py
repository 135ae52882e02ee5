"""Callables of the control tasks the converter puts around Jenkins blocks whose outcome depends on another block's
(docs/control-flow.md): `try/catch/finally`, `catchError`/`warnError`, `post` conditions and `timeout` groups.

They read the states of the region's tasks in this run through the Airflow task SDK (`ti.get_task_states`) and
either return (the block after them runs), raise AirflowSkipException (it is skipped) or fail. The tasks that follow
a region depend on its end task with the ordinary `all_success`, so no trigger rule leaks out of a region.

A region has an `entry` task (`enter`) when something ran before it: its state says whether Jenkins would have
entered the block at all (`success`: yes; `skipped`: the enclosing stage or branch was skipped; `failed` or
`upstream_failed`: an earlier step failed, so Jenkins never got there). A region with no entry is always entered.

- `enter`: the entry of a region; returns the wall-clock time it ran, the clock of a timeout group (Deadline).
- `block_gate`: before a catch, finally or post block: runs it when the region was entered and its body ended as
  the block wants (`failure`, `success`, `always`).
- `region_end`: the end of a region: succeeds when the body succeeded or its failure was handled (by a catch, or
  swallowed by catchError), and no finally/post block failed; fails otherwise; skipped when not entered.
- `build_result`: the last task of a pipeline in which catchError blocks caught a failure: Jenkins goes on after
  them and ends the build FAILURE, so this task fails once everything else has run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jenkins2flow_runtime.fallback import skip_exception

FAILED_STATES = frozenset({"failed", "upstream_failed"})
RUNS = ("failure", "success", "always")
HANDLES = ("none", "catch", "all")


class RegionFailed(RuntimeError):
    """The region's body (or its catch, finally or post block) failed, or an earlier step did."""


def _context(context: Any) -> Any:
    if context is not None:
        return context
    from airflow.sdk import get_current_context

    return get_current_context()


def _state(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def task_states(context: Any, task_ids: Iterable[str]) -> dict[str, list[str]]:
    """This run's states of `task_ids`: one state per task, one per map index for a mapped task (a Jenkins matrix).
    Airflow names a mapped instance `<task>_<index>` in its answer, so mapped and plain tasks are asked apart."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        return {}
    ti, run_id = context["ti"], context["dag_run"].run_id
    dag = context.get("dag")
    mapped = {t for t in ids if dag is not None and t in dag.task_dict and dag.task_dict[t].is_mapped}
    out: dict[str, list[str]] = {t: [] for t in ids}
    plain = [t for t in ids if t not in mapped]
    if plain:
        found = ti.get_task_states(dag_id=ti.dag_id, task_ids=plain, map_index=-1, run_ids=[run_id])
        for key, state in (found.get(run_id) or {}).items():
            if key in out:
                out[key].append(_state(state))
    if mapped:
        found = ti.get_task_states(dag_id=ti.dag_id, task_ids=sorted(mapped), run_ids=[run_id])
        for key, state in (found.get(run_id) or {}).items():
            owner = next((t for t in mapped if key.startswith(f"{t}_") and key[len(t) + 1:].isdigit()), None)
            if owner is not None:
                out[owner].append(_state(state))
    return out


def _failed(states: Mapping[str, list[str]], ids: Iterable[str]) -> list[str]:
    return [t for t in ids if any(s in FAILED_STATES for s in states.get(t, ()))]


def entered(states: Mapping[str, list[str]], entry: str) -> str:
    """"yes" when the region ran (no entry task, or it succeeded), "skipped" or "failed" (an earlier step failed)."""
    if not entry:
        return "yes"
    found = states.get(entry) or ["none"]
    if all(s == "success" for s in found):
        return "yes"
    return "failed" if any(s in FAILED_STATES for s in found) else "skipped"


def caught_failures(states: Mapping[str, list[str]], results: Sequence[Mapping[str, Any]]) -> list[str]:
    """The places that made Jenkins' build result FAILURE while the build went on: a catchError block
    (`{"kind": "caught", "end": its end task, "body": [its last tasks], "at": place}`) whose end ran (success) after
    its body failed, or a `currentBuild.result = 'FAILURE'` (`{"kind": "set", "end": its marker task}`) reached."""
    out: list[str] = []
    for r in results:
        reached = states.get(r["end"]) == ["success"]
        set_here = r.get("kind") == "set" or bool(_failed(states, r.get("body", ())))
        if reached and set_here:
            out.append(str(r.get("at") or r["end"]))
    return out


def _caught_ids(caught: Sequence[Mapping[str, Any]]) -> list[str]:
    return [t for c in caught for t in (c["end"], *c.get("body", ()))]


def failed_so_far(context: Any, result_tasks: Sequence[str] = (),
                  caught_blocks: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """The places that made Jenkins' build result FAILURE before a task, which the task itself may read (an archive
    step does): a failed task of `result_tasks` (the body, and the blocks before it, a post block follows: declarative
    sets the result FAILURE when a stage fails) or a reached catchError / `currentBuild.result = 'FAILURE'` of
    `caught_blocks` (see caught_failures). Nothing to judge: []."""
    if not result_tasks and not caught_blocks:
        return []
    states = task_states(_context(context), [*result_tasks, *_caught_ids(caught_blocks)])
    return _failed(states, result_tasks) + caught_failures(states, caught_blocks)


def enter(context: Any = None) -> dict[str, float]:
    """The entry of a region: it ran, so Jenkins entered the block. Its start is the clock of a timeout group."""
    return {"started": time.time()}


def block_gate(runs_on: str = "always", entry_task: str = "", body_tasks: Sequence[str] = (),
               caught_blocks: Sequence[Mapping[str, Any]] = (), control_label: str = "",
               context: Any = None) -> dict[str, Any]:
    """Run the block after this gate (`catch`, `finally`, a `post` condition) or skip it: `runs_on` is `failure` (the
    body failed, or for post blocks a catchError made the build result FAILURE), `success` (it did not) or `always`;
    never when the region was not entered."""
    if runs_on not in RUNS:
        raise ValueError(f"block_gate runs_on={runs_on!r}; use one of {', '.join(RUNS)}.")
    ctx = _context(context)
    what = control_label or "block"
    states = task_states(ctx, [*([entry_task] if entry_task else []), *body_tasks, *_caught_ids(caught_blocks)])
    way = entered(states, entry_task)
    if way != "yes":
        raise skip_exception(f"{what}: not run, the enclosing block was not entered ({way})")
    failed = _failed(states, body_tasks) + caught_failures(states, caught_blocks)
    outcome = "failed" if failed else "success"
    if (runs_on == "failure" and not failed) or (runs_on == "success" and failed):
        raise skip_exception(f"{what}: runs on {runs_on}; the body ended {outcome}")
    return {"body": outcome, "failed": failed}


def region_end(entry_task: str = "", body_tasks: Sequence[str] = (), handled_by: str = "none",
               catch_tasks: Sequence[str] = (), after_tasks: Sequence[str] = (), control_label: str = "",
               context: Any = None) -> dict[str, Any]:
    """The end of a region, after its body (`body_tasks`: the tasks it ends with), its catch block (`catch_tasks`)
    and its finally or post blocks (`after_tasks`). `handled_by`: `none` (a failed body fails the region, e.g.
    try/finally, a stage with post), `catch` (a failed body is handled when the catch block did not fail) or `all`
    (catchError swallows it)."""
    if handled_by not in HANDLES:
        raise ValueError(f"region_end handled_by={handled_by!r}; use one of {', '.join(HANDLES)}.")
    ctx = _context(context)
    body, catch, after = body_tasks, catch_tasks, after_tasks
    states = task_states(ctx, [*([entry_task] if entry_task else []), *body, *catch, *after])
    what = control_label or "block"
    way = entered(states, entry_task)
    if way == "skipped":
        raise skip_exception(f"{what}: not entered (the enclosing block was skipped)")
    if way == "failed":
        raise RegionFailed(f"{what}: not entered: a step before it failed")
    body_failed = _failed(states, body)
    if body_failed and handled_by == "catch" and _failed(states, catch):
        raise RegionFailed(f"{what}: the body failed ({', '.join(body_failed)}) and so did the catch block "
                           f"({', '.join(_failed(states, catch))})")
    after_failed = _failed(states, after)
    if after_failed:
        raise RegionFailed(f"{what}: a finally/post block failed ({', '.join(after_failed)})")
    if body_failed and handled_by == "none":
        raise RegionFailed(f"{what}: the body failed ({', '.join(body_failed)})")
    return {"body": "failed" if body_failed else "success", "handled": bool(body_failed)}


def build_result(caught_blocks: Sequence[Mapping[str, Any]] = (), last_tasks: Sequence[str] = (),
                 context: Any = None) -> dict[str, Any]:
    """The run's result as Jenkins ends the build: failed when the tasks it follows (`last_tasks`) failed, or when
    a catchError block (`caught_blocks`) caught a failure (Jenkins went on, then ended the build FAILURE)."""
    ctx = _context(context)
    states = task_states(ctx, [*last_tasks, *_caught_ids(caught_blocks)])
    failed = _failed(states, last_tasks)
    if failed:
        raise RegionFailed(f"the build failed ({', '.join(failed)})")
    found = caught_failures(states, caught_blocks)
    if found:
        raise RegionFailed(f"catchError caught a failure and set the build result to FAILURE ({', '.join(found)}); "
                           "Jenkins went on with the build and ended it FAILURE")
    return {"result": "success"}

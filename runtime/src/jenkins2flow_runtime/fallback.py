"""Callables for the python tasks the converter emits where a Jenkins element has no direct Airflow equivalent.

Each takes its pipeline bindings as keyword arguments (plus `context`, the Airflow task context, when given).
- `run_jenkins_job`: the one task of a pipeline whose job could not be converted: triggers the whole original
  Jenkins job with the run's parameters (under their Jenkins names) and waits for its result, with python-jenkins
  (only if installed); credentials from env JENKINS_URL/JENKINS_USER/JENKINS_TOKEN or an Airflow connection id in
  JENKINS2FLOW_JENKINS_CONN (host = URL, login, password = API token); waits up to JENKINS2FLOW_FALLBACK_TIMEOUT
  seconds (default 6 hours).
- `not_converted`: stands in a pipeline's draft for an element that could not be converted; it always fails, naming
  the element, its place and its source, so a draft promoted before it is finished never runs silently.
- `trigger_pipeline`: `build job:` / downstream triggers: triggers the converted pipeline's DAG (and waits; with
  `propagate` false its failure does not fail the task).
- `wait_for_pipeline`: upstream triggers: waits for a successful run of the upstream pipeline.
- `copy_artifacts`: copies files (Ant globs) from another pipeline's latest run workspace.
- `when_gate`: a Jenkins `when` or scripted `if` (an expression tree) decided in the run; false -> the stage is
  skipped; undecidable -> the task fails with the Jenkins place.
- `post_gate`: Jenkins post `changed` / `fixed` / `regression`: compares this run's body outcome with the previous
  completed run of the same DAG; false -> the block's tasks are skipped.
- `manual_gate`: Jenkins `input`: waits until the Airflow variable `jenkins2flow_gate.<dag_id>.<run_id>` is
  `approve` (or `abort`), up to JENKINS2FLOW_GATE_TIMEOUT seconds (default 3600).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

POLL_SECONDS = 10


def _context(context: Any) -> Any:
    if context is not None:
        return context
    from airflow.sdk import get_current_context

    return get_current_context()


class FallbackError(RuntimeError):
    pass


def _jenkins() -> Any:
    try:
        import jenkins  # type: ignore[import-not-found]
    except ImportError as exc:
        raise FallbackError("python-jenkins is not installed: pip install python-jenkins to run fallback tasks.") \
            from exc
    url, user, token = os.environ.get("JENKINS_URL"), os.environ.get("JENKINS_USER"), os.environ.get("JENKINS_TOKEN")
    conn_id = os.environ.get("JENKINS2FLOW_JENKINS_CONN")
    if conn_id and not url:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
        url, user, token = conn.host, conn.login, conn.password
    if not url:
        raise FallbackError("Set JENKINS_URL (and JENKINS_USER, JENKINS_TOKEN) or JENKINS2FLOW_JENKINS_CONN.")
    return jenkins.Jenkins(url, username=user, password=token)


def jenkins_parameters(forward: dict[str, str], values: dict[str, Any]) -> dict[str, str]:
    """The Jenkins build parameters of a run: each Jenkins parameter (key of `forward`) gets the run's value of the
    pipeline parameter it became (its value in `forward`: a name Airflow accepts), as Jenkins forms send it (booleans
    `true`/`false`); parameters without a value (a password nobody gave) are left to the job's defaults."""
    out: dict[str, str] = {}
    for jenkins_name, name in forward.items():
        value = values.get(name)
        if value is None:
            continue
        out[jenkins_name] = "true" if value is True else "false" if value is False else str(value)
    return out


def run_jenkins_job(**values: Any) -> dict[str, Any]:
    """Trigger the whole original Jenkins job and wait for it; raise unless it ends SUCCESS.

    Bindings: `jenkins_job` (its full name) and `jenkins_parameters` (Jenkins parameter name -> pipeline parameter
    name); every other keyword is a value of the run (its parameters, resolved by the operator). Pipelines saved
    before the whole-job fallback bind `parameters` (literal values) instead of `jenkins_parameters`."""
    jenkins_job = str(values.get("jenkins_job") or "")
    if not jenkins_job:
        raise FallbackError("run_jenkins_job needs the binding 'jenkins_job' (the Jenkins job's full name).")
    forward = values.get("jenkins_parameters")
    parameters = (jenkins_parameters(forward, values) if isinstance(forward, dict)
                  else dict(values.get("parameters") or {}))
    timeout = int(os.environ.get("JENKINS2FLOW_FALLBACK_TIMEOUT", str(6 * 3600)))
    server = _jenkins()
    queue_id = server.build_job(jenkins_job, parameters or None)
    deadline = time.monotonic() + timeout
    number = None
    while number is None:
        item = server.get_queue_item(queue_id)
        if item.get("cancelled"):
            raise FallbackError(f"The Jenkins build of {jenkins_job!r} was cancelled in the queue.")
        number = (item.get("executable") or {}).get("number")
        if number is None:
            if time.monotonic() > deadline:
                raise FallbackError(f"The Jenkins build of {jenkins_job!r} did not start in time.")
            time.sleep(POLL_SECONDS)
    while True:
        info = server.get_build_info(jenkins_job, number)
        if not info.get("building") and info.get("result"):
            break
        if time.monotonic() > deadline:
            raise FallbackError(f"Jenkins build {jenkins_job!r} #{number} did not finish in time.")
        time.sleep(POLL_SECONDS)
    if info["result"] != "SUCCESS":
        raise FallbackError(f"Jenkins build {jenkins_job!r} #{number} ended {info['result']}.")
    return {"jenkins_job": jenkins_job, "build": number, "result": info["result"], "parameters": parameters}


class NotConverted(FallbackError):
    """A draft task standing for an element that could not be converted was run."""


def not_converted(element: str = "", at: str = "", reason: str = "", source: str = "", **_: Any) -> None:
    """Fail loudly: this task stands in a pipeline's draft for a Jenkins element that could not be converted."""
    excerpt = "\n".join(source.splitlines()[:12])
    raise NotConverted(f"{at}: {element} was not converted ({reason}); convert it by hand and replace this task "
                       f"before the draft runs." + (f"\nJenkins source:\n{excerpt}" if excerpt else ""))


def _api() -> Any:
    from airflow.api.common.trigger_dag import trigger_dag  # type: ignore[attr-defined]

    return trigger_dag


def _poll_seconds() -> int:
    """How often a wait polls, in whole seconds: JENKINS2FLOW_POLL_SECONDS, else POLL_SECONDS."""
    try:
        return max(1, int(os.environ.get("JENKINS2FLOW_POLL_SECONDS") or POLL_SECONDS))
    except ValueError:
        return POLL_SECONDS


def trigger_pipeline(pipeline: str, conf: dict[str, Any] | None = None, wait: bool = True, jenkins_job: str = "",
                     propagate: bool = True, conf_values: dict[str, Any] | None = None, context: Any = None,
                     **params: Any) -> dict[str, Any]:
    """Trigger the DAG `pipeline` with `conf` (Jenkins `build job:`), and `conf_values`: parameters Jenkins computes,
    as expression trees evaluated in this run (`params`: the run's parameters). `wait`: poll until its run ends (else
    trigger and go on, `wait: false`); `propagate`: its failure fails this task (`propagate: false`: it does not; the
    triggered run's id is kept in this task's XCom `trigger_run_id` and its end state in the log)."""
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
    conf = {**(conf or {}), **run_values(conf_values or {}, params, context, f"build job {jenkins_job or pipeline!r}")}
    op = TriggerDagRunOperator(task_id=f"trigger_{pipeline}"[:250], trigger_dag_id=pipeline, conf=conf,
                               wait_for_completion=wait, poke_interval=_poll_seconds(),
                               allowed_states=["success"] if propagate else ["success", "failed"],
                               failed_states=["failed"] if propagate else [])
    op.execute(_context(context))  # Airflow 3: raises the exception the task runner triggers (and waits) on
    return {"pipeline": pipeline, "waited": wait, "propagate": propagate}


def wait_for_pipeline(pipeline: str, threshold: str = "SUCCESS", context: Any = None, **_: Any) -> dict[str, Any]:
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    allowed = ["success"] if threshold.upper() == "SUCCESS" else ["success", "failed"]
    sensor = ExternalTaskSensor(task_id=f"wait_{pipeline}"[:250], external_dag_id=pipeline, external_task_id=None,
                                allowed_states=allowed, poke_interval=POLL_SECONDS, mode="poke")
    sensor.execute(_context(context))
    return {"pipeline": pipeline}


# copyArtifacts selectors the runtime follows -> the run states they accept (Jenkins' lastSuccessful also takes an
# UNSTABLE build: Airflow has no such state)
SELECTORS = {"lastSuccessful": ("success",), "lastCompleted": ("success", "failed")}


def _run_state(pipeline: str, run_id: str) -> str:
    """The state of a run of another DAG, asked of Airflow by the running task (Task SDK)."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    return str(getattr(state := RuntimeTaskInstance.get_dagrun_state(pipeline, run_id), "value", state))


def copy_artifacts(pipeline: str, filter: str = "", target: str = "", workspace: str = "",  # noqa: A002
                   excludes: str = "", flatten: bool = False, optional: bool = False,
                   selector: str = "lastSuccessful", **_: Any) -> dict[str, Any]:
    """Jenkins' copyArtifacts: the files selected by the Ant globs `filter` (comma-separated; empty: all) minus
    `excludes`, from the workspace of the newest run of `pipeline` that `selector` accepts (lastSuccessful: a run that
    succeeded; lastCompleted: one that ended), into `target` under this run's workspace, keeping their relative paths
    (`flatten`: file names only). Nothing to copy fails the task, as in Jenkins, unless `optional`."""
    from jenkins2flow_runtime.antglob import AntGlob
    from jenkins2flow_runtime.workspace import recorded_runs

    if selector not in SELECTORS:
        raise FallbackError(f"copyArtifacts selector {selector!r} is not one the runtime follows "
                            f"({', '.join(SELECTORS)}).")
    dest = Path(workspace or os.environ.get("WORKSPACE") or os.getcwd()) / target
    runs = recorded_runs(pipeline)
    source = next((ws for run_id, ws in runs if _run_state(pipeline, run_id) in SELECTORS[selector]), None)
    if source is None:
        if optional:
            return {"pipeline": pipeline, "copied": [], "run": None}
        raise FallbackError(f"Unable to find a build of pipeline {pipeline!r} to copy artifacts from ({selector}; "
                            f"{len(runs)} run(s) recorded).")
    copied = AntGlob.parse(filter, excludes).select(source) if source.is_dir() else []
    if not copied and not optional:
        raise FallbackError(f"Failed to copy artifacts from pipeline {pipeline!r} with filter {filter or '**'!r}: "
                            f"no file matches in {source}.")
    for rel in copied:
        out = dest / (Path(rel).name if flatten else rel)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, out)
    return {"pipeline": pipeline, "copied": copied, "run": source.name}


class Skip(Exception):
    """Raised to skip a stage; the Airflow adapter turns it into AirflowSkipException."""


class GateError(RuntimeError):
    """A condition that cannot be decided in this run: the gate fails (never true by default), naming the place."""


def run_facts(trees: list[Any], params: dict[str, Any], context: Any) -> Any:
    """The expression context of this run for `trees` (expressions.Context): its parameters, the task's environment
    (the operator sets it: Jenkins' variables, parameters, env) and the outputs of earlier tasks the trees read."""
    from jenkins2flow_runtime import expressions, jenkins_env

    ctx = _context(context)
    outputs = jenkins_env.recorded_outputs(ctx, expressions.outputs_read(*trees))
    return jenkins_env.run_context(ctx, params=params, env=dict(os.environ), outputs=outputs)


def run_values(trees: dict[str, Any], params: dict[str, Any], context: Any, what: str) -> dict[str, Any]:
    """Expression trees (name -> tree) evaluated in this run (see run_facts), each as its value (a BigDecimal as
    its string, for JSON). Raises GateError naming the Jenkins place."""
    from jenkins2flow_runtime import expressions, groovy

    if not trees:
        return {}
    facts = run_facts(list(trees.values()), params, context)
    out: dict[str, Any] = {}
    for name, tree in trees.items():
        try:
            value = expressions.evaluate(tree, facts)
        except expressions.ExpressionError as exc:
            raise GateError(f"{what}: {name} cannot be computed in this run: {exc}") from None
        out[name] = value if isinstance(value, str | int | bool | None | list | dict) else groovy.to_str(value)
    return out


def when_gate(condition: dict[str, Any] | None = None, stage: str = "", context: Any = None,
              **params: Any) -> dict[str, Any]:
    """A Jenkins `when` or scripted `if` condition (an expression tree, jenkins2flow_runtime.expressions) decided in
    this run: true -> the stage's tasks run; false -> skipped (AirflowSkipException); a condition that cannot be
    decided (a `fail` node the converter wrote for what it did not understand, a missing value) fails the task with
    its Jenkins place: never true by default. `params` are the run's parameters."""
    from jenkins2flow_runtime import expressions

    if not isinstance(condition, dict):
        earlier = " (it was converted by an earlier jenkins2flow, whose `conditions` are no longer decided: convert " \
            "the job again)" if "conditions" in params else ""
        raise GateError(f"stage {stage!r}: the gate has no condition to decide{earlier}")
    try:
        holds = expressions.condition(condition, run_facts([condition], params, context))
    except expressions.ExpressionError as exc:
        raise GateError(f"stage {stage!r}: the condition cannot be decided in this run: {exc}") from None
    if not holds:
        try:
            from airflow.sdk.exceptions import AirflowSkipException
        except ImportError:  # pragma: no cover - outside Airflow
            raise Skip(f"stage {stage!r}: when conditions are false") from None
        raise AirflowSkipException(f"stage {stage!r}: the condition is false")
    return {"stage": stage, "run": True}


# Task states that make a Jenkins build result worse than SUCCESS (Airflow has no UNSTABLE or ABORTED run result).
FAILED_STATES = frozenset({"failed", "upstream_failed"})
POST_GATES = ("changed", "fixed", "regression")
# conditions of notifications only (email-ext's "Failure - 1st" and "Failure - Still", Slack's repeated failure)
NOTIFY_CONDITIONS = (*POST_GATES, "first_failure", "still_failing")


def post_condition_holds(condition: str, current: str, previous: str | None) -> bool:
    """Jenkins' conditions on two results, "success" or "failed" (`previous` None: no completed run before this one):
    changed = differs (true on the first run), fixed = failed -> success, regression = success -> failed (both false
    on the first run), first_failure = failed after a success or on the first run, still_failing = failed after a
    failure (email-ext's FirstFailureTrigger and StillFailingTrigger)."""
    if condition not in NOTIFY_CONDITIONS:
        raise ValueError(f"unknown post condition {condition!r}; use one of {', '.join(NOTIFY_CONDITIONS)}.")
    if condition == "first_failure":
        return current == "failed" and previous != "failed"
    if condition == "still_failing":
        return current == "failed" and previous == "failed"
    if previous is None:
        return condition == "changed"
    if condition == "changed":
        return current != previous
    if condition == "fixed":
        return current == "success" and previous == "failed"
    return current == "failed" and previous == "success"


def _state(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def outcome(states: Any) -> str:
    """The Jenkins-like result of a set of task states: "failed" when one failed (or could not run), else success."""
    return "failed" if any(_state(s) in FAILED_STATES for s in states) else "success"


def _run_states(ti: Any, dag_id: str, run_id: str, task_ids: list[str]) -> dict[str, Any]:
    found = ti.get_task_states(dag_id=dag_id, task_ids=task_ids or None, run_ids=[run_id])
    return dict(found.get(run_id) or {})


def previous_outcome(ti: Any, dag_id: str, body_tasks: list[str]) -> str | None:
    """The outcome of the previous *completed* run (Jenkins' getPreviousCompletedBuild): the latest earlier run that
    ended success or failed, judged by the same body tasks when it has them, else by its run state."""
    runs = [r for r in (ti.get_previous_dagrun(state="success"), ti.get_previous_dagrun(state="failed")) if r]
    if not runs:
        return None
    prev = max(runs, key=lambda r: r.logical_date)
    states = _run_states(ti, dag_id, prev.run_id, body_tasks)
    if states:
        return outcome(states.values())
    return "success" if _state(prev.state) == "success" else "failed"


def post_gate(post_condition: str = "changed", body_tasks: list[str] | None = None, entry_task: str = "",
              context: Any = None) -> dict[str, Any]:
    """Run the block only when the Jenkins post condition holds: this run's body outcome (the states of
    `body_tasks`, by default the gate's upstream tasks) against the previous completed run's; never when the stage
    did not run (`entry_task`, jenkins2flow_runtime.control)."""
    from jenkins2flow_runtime.control import entered, task_states

    ctx = _context(context)
    ti, run = ctx["ti"], ctx["dag_run"]
    if entry_task and (way := entered(task_states(ctx, [entry_task]), entry_task)) != "yes":
        raise skip_exception(f"post {post_condition}: the stage did not run ({way})")
    body = list(body_tasks or sorted(ctx["task"].upstream_task_ids))
    current = outcome(_run_states(ti, ti.dag_id, run.run_id, body).values())
    previous = previous_outcome(ti, ti.dag_id, body)
    result = {"condition": post_condition, "current": current, "previous": previous}
    if not post_condition_holds(post_condition, current, previous):
        raise skip_exception(f"post {post_condition}: does not hold (this run {current}, previous "
                              f"{previous or 'none'})")
    return result


def skip_exception(message: str) -> Exception:
    """AirflowSkipException (Skip outside Airflow): the task is skipped, and so are the tasks waiting on it."""
    try:
        from airflow.sdk.exceptions import AirflowSkipException
    except ImportError:  # pragma: no cover - outside Airflow
        return Skip(message)
    return AirflowSkipException(message)


def manual_gate(message: str = "", ok: str = "", submitter: str = "", context: Any = None,
                **_: Any) -> dict[str, Any]:
    from airflow.sdk import Variable

    run = _context(context)["dag_run"]
    key = f"jenkins2flow_gate.{getattr(run, 'dag_id', 'dag')}.{getattr(run, 'run_id', 'run')}"
    deadline = time.monotonic() + int(os.environ.get("JENKINS2FLOW_GATE_TIMEOUT", "3600"))
    while time.monotonic() < deadline:
        answer = Variable.get(key, default=None)
        if answer == "approve":
            return {"approved": True, "message": message}
        if answer == "abort":
            raise FallbackError(f"The manual gate {message!r} was aborted.")
        time.sleep(POLL_SECONDS)
    raise FallbackError(f"Nobody approved {message!r} (set Airflow variable {key} to 'approve').")

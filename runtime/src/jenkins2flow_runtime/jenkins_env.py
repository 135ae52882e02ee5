"""Jenkins' own environment variables for a task that Airflow runs, so that scripts reading them keep working.

Every shell and container task gets (ConcreteTaskOperator._job_env):

| variable | value |
|---|---|
| BUILD_NUMBER, BUILD_ID | the run's build number (below); Jenkins has made BUILD_ID equal to it since 1.597 |
| BUILD_DISPLAY_NAME | `#<number>` |
| BUILD_TAG | `jenkins-<JOB_NAME with / as ->-<number>`, Jenkins' form |
| BUILD_URL, JOB_URL | the Airflow UI's run and DAG pages, when Airflow's `[api] base_url` is set |
| JOB_NAME | the Jenkins full name (`folder/job`) from the pipeline's provenance, else the pipeline name |
| JOB_BASE_NAME, JOB_DISPLAY_NAME | the last segment of JOB_NAME |
| WORKSPACE | the run's shared workspace |
| WORKSPACE_TMP | `<WORKSPACE>@tmp`, Jenkins' temporary folder beside the workspace (made when a script needs it) |
| NODE_NAME, NODE_LABELS | the Airflow worker's host name (Jenkins: the agent's name) |
| EXECUTOR_NUMBER | `0` |
| STAGE_NAME | the Jenkins stage the task comes from (the pipeline task's `stage`); unset outside any stage |
| JENKINS_URL | the Jenkins the runtime knows, with a trailing slash: the worker's JENKINS_URL, else the host of |
| | the JENKINS2FLOW_JENKINS_CONN connection (the Jenkins fallback tasks trigger); unset when there is none |

and, when whoever triggers the run provides them, the branch, tag, change and git facts of a multibranch build
(`SCM_VARIABLES`: BRANCH_NAME, TAG_NAME, CHANGE_ID, CHANGE_TARGET, GIT_COMMIT, GIT_BRANCH...): from the run conf
(top-level keys with exactly these names, string or number values), else from the worker's environment; when
neither gives GIT_COMMIT, GIT_COMMIT, GIT_BRANCH and GIT_URL come from the checkout at the workspace's root (the one
a converted checkout task fetched), as the Git plugin sets them. Nothing else
of the run conf reaches the environment (the conf cannot set PATH).

BUILD_NUMBER. Airflow has no per-DAG build counter, and its task API offers no atomic one; so:
1. a run conf key `BUILD_NUMBER` (a positive integer) wins: the shadow harness or a Jenkins-side trigger can give
   the number Jenkins would use;
2. else the number is kept in the Airflow Variable `jenkins2flow_build_numbers.<dag_id>`, a JSON document
   `{"last": N, "runs": {run_id: number}}` holding the latest 200 runs: the first task of a run to ask takes
   `last + 1`, writes it, and reads it back (another task of the same run writing at the same moment converges on one
   number); every later task of the run, and every retry, reads the same number. Numbers therefore increase with the
   order in which runs start, whatever their logical dates (Airflow 3 runs triggered through the API have none),
   and survive `airflow db clean`. To continue Jenkins' numbering after a migration, set the Variable to
   `{"last": <the job's nextBuildNumber - 1>}` once. Limit: Variables have no compare-and-set, so two runs whose
   first tasks start within the same few milliseconds can receive the same number; the read-back makes it rare.

Causes (for `triggeredBy`): a scheduled run is a `TimerTriggerCause`, a manual run with a user a `UserIdCause` of
that user, an asset-triggered run (an upstream pipeline's success) an `UpstreamCause`; the run conf key
`JENKINS2FLOW_CAUSES` (a list of `{"name": ..., "user": ...}`) replaces them when the trigger knows better.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from jenkins2flow_runtime.expressions import Context

# Set for every task.
JENKINS_VARIABLES = (
    "BUILD_NUMBER", "BUILD_ID", "BUILD_DISPLAY_NAME", "BUILD_TAG", "JOB_NAME", "JOB_BASE_NAME", "JOB_DISPLAY_NAME",
    "WORKSPACE", "WORKSPACE_TMP", "NODE_NAME", "NODE_LABELS", "EXECUTOR_NUMBER",
)
# Set when Airflow's base URL is configured.
URL_VARIABLES = ("BUILD_URL", "JOB_URL")
# Set for a task that comes from a Jenkins stage.
STAGE_VARIABLES = ("STAGE_NAME",)
JENKINS_CONN_VARIABLE = "JENKINS2FLOW_JENKINS_CONN"
# Set only where the deployment provides what they are made of, which a conversion cannot know: name -> why. A
# converted use of one is flagged, and a Groovy read of one fails its task when it is unset (never reads null).
_URL_REASON = ("the runtime sets {name} only when Airflow's `[api] base_url` is configured (it is unset by default); "
               "without it the value is unset")
CONFIGURED_VARIABLES = {
    "JENKINS_URL": "the runtime sets JENKINS_URL only when it knows the Jenkins URL (JENKINS_URL in the workers' "
                   f"environment or the {JENKINS_CONN_VARIABLE} connection); without it the value is unset",
    **{name: _URL_REASON.format(name=name) for name in URL_VARIABLES},
}
# Set when the run conf or the worker's environment gives them (a multibranch or git-triggered build's facts).
SCM_VARIABLES = (
    "BRANCH_NAME", "BRANCH_IS_PRIMARY", "GIT_LOCAL_BRANCH", "TAG_NAME", "TAG_TIMESTAMP", "TAG_UNIXTIME", "TAG_DATE",
    "CHANGE_ID", "CHANGE_URL", "CHANGE_TITLE", "CHANGE_AUTHOR", "CHANGE_AUTHOR_DISPLAY_NAME", "CHANGE_AUTHOR_EMAIL",
    "CHANGE_TARGET", "CHANGE_BRANCH", "CHANGE_FORK", "GIT_COMMIT", "GIT_PREVIOUS_COMMIT",
    "GIT_PREVIOUS_SUCCESSFUL_COMMIT", "GIT_BRANCH", "GIT_URL", "GIT_COMMITTER_NAME", "GIT_AUTHOR_NAME",
    "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_EMAIL",
)
CAUSES_KEY = "JENKINS2FLOW_CAUSES"
VARIABLE_PREFIX = "jenkins2flow_build_numbers."
KEEP_RUNS = 200
_FAILED = frozenset({"failed", "upstream_failed"})


def jenkins_variables(*, job: str, build_number: int, workspace: str, dag_id: str, run_id: str, node: str = "",
                      base_url: str = "", stage: str = "", jenkins_url: str = "") -> dict[str, str]:
    """Jenkins' built-in variables for one task of run `run_id` (pure: every input given)."""
    base = job.rstrip("/").rsplit("/", 1)[-1]
    number = str(build_number)
    host = node or socket.gethostname()
    env = {
        "BUILD_NUMBER": number, "BUILD_ID": number, "BUILD_DISPLAY_NAME": f"#{number}",
        "BUILD_TAG": f"jenkins-{job.replace('/', '-')}-{number}", "JOB_NAME": job, "JOB_BASE_NAME": base,
        "JOB_DISPLAY_NAME": base, "WORKSPACE": workspace, "WORKSPACE_TMP": f"{workspace}@tmp", "NODE_NAME": host,
        "NODE_LABELS": host,
        "EXECUTOR_NUMBER": "0",
    }
    if base_url:
        root = base_url.rstrip("/")
        env["JOB_URL"] = f"{root}/dags/{quote(dag_id, safe='')}"
        env["BUILD_URL"] = f"{env['JOB_URL']}/runs/{quote(run_id, safe='')}"
    if stage:
        env["STAGE_NAME"] = stage
    if jenkins_url:
        env["JENKINS_URL"] = jenkins_url.rstrip("/") + "/"  # Jenkins' form: the root URL with its trailing slash
    return env


def jenkins_url(environ: Mapping[str, str] | None = None) -> str:
    """The Jenkins this runtime knows: JENKINS_URL in the worker's environment, else the host of the Airflow
    connection named by JENKINS2FLOW_JENKINS_CONN (the one fallback tasks trigger jobs on); "" when there is none.
    Only then do tasks get JENKINS_URL: a URL of another server would be a silent error."""
    environ = os.environ if environ is None else environ
    if environ.get("JENKINS_URL"):
        return environ["JENKINS_URL"]
    conn_id = environ.get(JENKINS_CONN_VARIABLE)
    if not conn_id:
        return ""
    try:
        from airflow.sdk import BaseHook

        return str(BaseHook.get_connection(conn_id).host or "")
    except Exception:  # noqa: BLE001 - a connection that cannot be read means no known URL (JENKINS_URL unset)
        return ""


def scm_variables(conf: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The branch/tag/change/git facts: run conf first (string, number or boolean values), then `environ`."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for name in SCM_VARIABLES:
        value = (conf or {}).get(name)
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[name] = str(value)
        elif environ.get(name):
            out[name] = environ[name]
    return out


def checkout_variables(workspace: str) -> dict[str, str]:
    """GIT_COMMIT, GIT_BRANCH and GIT_URL of the checkout at the root of the run's workspace (what a converted
    checkout task fetched), as Jenkins' Git plugin sets them after a checkout: {} when the workspace holds none."""
    if not workspace or not os.path.isdir(os.path.join(workspace, ".git")):
        return {}

    def git(*args: str) -> str:
        try:
            proc = subprocess.run(["git", "-C", workspace, *args], capture_output=True, text=True, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return ""
        return proc.stdout.strip() if proc.returncode == 0 else ""

    out = {"GIT_COMMIT": git("rev-parse", "--verify", "-q", "HEAD")}
    branch = git("symbolic-ref", "-q", "--short", "HEAD")
    if out["GIT_COMMIT"] and branch:
        out["GIT_BRANCH"] = f"origin/{branch}"  # the Git plugin's form for a branch fetched from origin
    out["GIT_URL"] = git("config", "--get", "remote.origin.url")
    return {k: v for k, v in out.items() if v}


def causes(run_type: str, user: str | None, conf: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Why the run started, as Jenkins cause class names (see the module docstring)."""
    given = (conf or {}).get(CAUSES_KEY)
    if isinstance(given, list):
        return [dict(c) if isinstance(c, Mapping) else {"name": str(c)} for c in given]
    kind = str(getattr(run_type, "value", run_type) or "")
    if kind == "scheduled":
        return [{"name": "TimerTriggerCause"}]
    if kind == "asset_triggered":
        return [{"name": "UpstreamCause"}]
    if kind == "manual" and user:
        return [{"name": "UserIdCause", "user": user}]
    return []


class BuildNumbers:
    """The per-DAG build counter kept in one JSON text (an Airflow Variable in production): `load()` returns the
    text or None, `save(text)` stores it."""

    def __init__(self, load: Callable[[], str | None], save: Callable[[str], None]) -> None:
        self.load, self.save = load, save

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.load() or "{}")
        except ValueError:
            doc = {}
        runs = doc.get("runs") if isinstance(doc.get("runs"), dict) else {}
        last = doc.get("last") if isinstance(doc.get("last"), int) else 0
        return {"last": max([last, *(n for n in runs.values() if isinstance(n, int))]), "runs": runs}

    def number(self, run_id: str) -> int:
        """This run's number: the one already given to it, else the next one (written, then read back)."""
        for _ in range(5):
            doc = self._read()
            if isinstance(doc["runs"].get(run_id), int):
                return int(doc["runs"][run_id])
            number = doc["last"] + 1
            runs = {**doc["runs"], run_id: number}
            if len(runs) > KEEP_RUNS:
                runs = dict(sorted(runs.items(), key=lambda kv: kv[1])[-KEEP_RUNS:])
            self.save(json.dumps({"last": number, "runs": runs}, sort_keys=True))
            if self._read()["runs"].get(run_id) == number:
                return number
        return number


def conf_build_number(conf: Mapping[str, Any] | None) -> int | None:
    value = (conf or {}).get("BUILD_NUMBER")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


def airflow_build_number(dag_id: str, run_id: str, conf: Mapping[str, Any] | None) -> int:
    """BUILD_NUMBER of an Airflow run: the run conf's, else the counter in the Airflow Variable."""
    given = conf_build_number(conf)
    if given is not None:
        return given
    key = VARIABLE_PREFIX + dag_id
    if hasattr(sys.modules.get("airflow.sdk.execution_time.task_runner"), "SUPERVISOR_COMMS"):
        from airflow.sdk import Variable  # a task, or the DAG processor running a callback

        counter = BuildNumbers(lambda: Variable.get(key, default=None), lambda text: Variable.set(key, text))
    else:  # no task SDK here (dag.test()'s callbacks): the metadata DB, as airflow.models.Variable reaches it
        from airflow.models.variable import Variable as DbVariable

        counter = BuildNumbers(lambda: DbVariable.get(key, default_var=None), lambda text: DbVariable.set(key, text))
    return counter.number(run_id)


def _base_url() -> str:
    try:
        from airflow.configuration import conf

        return str(conf.get("api", "base_url", fallback="") or "")
    except Exception:  # noqa: BLE001 - a missing or odd setting only means no BUILD_URL
        return ""


def from_context(context: Mapping[str, Any], *, job: str, workspace: str, stage: str = "") -> dict[str, str]:
    """Jenkins' variables (built-in and SCM facts) for the task whose Airflow context is `context` (`stage`: the
    Jenkins stage it comes from, for STAGE_NAME)."""
    run = context["dag_run"]
    conf = getattr(run, "conf", None) or {}
    ti = context.get("ti")
    number = airflow_build_number(run.dag_id, run.run_id, conf)
    env = jenkins_variables(job=job, build_number=number, workspace=workspace, dag_id=run.dag_id,
                            run_id=run.run_id, node=str(getattr(ti, "hostname", "") or ""), base_url=_base_url(),
                            stage=stage, jenkins_url=jenkins_url())
    env.update(scm_variables(conf))
    if "GIT_COMMIT" not in env:  # not given by the trigger: the checkout this run made, if any
        env.update({k: v for k, v in checkout_variables(workspace).items() if k not in env})
    return env


def recorded_outputs(context: Mapping[str, Any], wanted: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """What earlier tasks of the run recorded (XCom keys `stdout`, `status`) for the (task, key) pairs an expression
    reads. A matrix cell (a mapped task instance) reads the value of its own cell from a task of the same matrix.
    Nothing recorded (the task was skipped or has not run) leaves the pair out: evaluating then fails, naming it."""
    ti = context.get("ti")
    out: dict[str, dict[str, Any]] = {}
    if ti is None:
        return out
    index = getattr(ti, "map_index", -1)
    for task, key in sorted(wanted):
        value = ti.xcom_pull(task_ids=task, key=key)
        if isinstance(value, list):  # a mapped task: one value per cell
            value = ti.xcom_pull(task_ids=task, key=key, map_indexes=index) if isinstance(index, int) and \
                index >= 0 else None
        if value is not None:
            out.setdefault(task, {})[key] = value
    return out


def run_context(context: Mapping[str, Any], *, params: Mapping[str, Any], env: Mapping[str, str],
                outputs: Mapping[str, Mapping[str, Any]] | None = None) -> Context:
    """The facts an expression tree reads at run time (expressions.Context) for the task of `context`: the run's
    parameters, `env` (the task's environment, Jenkins' variables included), recorded outputs, the build number and
    result so far (from the states of the run's other tasks), and the causes."""
    run, ti = context["dag_run"], context.get("ti")
    failed = False
    if ti is not None and hasattr(ti, "get_task_states"):
        states = ti.get_task_states(dag_id=run.dag_id, run_ids=[run.run_id]).get(run.run_id) or {}
        failed = any(str(getattr(s, "value", s)) in _FAILED for s in states.values())
    build: dict[str, Any] = {"result": "FAILURE" if failed else None,
                             "currentResult": "FAILURE" if failed else "SUCCESS"}
    if env.get("BUILD_NUMBER", "").isdigit():
        build["number"] = int(env["BUILD_NUMBER"])
    conf = getattr(run, "conf", None) or {}
    return Context(params=dict(params), env=dict(env), outputs=dict(outputs or {}), build=build,
                   causes=causes(getattr(run, "run_type", ""), getattr(run, "triggering_user_name", None), conf))

"""The specs of the four document kinds: what is versioned, hashed and validated.

Cross-field rules (unknown task ids, dependency cycles, default types) raise through `errors.issues` so every
problem names its field path relative to the spec.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jenkins2flow_runtime.expressions import ExpressionError, check
from jenkins2flow_runtime.model.cron import check_cron
from jenkins2flow_runtime.model.errors import Loc, issues

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
TASK_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,249}$")
PARAM_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,199}$")
CALLABLE_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,199}$")
# Tasks in one pipeline: Airflow parses, serializes and schedules every DAG whole, and the graph checks here grow
# with the edges; a pipeline above this is refused with a field error before its tasks are read.
MAX_TASKS = 5_000

Kind = Literal["concrete_task", "view_task", "parameter_template", "pipeline"]
KINDS: tuple[Kind, ...] = ("concrete_task", "view_task", "parameter_template", "pipeline")
Status = Literal["draft", "published", "retired"]
# Task ids the runtime adds to every DAG it builds start with this prefix, so no pipeline task may: the asset
# marker tasks (jenkins2flow_runtime.airflow.sync.asset_markers) and any internal task to come.
RESERVED_TASK_PREFIX = "jenkins2flow_"
MARKER_TASK_IDS = {"success": "jenkins2flow_succeeded", "done": "jenkins2flow_ended"}
RESERVED_TASK_IDS = frozenset(MARKER_TASK_IDS.values())
ParamType = Literal["string", "text", "boolean", "choice", "password", "integer", "number"]
# What a task records for later tasks (Jenkins `sh(returnStdout: true)` / `sh(returnStatus: true)`), as XCom keys.
OutputKey = Literal["stdout", "status"]


def check_name(value: str, what: str = "name", pattern: re.Pattern[str] = NAME_RE) -> str:
    if not pattern.match(value):
        raise ValueError(
            f"{what} {value!r} is not valid: use letters, digits, '_', '.', '-' (pattern {pattern.pattern})"
        )
    return value


def is_reserved_task_id(task_id: str) -> bool:
    """Whether `task_id` is one the runtime keeps for its own tasks (a pipeline task may not use it)."""
    return task_id.startswith(RESERVED_TASK_PREFIX)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamSpec(Strict):
    name: str = Field(description="The parameter's name, as tasks and SQL templates see it (`params.NAME`).")
    type: ParamType = Field(default="string", description="Its type; `password` values are never shown by the UI.")
    default: Any = Field(default=None, description="The value when a run does not give one (of the parameter's type).")
    required: bool = Field(default=False, description="A run must give a value.")
    choices: list[str] = Field(default_factory=list, description="For `choice`: the allowed values, in order.")
    description: str = Field(default="", description="What the parameter means, shown to whoever triggers a run.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return check_name(v, "parameter name", PARAM_RE)

    @model_validator(mode="after")
    def _default_type(self) -> ParamSpec:
        d = self.default
        if d is None:
            return self
        ok = {
            "boolean": isinstance(d, bool),
            "integer": isinstance(d, int) and not isinstance(d, bool),
            "number": isinstance(d, int | float) and not isinstance(d, bool),
        }.get(self.type, isinstance(d, str))
        if not ok:
            raise issues((("default",), f"default {d!r} is not of parameter type {self.type!r}"))
        if self.type == "choice" and self.choices and d not in self.choices:
            raise issues((("default",), f"default {d!r} is not one of the choices {self.choices!r}"))
        return self


class SecretRef(Strict):
    """A secret by reference: the env var it fills and the Airflow connection or variable it comes from."""

    env: str = Field(description="The environment variable the secret fills when the task runs.")
    source: Literal["connection", "variable"] = Field(
        default="variable", description="Where Airflow keeps the secret: a connection or a variable.")
    id: str = Field(description="The Airflow connection or variable id (a reference: never the value).")
    field: str = Field(default="", description="For connections: login, password, host, or an extra key.")
    param_default: bool = Field(default=False, description="The default of the parameter of the same name (a secret "
                                "written in clear in Jenkins): used only when the run gives that parameter no value.")
    as_file: bool = Field(default=False, description="Jenkins' file bindings (file, sshUserPrivateKey's key file): "
                          "the variable holds the path of a file holding the secret, readable by the task's user "
                          "only and removed when the task ends, not the secret itself.")


def _param_dupes(params: list[ParamSpec], at: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    out: list[tuple[Loc, str]] = []
    for i, p in enumerate(params):
        if p.name in seen:
            out.append(((at, i, "name"), f"duplicate parameter {p.name!r}"))
        seen.add(p.name)
    return out


class ConcreteTaskSpec(Strict):
    type: Literal["python", "shell", "container"] = Field(
        description="What runs: a Python callable, a shell script, or a container image (on Fargate).")
    callable: str = Field(default="", description="python: the function to call, `pkg.module:function`.")
    command: str = Field(default="", description="shell: the script, run as written (never templated); container: the "
                         "command run in the image.", json_schema_extra={"x-widget": "code", "x-language": "shell"})
    shell: Literal["sh", "bat", "powershell"] = Field(default="sh", description="shell: which shell runs the script.")
    image: str = Field(default="", description="container: the image, e.g. `python:3.12-slim`.")
    cpu: int = Field(default=256, gt=0, description="container: CPU units (1024 = one vCPU).")
    memory: int = Field(default=512, gt=0, description="container: memory in MiB.")
    parameters: list[ParamSpec] = Field(default_factory=list, description="The parameters the task reads.")
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables (name: value); no "
                                "secrets here, use `secrets`.")
    secrets: list[SecretRef] = Field(default_factory=list, description="Secrets by reference to Airflow "
                                     "connections or variables, put in the environment at run time.")
    ssh_agent: list[str] = Field(default_factory=list, description="Jenkins sshagent: the secrets (by env name) "
                                 "that are private keys, loaded into an ssh-agent of the task's own for its command "
                                 "(SSH_AUTH_SOCK) instead of being environment variables.")
    retries: int = Field(default=0, ge=0, description="How many times a failed run is retried.")
    retry_delay_seconds: int = Field(default=60, ge=0, description="Seconds between retries.")
    timeout_seconds: int | None = Field(
        default=None, gt=0, description="A run longer than this fails (empty: no limit).")
    description: str = Field(default="", description="What the task does, for whoever reuses it.",
                             json_schema_extra={"x-widget": "textarea"})
    tags: list[str] = Field(default_factory=list, description="Free labels for search and filters.")

    @model_validator(mode="after")
    def _by_type(self) -> ConcreteTaskSpec:
        found: list[tuple[Loc, str]] = []
        envs = {s.env for s in self.secrets}
        found += [(("ssh_agent", i), f"{name!r} is not the env of one of the task's secrets")
                  for i, name in enumerate(self.ssh_agent) if name not in envs]
        files = {s.env for s in self.secrets if s.as_file}
        found += [(("ssh_agent", i), f"{name!r} is a secret file's path, not a key an ssh-agent can hold")
                  for i, name in enumerate(self.ssh_agent) if name in files]
        if self.type == "python" and not CALLABLE_RE.match(self.callable):
            found.append((("callable",), f"python task needs a callable 'pkg.module:function', got {self.callable!r}"))
        if self.type == "shell" and not self.command.strip():
            found.append((("command",), "shell task needs a command"))
        if self.type == "container" and not self.image:
            found.append((("image",), "container task needs an image"))
        found += _param_dupes(self.parameters, "parameters")
        if found:
            raise issues(*found)
        return self


class ViewTaskSpec(Strict):
    sql: str = Field(description="The SQL, a Jinja template rendered in a sandbox at run time: `params`, "
                     "`results`, `ds`, `ds_nodash`, `ts`, `logical_date`, `run_id`, `dag_id`, `task_id`.",
                     json_schema_extra={"x-widget": "code", "x-language": "sql"})
    connection: str = Field(default="default", description="The Airflow connection id the SQL runs on.")
    materialize: Literal["query", "view", "table", "insert"] = Field(
        default="query", description="Run the query as is, or create a view / table from it, or insert its rows.")
    target: str = Field(default="", description="view, table, insert: the `table` or `schema.table` written.")
    capture: bool = Field(default=False, description="Keep the query's rows (up to 1,000) for downstream tasks.")
    parameters: list[ParamSpec] = Field(default_factory=list, description="The parameters the SQL reads.")
    description: str = Field(
        default="", description="What the view computes.", json_schema_extra={"x-widget": "textarea"})
    tags: list[str] = Field(default_factory=list, description="Free labels for search and filters.")

    @model_validator(mode="after")
    def _target(self) -> ViewTaskSpec:
        found: list[tuple[Loc, str]] = []
        if not self.sql.strip():
            found.append((("sql",), "sql must not be empty"))
        if self.materialize != "query" and not self.target:
            found.append((("target",), f"materialize {self.materialize!r} needs a target"))
        found += _param_dupes(self.parameters, "parameters")
        if found:
            raise issues(*found)
        return self


class ParameterTemplateSpec(Strict):
    parameters: list[ParamSpec] = Field(description="The parameters of the set, in the order a run form shows them.")
    description: str = Field(default="", description="When to use this parameter set.",
                             json_schema_extra={"x-widget": "textarea"})
    tags: list[str] = Field(default_factory=list, description="Free labels for search and filters.")

    @model_validator(mode="after")
    def _dupes(self) -> ParameterTemplateSpec:
        if found := _param_dupes(self.parameters, "parameters"):
            raise issues(*found)
        return self


class Ref(Strict):
    """A pinned reference to another document. Version 0 means "the latest version when the pipeline is saved":
    the store resolves it in the same transaction, so a batch can save tasks and the pipelines using them at once."""

    kind: Kind = Field(description="The kind of the document referred to.")
    name: str = Field(description="Its name.")
    version: int = Field(default=0, ge=0, description="The pinned version; 0 pins the latest one when saved.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return check_name(v)

    def key(self) -> str:
        return f"{self.kind}/{self.name}"

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r} version {self.version}"


AssetOn = Literal["success", "done"]


def pipeline_asset_uri(pipeline: str, on: str = "success") -> str:
    """The Airflow asset a pipeline updates at its end: on success, or (`done`) whatever its result."""
    return f"jenkins2flow://pipeline/{pipeline}" + ("/done" if on == "done" else "")


class Upstream(Strict):
    """A pipeline whose end starts this one (Jenkins upstream / reverse build trigger / upstream BuildTrigger):
    `success` -> when it succeeds (threshold SUCCESS, UNSTABLE), `done` -> whatever its result (FAILURE)."""

    pipeline: str = Field(description="The upstream pipeline's name.")
    on: AssetOn = Field(default="success", description="`success`: when it succeeds; `done`: whatever its result.")

    @field_validator("pipeline")
    @classmethod
    def _check_pipeline(cls, v: str) -> str:
        return check_name(v, "upstream pipeline name")


class Schedule(Strict):
    cron: list[str] = Field(default_factory=list, description="Five-field cron lines (Jenkins `H` already "
                            "resolved); a run starts at each time any line gives.")
    timezone: str = Field(
        default="UTC", description="The IANA timezone the cron lines are read in, e.g. `Europe/Paris`.")
    jenkins_spec: str = Field(default="", description="The original Jenkins spec text, for reference.",
                              json_schema_extra={"x-widget": "textarea"})
    and_dom_dow: bool = Field(
        default=False, description="Fire only when day-of-month AND day-of-week both match (Jenkins' rule); "
        "standard cron fires when either does.")
    upstream: list[Upstream] = Field(default_factory=list, description="Pipelines whose end starts a run (any "
                                     "of them, as well as the cron).")

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: list[str]) -> list[str]:
        found: list[tuple[Loc, str]] = []
        for i, expr in enumerate(v):
            try:
                check_cron(expr)
            except ValueError as err:
                found.append(((i,), str(err)))
        if found:
            raise issues(*found)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}; use an IANA name such as 'Europe/Paris'") from None
        return v


class PipelineParameters(Strict):
    templates: list[Ref] = Field(default_factory=list, description="Parameter templates whose parameters the "
                                 "pipeline takes, in order.")
    overrides: list[ParamSpec] = Field(default_factory=list, description="Parameters of this pipeline only, or "
                                       "a template's parameter redefined (same name).")

    @model_validator(mode="after")
    def _kinds(self) -> PipelineParameters:
        found: list[tuple[Loc, str]] = [
            (("templates", i, "kind"), f"a parameter template reference must be a parameter_template, not {r.kind!r}")
            for i, r in enumerate(self.templates)
            if r.kind != "parameter_template"
        ]
        found += _param_dupes(self.overrides, "overrides")
        if found:
            raise issues(*found)
        return self


class Deadline(Strict):
    """A time limit shared by a group of tasks (a Jenkins stage's `options { timeout }` or a `timeout {}` block):
    the budget runs from the moment the `clock` task (jenkins2flow_runtime.control:enter) ran in the run, so every
    task of the group gets what is left of `seconds` when it starts, and fails once it is spent."""

    clock: str = Field(description="The id of the task whose run starts the group's time (its clock).")
    seconds: int = Field(gt=0, description="The limit the group's tasks share, in seconds.")
    what: Literal["stage", "block"] = Field(default="block", description="A stage's timeout option, or a "
                                            "`timeout {}` block.")
    label: str = Field(default="", description="Where in Jenkins (e.g. stage 'Load', timeout at Jenkinsfile:12:5), "
                       "named when the limit is exceeded.")


class PipelineTask(Strict):
    id: str = Field(description="The task's stable id in the pipeline (the Airflow task id).")
    title: str = Field(default="", description="A readable name shown beside the id (converted tasks: from the Jenkins "
                       "stage and step); the Airflow task's display name.")
    uses: Ref = Field(description="The concrete task or view task this step runs, at a pinned version.")
    bindings: dict[str, Any] = Field(default_factory=dict, description="Parameter values for this use (name: "
                                     "value), over the pipeline's parameters.")
    depends_on: list[str] = Field(default_factory=list, description="Ids of the tasks that must end first.")
    trigger_rule: str = Field(default="all_success", description="When the task runs, given its upstream tasks' states "
                              "(Airflow trigger rule: all_success, all_done, one_failed, none_failed...).")
    retries: int | None = Field(default=None, ge=0, description="Retries for this use (empty: the task's own).")
    timeout_seconds: int | None = Field(default=None, gt=0, description="Timeout for this use (empty: the task's own).")
    executor: Literal["local", "fargate"] = Field(
        default="local", description="Where it runs: on the Airflow worker, or as an AWS Fargate task.")
    queue: str = Field(default="", description="The Airflow queue (empty: the default one).")
    pool: str = Field(default="", description="The Airflow pool (empty: the default one); from Jenkins agent label "
                      "rules in mappings/environments.yaml.")
    deadlines: list[Deadline] = Field(default_factory=list, description="The shared time limits of the timeout "
                                      "groups (Jenkins stage or timeout block) the task is in; its own timeout holds.")
    matrix: list[dict[str, str]] = Field(default_factory=list, description="A Jenkins matrix: one mapping per "
                                         "cell (axis: value); the task runs once per cell. Empty: once.")
    """A Jenkins `matrix`: one dict per cell (axis name -> value), excludes already removed, in Jenkins' order.
    Empty: a plain task. Otherwise the task runs once per cell as an Airflow mapped task, each instance with its
    cell's values as parameters (over the bindings and over the run conf: a Jenkins cell always gets its axis
    values). Every cell has the same axis names, each valid as an environment variable; no cell twice."""
    env: dict[str, str | dict[str, Any]] = Field(default_factory=dict, description="Environment variables of this "
                                                 "use (name: text, or an expression computed in the run); they beat "
                                                 "parameters of the same name.")
    """Environment variables of the task (Jenkins `environment {}`, `withEnv`, `env.X = ...`, and the run-time
    values a script uses): a string as written, or an expression tree (jenkins2flow_runtime.expressions) evaluated
    when the task starts, to its Groovy string. They beat the parameters of the same name, as in Jenkins; secrets
    beat them."""
    outputs: list[OutputKey] = Field(default_factory=list, description="What the task records for later tasks: "
                                     "stdout, status (then it succeeds whatever its exit code).")
    """What the task records for later tasks, as XCom keys: `stdout` (its whole standard output, untrimmed, as
    `sh(returnStdout: true)` returns it) and/or `status` (its exit code; with `status` the task succeeds whatever
    the code, as `sh(returnStatus: true)` does). Later tasks read them through `{"output": id, "key": ...}` trees."""
    condition: dict[str, Any] | None = Field(default=None, description="A Jenkins `when` decided per matrix cell "
                                             "(an expression): false, the cell runs nothing here.")
    """A Jenkins `when` decided per matrix cell (an expression tree): evaluated when the task starts; false -> the
    task instance runs nothing and ends (a matrix cell's stage that Jenkins skips); failing -> the task fails."""
    stage: str = Field(default="", description="The Jenkins stage the task comes from: STAGE_NAME in its environment "
                       "(empty: outside any stage, STAGE_NAME unset, as in Jenkins).")

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        if is_reserved_task_id(v):
            raise ValueError(f"task id {v!r} is reserved: ids starting with {RESERVED_TASK_PREFIX!r} name the "
                             f"runtime's own tasks ({', '.join(sorted(RESERVED_TASK_IDS))}); rename the task")
        return check_name(v, "task id", TASK_ID_RE)

    @model_validator(mode="after")
    def _uses(self) -> PipelineTask:
        found: list[tuple[Loc, str]] = []
        if self.uses.kind not in ("concrete_task", "view_task"):
            found.append((("uses", "kind"),
                          f"a pipeline task uses a concrete_task or view_task, not {self.uses.kind!r}"))
        found += _matrix_issues(self.matrix)
        found += _tree_issues(self)
        if found:
            raise issues(*found)
        return self


def _tree_issues(task: PipelineTask) -> list[tuple[Loc, str]]:
    """Env names valid, every expression tree well formed; env, outputs and conditions only on concrete tasks."""
    found: list[tuple[Loc, str]] = []
    trees: list[tuple[Loc, Any]] = [(("env", name), v) for name, v in task.env.items() if not isinstance(v, str)]
    found += [(("env", name), f"environment variable name {name!r} is not valid (pattern {ENV_NAME_RE.pattern}, or "
               "NAME+SUFFIX: prepended to NAME)") for name in task.env if not ENV_NAME_RE.match(name.split("+", 1)[0])
              or ("+" in name and not ENV_NAME_RE.match(name.split("+", 1)[1]))]
    if task.condition is not None:
        trees.append((("condition",), task.condition))
    for loc, tree in trees:
        try:
            check(tree)
        except ExpressionError as exc:
            found.append((loc, f"not a valid expression tree: {exc}"))
    if task.uses.kind != "concrete_task":
        found += [((key,), f"a {task.uses.kind} cannot have {key}") for key in ("env", "outputs", "condition")
                  if getattr(task, key)]
    if len(set(task.outputs)) != len(task.outputs):
        found.append((("outputs",), f"outputs {task.outputs!r} name a key twice"))
    return found


def _matrix_issues(cells: list[dict[str, str]]) -> list[tuple[Loc, str]]:
    """Matrix cells: at least one axis, names valid as env vars, the same axes in every cell, no cell twice."""
    found: list[tuple[Loc, str]] = []
    if not cells:
        return found
    axes = list(cells[0])
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for i, cell in enumerate(cells):
        if not cell:
            found.append((("matrix", i), "a matrix cell needs at least one axis value"))
            continue
        found += [(("matrix", i, name), f"axis name {name!r} is not valid as an environment variable name "
                   f"(pattern {ENV_NAME_RE.pattern})") for name in cell if not ENV_NAME_RE.match(name)]
        if i and sorted(cell) != sorted(axes):
            found.append((("matrix", i), f"cell has axes {sorted(cell)!r}, but matrix[0] has {sorted(axes)!r}; "
                          "every cell has the same axes"))
        key = tuple(sorted(cell.items()))
        if key in seen:
            found.append((("matrix", i), f"cell {cell!r} repeats matrix[{seen[key]}]"))
        seen.setdefault(key, i)
    return found


class Notification(Strict):
    on: Literal["success", "failure", "retry", "always"] = Field(
        default="failure", description="The run outcome that sends it.")
    channel: Literal["email", "slack", "other"] = Field(default="email", description="How it is sent.")
    to: list[str] = Field(default_factory=list, description="Recipients: addresses or channels, one per line.")
    subject: str = Field(default="", description="The subject line.")
    body: str = Field(default="", description="The message.", json_schema_extra={"x-widget": "textarea"})
    # Jenkins post `changed`/`fixed`/`regression`, email-ext's 1st failure / still failing: send only when that
    # condition holds for the run (jenkins2flow_runtime.fallback.post_condition_holds on this run's and the previous
    # completed run's results).
    condition: Literal["", "changed", "fixed", "regression", "first_failure", "still_failing"] = Field(
        default="", description="Jenkins post `changed`/`fixed`/`regression`, email-ext's 1st failure / still "
        "failing: send only when that holds for the run.")
    values: dict[Literal["to", "subject", "body"], dict[str, Any]] = Field(
        default_factory=dict, description="Fields computed in the run (expression trees), evaluated when it is sent.")
    """Fields Jenkins computes in the build (`subject: "${env.JOB_NAME} #${env.BUILD_NUMBER}"`): expression trees
    (jenkins2flow_runtime.expressions) evaluated when the notification is sent, replacing the field (`to`: a string
    split on commas and spaces, a list item by item, null none: notify.recipients); the field itself keeps the Jenkins
    text (`to`: the addresses written as such). A value that cannot be computed fails a notification task, sending
    nothing, as Jenkins fails the build; a callback, which cannot fail the run, sends that text
    instead (the converter makes callbacks only of steps whose fields cannot throw)."""

    @model_validator(mode="after")
    def _trees(self) -> Notification:
        found: list[tuple[Loc, str]] = []
        for key, tree in self.values.items():
            try:
                check(tree)
            except ExpressionError as exc:
                found.append((("values", key), f"not a valid expression tree: {exc}"))
        if found:
            raise issues(*found)
        return self


class Provenance(Strict):
    job: str = Field(
        default="", description="The Jenkins job's full name (folder/job) this pipeline was converted from.")
    source: str = Field(default="", description="The file it was read from.")
    config_sha256: str = Field(default="", description="The sha256 of that file, to tell when the job changed.")
    diagnostics: list[str] = Field(default_factory=list, description="What the conversion flagged, with "
                                   "`file:line:col`.")


class JenkinsFallback(Strict):
    """Why a pipeline's `tasks` trigger the whole Jenkins job instead of running the converted work: the job (full
    name) and, per element that could not be converted, `file:line:col: element: reason`. The converted draft is in
    `PipelineSpec.draft_tasks`; the draft's notifications wait here (the Jenkins job sends its own meanwhile)."""

    job: str = Field(description="The Jenkins job's full name (folder/job) the pipeline triggers.")
    reasons: list[str] = Field(default_factory=list, description="Each element that could not be converted, as "
                               "`file:line:col: element: reason`.")
    notifications: list[Notification] = Field(default_factory=list, description="The draft's notifications, "
                                              "restored when the draft is promoted (Jenkins sends its own meanwhile).")


def _graph_issues(tasks: list[PipelineTask], at: str = "tasks") -> list[tuple[Loc, str]]:
    """Duplicate ids, dependencies on missing tasks, and cycles (each cycle reported once, at its first edge)."""
    found: list[tuple[Loc, str]] = []
    index: dict[str, int] = {}
    for i, t in enumerate(tasks):
        if t.id in index:
            found.append(((at, i, "id"), f"duplicate task id {t.id!r} (first at {at}[{index[t.id]}])"))
        else:
            index[t.id] = i
    for i, t in enumerate(tasks):
        for j, dep in enumerate(t.depends_on):
            if dep not in index:
                close = [k for k in index if k.lower().startswith(dep.lower()[:2])]
                hint = f"; did you mean {close[0]!r}?" if close else ""
                found.append(((at, i, "depends_on", j), f"unknown task {dep!r}{hint}"))
            elif dep == t.id:
                found.append(((at, i, "depends_on", j), f"task {dep!r} depends on itself"))
        for j, d in enumerate(t.deadlines):
            if d.clock not in index or d.clock == t.id:
                found.append(((at, i, "deadlines", j, "clock"), f"the clock {d.clock!r} of a deadline must be "
                              "another task of the pipeline"))
    # cycles: iterative DFS over known edges
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()
    for start in index:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, j = stack[-1]
            deps = [d for d in tasks[index[node]].depends_on if d in index and d != node]
            if j < len(deps):
                stack[-1] = (node, j + 1)
                dep = deps[j]
                if state.get(dep) == 1:
                    cycle = path[path.index(dep) :] + [dep]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        k = tasks[index[node]].depends_on.index(dep)
                        found.append(
                            ((at, index[node], "depends_on", k), "dependency cycle " + " -> ".join(cycle))
                        )
                elif not state.get(dep):
                    state[dep] = 1
                    stack.append((dep, 0))
                    path.append(dep)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return found


class PipelineSpec(Strict):
    description: str = Field(
        default="", description="What the pipeline does.", json_schema_extra={"x-widget": "textarea"})
    schedule: Schedule | None = Field(default=None, description="When it runs by itself (empty: only when triggered).")
    paused: bool = Field(default=False, description="Created paused, with no schedule: the Jenkins job is disabled, "
                         "so no run starts until someone unpauses the DAG (Jenkins: enables the job).")
    parameters: PipelineParameters = Field(default_factory=PipelineParameters, description="The parameters a run "
                                           "takes: templates, then this pipeline's own.")
    tasks: list[PipelineTask] = Field(description="The steps and their dependencies.")
    notifications: list[Notification] = Field(default_factory=list, description="Messages sent when a run ends.")
    owners: list[str] = Field(default_factory=list, description="People who own the pipeline (user names); with "
                              "`team`, the only ones who may edit or publish it.")
    team: str = Field(default="", description="The team that owns the pipeline; its members may edit and publish it.")
    access_control: dict[str, list[str]] = Field(default_factory=dict, description="Airflow role: permissions on "
                                                 "the DAG (e.g. `Op: [can_read, can_edit]`).")
    tags: list[str] = Field(default_factory=list, description="Free labels for search and filters (DAG tags).")
    max_active_runs: int | None = Field(default=None, gt=0, description="How many runs may be active at once (empty: "
                                        "Airflow's default).")
    dagrun_timeout_seconds: int | None = Field(default=None, gt=0, description="The limit of one whole run in "
                                               "seconds (Jenkins' pipeline timeout, the build-timeout wrapper); not "
                                               "applied while the job runs on Jenkins (jenkins_fallback).")
    shadow_outputs: list[dict[str, Any]] = Field(default_factory=list, description="What a shadow run compares "
                                                 "between the Jenkins build and the Airflow run.")
    # the assets this pipeline updates at its end (pipeline_asset_uri), for pipelines whose Schedule.upstream names it
    asset_events: list[AssetOn] = Field(default_factory=list, description="Airflow assets updated when a run ends "
                                        "(for pipelines that start after this one).")
    provenance: Provenance = Field(default_factory=Provenance, description="Where the pipeline came from.")
    # A pipeline whose job could not be converted as a whole: `tasks` is one task triggering the Jenkins job, and
    # the converted work waits here for review (never run by Airflow: a DAG is built from `tasks` only). Promoting
    # the draft moves draft_tasks into tasks and clears jenkins_fallback (docs/conversion-status.md).
    draft_tasks: list[PipelineTask] = Field(default_factory=list, description="The converted tasks, kept for review "
                                            "while the job still runs on Jenkins (never run by Airflow).")
    jenkins_fallback: JenkinsFallback | None = Field(default=None, description="Set while the whole job runs on "
                                                     "Jenkins: the job and why it could not be converted.")

    @field_validator("tasks", mode="before")
    @classmethod
    def _task_count(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > MAX_TASKS:
            raise ValueError(f"a pipeline holds at most {MAX_TASKS:,} tasks; this one has {len(value):,}: split the "
                             "job into several pipelines")
        return value

    @model_validator(mode="after")
    def _graph(self) -> PipelineSpec:
        if found := _graph_issues(self.tasks) + _graph_issues(self.draft_tasks, "draft_tasks"):
            raise issues(*found)
        return self

    def refs(self) -> list[tuple[Loc, Ref]]:
        """Every pinned reference with its field path: parameter templates, the tasks' `uses`, then the draft's
        (so a draft that is promoted later finds its documents in the store, pinned and published alike)."""
        templates = self.parameters.templates
        out: list[tuple[Loc, Ref]] = [(("parameters", "templates", i), r) for i, r in enumerate(templates)]
        out += [(("tasks", i, "uses"), t.uses) for i, t in enumerate(self.tasks)]
        out += [(("draft_tasks", i, "uses"), t.uses) for i, t in enumerate(self.draft_tasks)]
        return out

    def pinned(self, versions: dict[str, int]) -> PipelineSpec:
        """A copy with each version-0 reference to a document of `versions` (by `Ref.key()`) pinned to its version
        (>= 1): only those Ref objects change, so nothing needs validating again."""

        def pin(ref: Ref) -> Ref:
            version = versions.get(ref.key(), 0) if ref.version == 0 else 0
            return ref.model_copy(update={"version": version}) if version >= 1 else ref

        def tasks(items: list[PipelineTask]) -> list[PipelineTask]:
            return [t if (r := pin(t.uses)) is t.uses else t.model_copy(update={"uses": r}) for t in items]

        params = self.parameters
        return self.model_copy(update={
            "parameters": params.model_copy(update={"templates": [pin(r) for r in params.templates]}),
            "tasks": tasks(self.tasks), "draft_tasks": tasks(self.draft_tasks)})

    def promoted(self) -> PipelineSpec:
        """The spec with its reviewed draft as the tasks that run: draft_tasks become tasks, the fallback record's
        notifications come back, and the record is cleared."""
        if self.jenkins_fallback is None or not self.draft_tasks:
            raise ValueError("this pipeline has no draft to promote: its tasks already run the converted work")
        data = self.model_dump(mode="json")
        data["tasks"], data["draft_tasks"] = data["draft_tasks"], []
        notes = data["notifications"] + data["jenkins_fallback"]["notifications"]
        data["notifications"] = [n for i, n in enumerate(notes) if n not in notes[:i]]
        data["jenkins_fallback"] = None
        return PipelineSpec.model_validate(data)


SPEC_TYPES: dict[str, type[Strict]] = {
    "concrete_task": ConcreteTaskSpec,
    "view_task": ViewTaskSpec,
    "parameter_template": ParameterTemplateSpec,
    "pipeline": PipelineSpec,
}

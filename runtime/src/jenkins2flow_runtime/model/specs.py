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
    name: str
    type: ParamType = "string"
    default: Any = None
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    description: str = ""

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

    env: str
    source: Literal["connection", "variable"] = "variable"
    id: str
    field: str = ""  # for connections: login, password, host, extra key...


def _param_dupes(params: list[ParamSpec], at: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    out: list[tuple[Loc, str]] = []
    for i, p in enumerate(params):
        if p.name in seen:
            out.append(((at, i, "name"), f"duplicate parameter {p.name!r}"))
        seen.add(p.name)
    return out


class ConcreteTaskSpec(Strict):
    type: Literal["python", "shell", "container"]
    callable: str = ""  # python: "pkg.module:function"
    command: str = ""  # shell: the script; container: the command run in the image
    shell: Literal["sh", "bat", "powershell"] = "sh"
    image: str = ""
    cpu: int = Field(256, gt=0)
    memory: int = Field(512, gt=0)
    parameters: list[ParamSpec] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[SecretRef] = Field(default_factory=list)
    retries: int = Field(0, ge=0)
    retry_delay_seconds: int = Field(60, ge=0)
    timeout_seconds: int | None = Field(None, gt=0)
    description: str = ""
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _by_type(self) -> ConcreteTaskSpec:
        found: list[tuple[Loc, str]] = []
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
    sql: str
    connection: str = "default"
    materialize: Literal["query", "view", "table", "insert"] = "query"
    target: str = ""
    capture: bool = False
    parameters: list[ParamSpec] = Field(default_factory=list)
    description: str = ""
    tags: list[str] = Field(default_factory=list)

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
    parameters: list[ParamSpec]
    description: str = ""
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dupes(self) -> ParameterTemplateSpec:
        if found := _param_dupes(self.parameters, "parameters"):
            raise issues(*found)
        return self


class Ref(Strict):
    """A pinned reference to another document. Version 0 means "the latest version when the pipeline is saved":
    the store resolves it in the same transaction, so a batch can save tasks and the pipelines using them at once."""

    kind: Kind
    name: str
    version: int = Field(0, ge=0)

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

    pipeline: str
    on: AssetOn = "success"

    @field_validator("pipeline")
    @classmethod
    def _check_pipeline(cls, v: str) -> str:
        return check_name(v, "upstream pipeline name")


class Schedule(Strict):
    cron: list[str] = Field(default_factory=list)  # resolved five-field expressions, H replaced
    timezone: str = "UTC"
    jenkins_spec: str = ""  # the original Jenkins spec text
    and_dom_dow: bool = False  # Jenkins ANDs day-of-month and day-of-week: needs a timetable
    upstream: list[Upstream] = Field(default_factory=list)  # any of them ending starts a run (or the cron)

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
    templates: list[Ref] = Field(default_factory=list)
    overrides: list[ParamSpec] = Field(default_factory=list)

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


class PipelineTask(Strict):
    id: str
    uses: Ref
    bindings: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    trigger_rule: str = "all_success"
    retries: int | None = Field(None, ge=0)
    timeout_seconds: int | None = Field(None, gt=0)
    executor: Literal["local", "fargate"] = "local"
    queue: str = ""
    matrix: list[dict[str, str]] = Field(default_factory=list)
    """A Jenkins `matrix`: one dict per cell (axis name -> value), excludes already removed, in Jenkins' order.
    Empty: a plain task. Otherwise the task runs once per cell as an Airflow mapped task, each instance with its
    cell's values as parameters (over the bindings and over the run conf: a Jenkins cell always gets its axis
    values). Every cell has the same axis names, each valid as an environment variable; no cell twice."""
    env: dict[str, str | dict[str, Any]] = Field(default_factory=dict)
    """Environment variables of the task (Jenkins `environment {}`, `withEnv`, `env.X = ...`, and the run-time
    values a script uses): a string as written, or an expression tree (jenkins2flow_runtime.expressions) evaluated
    when the task starts, to its Groovy string. They beat the parameters of the same name, as in Jenkins; secrets
    beat them."""
    outputs: list[OutputKey] = Field(default_factory=list)
    """What the task records for later tasks, as XCom keys: `stdout` (its whole standard output, untrimmed, as
    `sh(returnStdout: true)` returns it) and/or `status` (its exit code; with `status` the task succeeds whatever
    the code, as `sh(returnStatus: true)` does). Later tasks read them through `{"output": id, "key": ...}` trees."""
    condition: dict[str, Any] | None = None
    """A Jenkins `when` decided per matrix cell (an expression tree): evaluated when the task starts; false -> the
    task instance runs nothing and ends (a matrix cell's stage that Jenkins skips); failing -> the task fails."""

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
    found += [(("env", name), f"environment variable name {name!r} is not valid (pattern {ENV_NAME_RE.pattern})")
              for name in task.env if not ENV_NAME_RE.match(name)]
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
    on: Literal["success", "failure", "retry", "always"] = "failure"
    channel: Literal["email", "slack", "other"] = "email"
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    body: str = ""
    # Jenkins post `changed`/`fixed`/`regression`: send only when that condition holds for the run
    # (jenkins2flow_runtime.fallback.post_condition_holds on this run's and the previous completed run's results).
    condition: Literal["", "changed", "fixed", "regression"] = ""
    values: dict[Literal["to", "subject", "body"], dict[str, Any]] = Field(default_factory=dict)
    """Fields Jenkins computes in the build (`subject: "${env.JOB_NAME} #${env.BUILD_NUMBER}"`): expression trees
    (jenkins2flow_runtime.expressions) evaluated when the notification is sent, replacing the field (`to` split on
    commas and spaces); the field itself keeps the Jenkins text, sent when a value cannot be computed."""

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
    job: str = ""
    source: str = ""
    config_sha256: str = ""
    diagnostics: list[str] = Field(default_factory=list)


def _graph_issues(tasks: list[PipelineTask]) -> list[tuple[Loc, str]]:
    """Duplicate ids, dependencies on missing tasks, and cycles (each cycle reported once, at its first edge)."""
    found: list[tuple[Loc, str]] = []
    index: dict[str, int] = {}
    for i, t in enumerate(tasks):
        if t.id in index:
            found.append((("tasks", i, "id"), f"duplicate task id {t.id!r} (first at tasks[{index[t.id]}])"))
        else:
            index[t.id] = i
    for i, t in enumerate(tasks):
        for j, dep in enumerate(t.depends_on):
            if dep not in index:
                close = [k for k in index if k.lower().startswith(dep.lower()[:2])]
                hint = f"; did you mean {close[0]!r}?" if close else ""
                found.append((("tasks", i, "depends_on", j), f"unknown task {dep!r}{hint}"))
            elif dep == t.id:
                found.append((("tasks", i, "depends_on", j), f"task {dep!r} depends on itself"))
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
                            (("tasks", index[node], "depends_on", k), "dependency cycle " + " -> ".join(cycle))
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
    description: str = ""
    schedule: Schedule | None = None
    parameters: PipelineParameters = Field(default_factory=PipelineParameters)
    tasks: list[PipelineTask]
    notifications: list[Notification] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    team: str = ""
    access_control: dict[str, list[str]] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    max_active_runs: int | None = Field(None, gt=0)
    shadow_outputs: list[dict[str, Any]] = Field(default_factory=list)
    # the assets this pipeline updates at its end (pipeline_asset_uri), for pipelines whose Schedule.upstream names it
    asset_events: list[AssetOn] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)

    @model_validator(mode="after")
    def _graph(self) -> PipelineSpec:
        if found := _graph_issues(self.tasks):
            raise issues(*found)
        return self

    def refs(self) -> list[tuple[Loc, Ref]]:
        """Every pinned reference with its field path: parameter templates, then the tasks' `uses`."""
        templates = self.parameters.templates
        out: list[tuple[Loc, Ref]] = [(("parameters", "templates", i), r) for i, r in enumerate(templates)]
        out += [(("tasks", i, "uses"), t.uses) for i, t in enumerate(self.tasks)]
        return out


SPEC_TYPES: dict[str, type[Strict]] = {
    "concrete_task": ConcreteTaskSpec,
    "view_task": ViewTaskSpec,
    "parameter_template": ParameterTemplateSpec,
    "pipeline": PipelineSpec,
}

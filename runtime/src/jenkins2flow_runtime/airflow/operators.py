"""The Airflow operators that run catalog tasks: concrete tasks (python, shell, container) and view tasks.

Nothing of a task spec is a template field: shell text from Jenkins is data and never passes through Airflow's
Jinja; view SQL is rendered by the sandboxed view engine only. Constructors only store references (the sync
engine shares one spec dict between every task that uses the same document), so building 5,000 of them is cheap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowTaskTimeout

from jenkins2flow_runtime import expressions, jenkins_env
from jenkins2flow_runtime.executors.environment import apply_prepends, prepend_command
from jenkins2flow_runtime.executors.shell import ShellError, run_shell
from jenkins2flow_runtime.executors.ssh_agent import ssh_agent
from jenkins2flow_runtime.params import declared_map, env_value, resolve
from jenkins2flow_runtime.workspace import SHADOW_FLAG, is_shadow, record_run, run_workspace


class TaskFailed(RuntimeError):
    """A task whose process or container ended badly; `exit_code` as Jenkins would report it."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class DeadlineExceeded(AirflowFailException):
    """The shared time limit of the task's group (a Jenkins stage or `timeout {}` block) is spent: no retry helps."""


class _CatalogOperator(BaseOperator):
    """Base of the catalog operators. They define no `__init__`: Airflow wraps every `__init__` of an operator
    class in `apply_defaults`, which deep-copies the DAG's params once per level, so the catalog fields are set by
    `create()` after BaseOperator's own constructor, and building an operator costs one level, not three."""

    template_fields = ()
    pipeline: str = ""
    spec: dict[str, Any] = {}  # replaced per instance by create()
    declared: list[dict[str, Any]] = []
    bindings: dict[str, Any] = {}

    @classmethod
    def create(
        cls,
        *,
        pipeline: str,
        spec: dict[str, Any],
        declared: list[dict[str, Any]],
        bindings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """The operator for one pipeline task: `spec` is the task document's spec (JSON form, shared between
        the tasks that use it), `declared` the pipeline's parameter declarations, `bindings` the task's."""
        extra = {k: kwargs.pop(k) for k in cls._extra_fields if k in kwargs}
        op = cls(**kwargs)
        op.pipeline, op.spec, op.declared, op.bindings = pipeline, spec, declared, bindings or {}
        for k, v in extra.items():
            setattr(op, k, v)
        return op

    _extra_fields: tuple[str, ...] = ("deadlines", "limit_seconds")
    # The pipeline task's run-time facts (model.PipelineTask env, outputs, condition), set by create().
    task_env: dict[str, Any] = {}
    record: tuple[str, ...] = ()
    cell_condition: dict[str, Any] | None = None
    matrix_cell: dict[str, str] = {}  # a mapped instance's Jenkins matrix cell (axis name -> value)
    # The shared limits of the groups the task is in (model.Deadline as dicts); with them, the task's own timeout
    # is `limit_seconds` (not execution_timeout) and `within_limits` enforces whichever ends first.
    deadlines: list[dict[str, Any]] = []
    limit_seconds: float | None = None

    @classmethod
    def create_mapped(cls, *, cells: list[dict[str, str]], **kwargs: Any) -> Any:
        """The mapped operator for a pipeline task with a Jenkins `matrix`: one instance per cell, labelled
        "AXIS=value AXIS=value" in the UI. Takes the keyword arguments of `create()`. Airflow builds mapped
        instances through the class's `__init__`, hence the `Mapped*` subclasses, which have one."""
        mapped = _MAPPED[cls]
        return mapped.partial(map_index_template="{{ task.cell_label }}", **kwargs).expand(matrix_cell=cells)

    @property
    def cell_label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.matrix_cell.items())

    def keep_run_version(self, context: Any) -> None:
        """Run as the pipeline version published when the run started, when the DAG now comes from another one
        (Airflow parses the DAG file again for every task: see pinning.py)."""
        from jenkins2flow_runtime.airflow.pinning import run_version_task

        task = run_version_task(self, context)
        if task is None:
            return
        self.log.info("Pipeline %r version %d was published when this run started; the DAG now comes from another "
                      "version: running task %r as version %d has it.", self.pipeline, task.version, self.task_id,
                      task.version)
        self.spec, self.declared, self.bindings = task.spec, task.declared, task.bindings
        self.task_env, self.record, self.cell_condition = task.env, tuple(task.outputs), task.condition
        if isinstance(self, ConcreteTaskOperator):
            self.run_on = task.executor

    def budget(self, context: Any, now: float | None = None) -> tuple[float | None, str, bool]:
        """The seconds this try may run, what ends it, and whether that is a group's limit (else its own timeout).
        A group's budget runs from its clock task (jenkins2flow_runtime.control:enter) in this run."""
        now = time.time() if now is None else now
        best: float | None = self.limit_seconds
        why, shared = (f"task timeout of {self.limit_seconds:g} s exceeded" if self.limit_seconds else ""), False
        for d in self.deadlines:
            clock = context["ti"].xcom_pull(task_ids=d["clock"], map_indexes=-1)
            started = clock.get("started") if isinstance(clock, dict) else None
            if not isinstance(started, int | float):
                self.log.warning("The clock task %r of the %s timeout has no start time in this run; that limit is "
                                 "not applied.", d["clock"], d.get("label") or d.get("what", "block"))
                continue
            left = d["seconds"] - (now - started)
            if best is None or left < best:
                where = f" ({d['label']})" if d.get("label") else ""
                best, shared = left, True
                why = f"{d.get('what', 'block')} timeout of {d['seconds']:g} s exceeded{where}"
        return best, why, shared

    @contextmanager
    def within_limits(self, context: Any) -> Iterator[float | None]:
        """Run the body within the task's budget (when it is in timeout groups); yields the seconds allowed."""
        if not self.deadlines:
            yield self.execution_timeout.total_seconds() if self.execution_timeout else None
            return
        from airflow.sdk.execution_time.timeout import timeout

        seconds, why, shared = self.budget(context)
        if seconds is None:
            yield None
            return
        if seconds <= 0:
            raise DeadlineExceeded(f"{why} before task {self.task_id!r} started")
        self.log.info("This try may run %.1f s (then: %s)", seconds, why)
        try:
            with timeout(seconds, error_message=why):
                yield seconds
        except AirflowTaskTimeout:
            self.on_kill()
            if not shared:
                raise  # its own timeout: an ordinary failure, retried like execution_timeout
            raise DeadlineExceeded(f"{why}: task {self.task_id!r} was stopped") from None

    def resolved_params(self, context: Any) -> dict[str, Any]:
        """Task defaults < pipeline template defaults and overrides < bindings < run conf, type-checked; then a
        matrix cell's axis values."""
        declared = declared_map(self.spec.get("parameters", ()), self.declared)
        conf = getattr(context["dag_run"], "conf", None) or {}
        cell = self.matrix_cell
        if cell:
            # A Jenkins matrix cell gets its axis values whatever the build parameters say, so the axis values
            # win over the run conf (and over the bindings) for the axis names.
            conf = {k: v for k, v in conf.items() if k not in cell}
            return resolve(declared, {**self.bindings, **cell}, conf)
        return resolve(declared, self.bindings, conf)


class ConcreteTaskOperator(_CatalogOperator):
    """Runs one concrete task in the run's shared workspace (like a Jenkins build's workspace)."""

    ui_color = "#d5e8f7"
    run_on: str = "local"  # the pipeline task's container executor (BaseOperator.executor is Airflow's own)
    jenkins_job: str = ""  # the Jenkins full name (pipeline provenance), for JOB_NAME; the pipeline name when empty
    jenkins_stage: str = ""  # the Jenkins stage the task comes from, for STAGE_NAME; unset when empty
    _extra_fields = ("run_on", "jenkins_job", "jenkins_stage", "deadlines", "limit_seconds", "task_env", "record",
                     "cell_condition")
    _fargate: Any = None

    # Kept for the earlier name of the attribute.
    @property
    def task_spec(self) -> dict[str, Any]:
        return self.spec

    def _job_env(self, params: Mapping[str, Any], secrets: Mapping[str, str], run_id: str,
                 shadow: bool = False, jenkins: Mapping[str, str] | None = None,
                 context: Any = None) -> dict[str, str]:
        """What the task adds to the environment, each layer over the one before, as in Jenkins: Jenkins' variables
        (jenkins_env; `jenkins`), the task document's env, the parameters, the pipeline task's env (an
        `environment {}` value beats a parameter of the same name; its trees evaluated against the layers below,
        see `task_environment`) and the secrets; WORKSPACE is always the run's."""
        workspace = run_workspace(self.pipeline, run_id, shadow=shadow)
        env = dict(jenkins or {})
        env.update({k: env_value(v) for k, v in self.spec.get("env", {}).items()})
        env.update({k: env_value(v) for k, v in params.items()})
        env["WORKSPACE"] = str(workspace)
        env.update(self.task_environment(context, params, {**env, **secrets}))
        env.update(secrets)
        env["WORKSPACE"] = str(workspace)
        if shadow:
            env[SHADOW_FLAG] = "1"  # the task may check it to keep away from production systems
        return env

    def task_environment(self, context: Any, params: Mapping[str, Any], below: Mapping[str, str]) -> dict[str, str]:
        """The pipeline task's env: strings as written; trees evaluated with the run's facts (`below`: the
        environment under it, outputs of earlier tasks pulled from XCom). A tree that cannot be evaluated fails the
        task, naming its Jenkins place."""
        fixed = {k: v for k, v in self.task_env.items() if isinstance(v, str)}
        trees = {k: v for k, v in self.task_env.items() if not isinstance(v, str)}
        if not trees:
            return fixed
        facts = self.run_facts(context, params, below, *trees.values())
        try:
            return {**fixed, **expressions.environment(trees, facts)}
        except expressions.ExpressionError as exc:
            raise TaskFailed(f"A value Jenkins computes for this task cannot be computed in this run: {exc}") \
                from None

    def run_facts(self, context: Any, params: Mapping[str, Any], env: Mapping[str, str],
                  *trees: Any) -> expressions.Context:
        """The expression context of this task: the run's parameters, `env` over the worker's environment (what
        the shell would see), and the outputs the trees read."""
        wanted = expressions.outputs_read(*trees)
        outputs = jenkins_env.recorded_outputs(context, wanted) if wanted and context is not None else {}
        if context is None:
            return expressions.Context(params=dict(params), env={**os.environ, **env}, outputs=outputs)
        return jenkins_env.run_context(context, params=params, env={**os.environ, **env}, outputs=outputs)

    def execute(self, context: Any) -> Any:
        with self.within_limits(context) as seconds:
            return self._execute(context, seconds)

    def _execute(self, context: Any, timeout: float | None) -> Any:
        from jenkins2flow_runtime.airflow.secrets import mask, needed, resolve_secrets
        from jenkins2flow_runtime.executors.container import container_executor
        from jenkins2flow_runtime.executors.secret_files import file_text, secret_files

        self.keep_run_version(context)
        run_id = context["dag_run"].run_id
        shadow = is_shadow(context["dag_run"].conf)
        params = self.resolved_params(context)
        kind = self.spec["type"]
        refs = needed(self.spec.get("secrets", ()), params)
        # on Fargate, ECS reads the secrets itself (task definition `secrets`): their values are never read here
        on_fargate = kind == "container" and container_executor(self.run_on) == "fargate"
        secrets = {} if on_fargate else resolve_secrets(refs)
        workspace = record_run(self.pipeline, run_id, shadow=shadow)  # findable by other pipelines (copyArtifacts)
        # Jenkins' file bindings: the variable holds the path of a file holding the secret, for the task's time
        files = {r["env"]: file_text(r, secrets[r["env"]]) for r in refs if r.get("as_file") and r["env"] in secrets}
        with secret_files(files, Path(f"{workspace}@tmp")) as paths:
            for path in paths.values():
                mask(path)  # as Jenkins masks it
            secrets.update(paths)
            return self._run(context, timeout, params, refs, secrets, workspace)

    def _run(self, context: Any, timeout: float | None, params: dict[str, Any], refs: Sequence[Mapping[str, Any]],
             secrets: dict[str, str], workspace: Path) -> Any:
        run_id = context["dag_run"].run_id
        shadow = is_shadow(context["dag_run"].conf)
        kind = self.spec["type"]
        jenkins = jenkins_env.from_context(context, job=self.jenkins_job or self.pipeline, workspace=str(workspace),
                                           stage=self.jenkins_stage)
        job_env = self._job_env(params, secrets, run_id, shadow, jenkins, context)
        if self.cell_condition is not None and not self._holds(context, params, job_env):
            return {"skipped": True, "cell": self.cell_label}
        env = apply_prepends({**os.environ, **job_env})  # PATH+JDK=... (tools, withEnv) as Jenkins applies them
        if kind == "python":
            return self._python(params, env, workspace)
        keys = [env.pop(name) for name in self.spec.get("ssh_agent", ()) if name in env]  # Jenkins sshagent
        agent: AbstractContextManager[dict[str, str]] = ssh_agent(keys, env) if keys else nullcontext({})
        with agent as agent_env:
            env.update(agent_env)
            if kind == "shell":
                ran = run_shell(self.spec["command"], cwd=workspace, env=env, shell=self.spec.get("shell", "sh"),
                                log=self.log.info, timeout=timeout, capture="stdout" in self.record)
                return self._recorded(context, ran, ShellError(f"script returned exit code {ran.code}", ran.code),
                                      {"exit_code": ran.code, "workspace": str(workspace)})
            if kind == "container":
                return self._container(context, env, job_env, workspace, run_id, timeout, refs)
        raise TaskFailed(f"Concrete task type {kind!r} is not supported by this runtime.")

    def _holds(self, context: Any, params: Mapping[str, Any], env: Mapping[str, str]) -> bool:
        """The matrix cell's `when` (cell_condition): false -> this instance runs nothing (logged)."""
        facts = self.run_facts(context, params, env, self.cell_condition)
        try:
            holds = expressions.condition(self.cell_condition, facts)
        except expressions.ExpressionError as exc:
            raise TaskFailed(f"The `when` condition of this matrix cell ({self.cell_label}) cannot be decided: "
                             f"{exc}") from None
        if not holds:
            self.log.info("Matrix cell %s: the stage's `when` condition is false; this cell runs nothing here (as "
                          "Jenkins skips the stage for the cell).", self.cell_label)
        return holds

    def _recorded(self, context: Any, ran: Any, failure: Exception, result: dict[str, Any]) -> dict[str, Any]:
        """Push what the pipeline task records (XCom `stdout`, `status`); a non-zero exit fails the task unless its
        status is recorded (Jenkins' `returnStatus: true`)."""
        ti = context.get("ti") if context is not None else None
        if "stdout" in self.record and ti is not None:
            ti.xcom_push(key="stdout", value=ran.stdout)
        if "status" in self.record:
            if ti is not None:
                ti.xcom_push(key="status", value=ran.code)
            return result
        if ran.code != 0:
            raise failure
        return result

    def _python(self, params: dict[str, Any], job_env: Mapping[str, str], workspace: Any) -> Any:
        """A python callable, called with the parameters it names, in the task's environment (Jenkins'
        variables, env, parameters, secrets; as a shell task gets them)."""
        from jenkins2flow_runtime.executors.python import call_with_params, load_callable

        func = load_callable(self.spec["callable"])
        workspace.mkdir(parents=True, exist_ok=True)
        with _environ(job_env):
            self.log.info("Calling %s with parameters %s", self.spec["callable"], sorted(params))
            return call_with_params(func, params)

    def _container(self, context: Any, env: dict[str, str], job_env: dict[str, str], workspace: Any, run_id: str,
                   timeout: float | None, refs: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        from jenkins2flow_runtime.executors.container import container_executor, run_local

        where = container_executor(self.run_on)
        if where == "local":
            self.log.info("Running container task %s locally (image %s not pulled)", self.task_id, self.spec["image"])
            ran = run_local(self.spec["command"], cwd=workspace, env=env, log=self.log.info, timeout=timeout,
                            capture="stdout" in self.record)
            return self._recorded(context, ran, TaskFailed(f"container command returned exit code {ran.code}",
                                                           ran.code), {"exit_code": ran.code, "executor": "local"})
        if self.record:
            raise TaskFailed(f"This task records its {' and '.join(self.record)} for later tasks (Jenkins "
                             "returnStdout/returnStatus), which a Fargate container task cannot do yet; run it with "
                             "the local container executor (JENKINS2FLOW_CONTAINER_EXECUTOR=local) or as a shell "
                             "task.")
        from jenkins2flow_runtime.fargate import ContainerRun, FargateConfig, FargateLauncher, secret_value_from

        config = FargateConfig.from_env()
        value_from = secret_value_from(refs, config)  # ENV -> ARN; fails here when one has none
        task_env, command = prepend_command(
            {k: v for k, v in job_env.items() if k not in ("WORKSPACE", "WORKSPACE_TMP") and k not in value_from},
            self.spec["command"])
        run = ContainerRun(
            image=self.spec["image"], command=command, cpu=self.spec.get("cpu", 256),
            memory=self.spec.get("memory", 512), env=task_env, name=f"{self.pipeline}.{self.task_id}",
            started_by=f"airflow:{self.dag_id}:{run_id}"[:36], secrets=value_from,
        )
        self._fargate = FargateLauncher(config, log=self.log.info)
        result = self._fargate.run(run)
        return {"exit_code": result.exit_code, "executor": "fargate", "task_arn": result.task_arn}

    def on_kill(self) -> None:
        if self._fargate is not None:
            self._fargate.stop("Airflow killed the task")


class ViewTaskOperator(_CatalogOperator):
    """Renders a view task's SQL in the sandbox at run time, runs it, logs and returns the rendered SQL."""

    ui_color = "#e8f7d5"

    def execute(self, context: Any) -> dict[str, Any]:
        with self.within_limits(context):
            return self._execute(context)

    def _execute(self, context: Any) -> dict[str, Any]:
        from jenkins2flow_runtime.views import execute_sql, render_sql, template_context

        self.keep_run_version(context)
        params = self.resolved_params(context)
        ti = context["ti"]
        upstream = sorted(self.upstream_task_ids)
        results = dict(zip(upstream, ti.xcom_pull(task_ids=upstream), strict=True)) if upstream else {}
        dag_run = context["dag_run"]
        ctx = template_context(
            logical_date=context.get("logical_date"), params=params, results=results, run_id=dag_run.run_id,
            dag_id=self.dag_id, task_id=self.task_id, data_interval_start=context.get("data_interval_start"),
            data_interval_end=context.get("data_interval_end"),
        )
        sql = render_sql(self.spec["sql"], ctx, name=f"{self.pipeline}.{self.task_id}")
        self.log.info("Rendered SQL (%s %s):\n%s", self.spec.get("materialize", "query"),
                      self.spec.get("target", ""), sql)
        engine = sql_engine(self.spec.get("connection", "default"))
        result = execute_sql(engine, sql, self.spec.get("materialize", "query"), self.spec.get("target", ""))
        self.log.info("%d row(s) affected or returned", max(result.rowcount, len(result.rows)))
        return result.as_xcom(bool(self.spec.get("capture")))


class MappedConcreteTaskOperator(ConcreteTaskOperator):
    """A concrete task mapped over Jenkins matrix cells (built by `ConcreteTaskOperator.create_mapped`)."""

    def __init__(self, *, pipeline: str, spec: dict[str, Any], declared: list[dict[str, Any]],
                 bindings: dict[str, Any] | None = None, run_on: str = "local",
                 matrix_cell: dict[str, str] | None = None, jenkins_job: str = "", jenkins_stage: str = "",
                 deadlines: list[dict[str, Any]] | None = None, limit_seconds: float | None = None,
                 task_env: dict[str, Any] | None = None, record: tuple[str, ...] = (),
                 cell_condition: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline, self.spec, self.declared, self.bindings = pipeline, spec, declared, bindings or {}
        self.run_on, self.matrix_cell, self.jenkins_job = run_on, matrix_cell or {}, jenkins_job
        self.jenkins_stage = jenkins_stage
        self.deadlines, self.limit_seconds = deadlines or [], limit_seconds
        self.task_env, self.record, self.cell_condition = task_env or {}, tuple(record), cell_condition


class MappedViewTaskOperator(ViewTaskOperator):
    """A view task mapped over Jenkins matrix cells (built by `ViewTaskOperator.create_mapped`)."""

    def __init__(self, *, pipeline: str, spec: dict[str, Any], declared: list[dict[str, Any]],
                 bindings: dict[str, Any] | None = None, matrix_cell: dict[str, str] | None = None,
                 deadlines: list[dict[str, Any]] | None = None, limit_seconds: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline, self.spec, self.declared, self.bindings = pipeline, spec, declared, bindings or {}
        self.matrix_cell = matrix_cell or {}
        self.deadlines, self.limit_seconds = deadlines or [], limit_seconds


_MAPPED: dict[type[_CatalogOperator], type[_CatalogOperator]] = {
    ConcreteTaskOperator: MappedConcreteTaskOperator, MappedConcreteTaskOperator: MappedConcreteTaskOperator,
    ViewTaskOperator: MappedViewTaskOperator, MappedViewTaskOperator: MappedViewTaskOperator,
}


def sql_engine(connection: str) -> Any:
    """A SQLAlchemy engine for a view task's connection: a SQLAlchemy URL, or an Airflow connection id
    ("default" is $JENKINS2FLOW_VIEW_URL when set, else the Airflow connection `jenkins2flow_default`)."""
    import sqlalchemy as sa

    if connection == "default":
        connection = os.environ.get("JENKINS2FLOW_VIEW_URL") or "jenkins2flow_default"
    if "://" in connection:
        return sa.create_engine(connection)
    from airflow.sdk import Connection
    from airflow.sdk.log import mask_secret

    conn = Connection.get(connection)
    if conn.password:
        mask_secret(conn.password)
    if conn.conn_type == "sqlite":
        return sa.create_engine(f"sqlite:///{conn.host}")
    try:
        return conn.get_hook().get_sqlalchemy_engine()
    except Exception as exc:
        raise RuntimeError(
            f"Airflow connection {connection!r} (type {conn.conn_type!r}) gives no SQLAlchemy engine: {exc}. "
            "Install its provider, or give the view a SQLAlchemy URL."
        ) from exc


@contextmanager
def _environ(extra: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

"""The Airflow operator that runs a catalog concrete task.

Nothing of the task spec is a template field: shell text from Jenkins is data and never passes through Jinja.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseOperator

from jenkins2flow_runtime.executors.shell import ShellError, run_shell
from jenkins2flow_runtime.workspace import run_workspace


def resolve_params(defaults: dict[str, Any], bindings: dict[str, Any], conf: dict[str, Any] | None) -> dict[str, Any]:
    """Template defaults < pipeline bindings < run conf."""
    return {**defaults, **bindings, **(conf or {})}


def env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class ConcreteTaskOperator(BaseOperator):
    """Runs one concrete task (shell for now) in the run's shared workspace."""

    template_fields = ()
    ui_color = "#d5e8f7"

    def __init__(
        self,
        *,
        pipeline: str,
        task_spec: dict[str, Any],
        param_defaults: dict[str, Any],
        bindings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pipeline = pipeline
        self.task_spec = task_spec
        self.param_defaults = param_defaults
        self.bindings = bindings or {}

    def execute(self, context: Any) -> dict[str, Any]:
        dag_run = context["dag_run"]
        params = resolve_params(self.param_defaults, self.bindings, dag_run.conf)
        workspace = run_workspace(self.pipeline, dag_run.run_id)
        env = dict(os.environ)
        env.update({k: env_value(v) for k, v in self.task_spec.get("env", {}).items()})
        env.update({k: env_value(v) for k, v in params.items()})
        env.update({"WORKSPACE": str(workspace), "JOB_NAME": self.pipeline, "BUILD_TAG": f"{self.pipeline}-{dag_run.run_id}"})
        kind = self.task_spec["type"]
        if kind != "shell":
            raise NotImplementedError(f"Concrete task type {kind!r} is not supported by this runtime yet.")
        code = run_shell(
            self.task_spec["command"],
            cwd=workspace,
            env=env,
            shell=self.task_spec.get("shell", "sh"),
            log=self.log.info,
        )
        if code != 0:
            raise ShellError(f"script returned exit code {code}", code)
        return {"exit_code": code, "workspace": str(workspace)}

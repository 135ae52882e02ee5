"""Container tasks on AWS ECS Fargate, through boto3 only (no Airflow import here).

FargateLauncher.run(ContainerRun) registers a task definition for the image when none matches, runs the task
(retrying while ECS reports no capacity), polls it with exponential backoff while copying its CloudWatch log
events into `log`, and maps the container's exit code. `stop()` stops the ECS task (the operator's on_kill).
Throttling and transient AWS errors of every call are retried by botocore itself (its `standard` retry mode by
default: exponential backoff with jitter); only ECS's "no capacity" answer, a successful response listing
failures, which botocore cannot see as an error, is retried here.

Secrets never travel as values: ECS `containerOverrides` cannot carry `secrets`, so a task's secret references
(SecretRef: an Airflow variable or connection) become `secrets` of its task definition, each `{name: ENV,
valueFrom: ARN}`, and ECS reads them from Secrets Manager or SSM Parameter Store when the container starts. The ARN
comes from JENKINS2FLOW_FARGATE_SECRET_ARNS, else from a prefix; a connection field (login, password, an extra key)
is the JSON key of a Secrets Manager secret (`ARN:FIELD::`). A reference with no ARN fails the task before anything
is registered or run (`secret_value_from`): a value is never put in the environment overrides. The task definition
is registered again only when its image, cpu, memory or secrets change. A prefix follows how Airflow's AWS secrets
backends name things, e.g. `arn:aws:secretsmanager:REGION:ACCOUNT:secret:airflow/variables/` or
`arn:aws:ssm:REGION:ACCOUNT:parameter/airflow/variables/` (ECS accepts a secret's or parameter's name in the task's
region; the execution role must be allowed to read them).

Configuration comes from the environment (FargateConfig.from_env):

| variable | meaning |
|---|---|
| JENKINS2FLOW_FARGATE_CLUSTER | ECS cluster (default `default`) |
| JENKINS2FLOW_FARGATE_SUBNETS / _SECURITY_GROUPS | comma-separated ids for awsvpc networking |
| JENKINS2FLOW_FARGATE_ASSIGN_PUBLIC_IP | `true` to give the task a public IP |
| JENKINS2FLOW_FARGATE_EXECUTION_ROLE_ARN / _TASK_ROLE_ARN | roles of the registered task definitions |
| JENKINS2FLOW_FARGATE_LOG_GROUP | CloudWatch log group of the containers (default `/jenkins2flow/tasks`) |
| JENKINS2FLOW_FARGATE_SECRETS | JSON {ENV: secret or parameter ARN}, passed as ECS secrets (valueFrom) to every task |
| JENKINS2FLOW_FARGATE_SECRET_ARNS | JSON {"variable:ID", "connection:ID" or "connection:ID:FIELD": ARN} |
| JENKINS2FLOW_FARGATE_VARIABLE_ARN_PREFIX / _CONNECTION_ARN_PREFIX | else the ARN is prefix + id (see above) |
| AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL | boto3's own (the endpoint for moto in tests) |
| AWS_RETRY_MODE, AWS_MAX_ATTEMPTS | botocore's retries (default `standard`, 8 attempts; `adaptive` also rate-limits) |
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime.extras import require

CONTAINER = "main"
CAPACITY_RE = re.compile(r"capacity|RESOURCE:|unavailable|throttl", re.IGNORECASE)
# Exit codes for containers that never produced one (the ECS stop code says why).
STOP_CODES = {"TaskFailedToStart": 125, "EssentialContainerExited": 1, "UserInitiated": 143,
              "ServiceSchedulerInitiated": 143, "SpotInterruption": 143, "TerminationNotice": 143}


class FargateError(RuntimeError):
    def __init__(self, message: str, exit_code: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.retryable = retryable


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@dataclass
class FargateConfig:
    cluster: str = "default"
    subnets: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    assign_public_ip: bool = False
    execution_role_arn: str = ""
    task_role_arn: str = ""
    log_group: str = "/jenkins2flow/tasks"
    log_prefix: str = "jenkins2flow"
    secrets: dict[str, str] = field(default_factory=dict)
    secret_arns: dict[str, str] = field(default_factory=dict)  # "variable:ID" / "connection:ID[:FIELD]" -> ARN
    variable_arn_prefix: str = ""
    connection_arn_prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    platform_version: str = "LATEST"
    poll_initial: float = 2.0
    poll_max: float = 30.0
    start_attempts: int = 6  # run_task calls while ECS answers "no capacity"
    retry_mode: str = "standard"  # botocore's retries of throttled and failed calls
    max_attempts: int = 8  # calls in all, the first one included
    timeout: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FargateConfig:
        e = os.environ if env is None else env
        p = "JENKINS2FLOW_FARGATE_"
        return cls(
            cluster=e.get(p + "CLUSTER", "default"),
            subnets=_split(e.get(p + "SUBNETS", "")),
            security_groups=_split(e.get(p + "SECURITY_GROUPS", "")),
            assign_public_ip=e.get(p + "ASSIGN_PUBLIC_IP", "").lower() in ("1", "true", "yes"),
            execution_role_arn=e.get(p + "EXECUTION_ROLE_ARN", ""),
            task_role_arn=e.get(p + "TASK_ROLE_ARN", ""),
            log_group=e.get(p + "LOG_GROUP", "/jenkins2flow/tasks"),
            secrets=json.loads(e.get(p + "SECRETS", "") or "{}"),
            secret_arns=json.loads(e.get(p + "SECRET_ARNS", "") or "{}"),
            variable_arn_prefix=e.get(p + "VARIABLE_ARN_PREFIX", ""),
            connection_arn_prefix=e.get(p + "CONNECTION_ARN_PREFIX", ""),
            region=e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION"),
            endpoint_url=e.get("AWS_ENDPOINT_URL"),
            poll_initial=float(e.get(p + "POLL_SECONDS", "2")),
            retry_mode=e.get("AWS_RETRY_MODE", "standard"),
            max_attempts=int(e.get("AWS_MAX_ATTEMPTS", "8")),
        )


@dataclass
class ContainerRun:
    image: str
    command: str
    cpu: int = 256
    memory: int = 512
    env: dict[str, str] = field(default_factory=dict)
    name: str = "task"  # pipeline.task, used for the task definition family
    started_by: str = "jenkins2flow"
    secrets: dict[str, str] = field(default_factory=dict)  # ENV -> ARN (valueFrom), never a value


def secret_value_from(refs: Iterable[Mapping[str, Any]], config: FargateConfig) -> dict[str, str]:
    """ENV -> the ARN ECS reads the secret from, for each secret reference (SecretRef dicts: env, source, id,
    field); FargateError naming what to configure when one has none."""
    out: dict[str, str] = {}
    for ref in refs:
        env, source, ref_id, key = ref["env"], ref.get("source", "variable"), ref["id"], ref.get("field", "")
        if ref.get("as_file"):
            raise FargateError(
                f"Secret {env!r} is a Jenkins secret file (the variable holds the path of a file holding the secret), "
                "and ECS puts secrets in the container's environment only, never in a file: run this task with the "
                "local container executor (JENKINS2FLOW_CONTAINER_EXECUTOR=local) or as a shell task.")
        key = "" if key == "uri" else key
        arns = config.secret_arns
        exact = arns.get(f"{source}:{ref_id}:{key}") if key else None
        arn = exact or arns.get(f"{source}:{ref_id}")
        if arn is None:
            prefix = config.connection_arn_prefix if source == "connection" else config.variable_arn_prefix
            arn = prefix + ref_id if prefix else None
        if arn is not None and key and not exact:
            if ":secretsmanager:" not in arn or ":" in key:
                arn = None  # only a Secrets Manager JSON secret has fields ECS can pick
            else:
                arn = f"{arn}:{key}::"
        if arn is None:
            what = f"{source} {ref_id!r}" + (f" field {key!r}" if key else "")
            name = f"{source}:{ref_id}" + (f":{key}" if key else "")
            raise FargateError(
                f"Secret {env!r} (Airflow {what}) has no ARN for ECS: add {name!r} to "
                f"JENKINS2FLOW_FARGATE_SECRET_ARNS or set JENKINS2FLOW_FARGATE_{source.upper()}_ARN_PREFIX "
                "(a field needs a Secrets Manager JSON secret). Its value is never passed to ECS as a plain "
                "environment variable, so the task does not run.")
        out[env] = arn
    return out


@dataclass
class FargateResult:
    task_arn: str
    exit_code: int
    stopped_reason: str = ""


def family_name(run: ContainerRun) -> str:
    """One task definition family per image, cpu and memory (re-registered only when they change)."""
    digest = hashlib.sha256(f"{run.image}|{run.cpu}|{run.memory}".encode()).hexdigest()[:10]
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", run.name).strip("-")[:200] or "task"
    return f"j2f-{base}-{digest}"


class FargateLauncher:
    def __init__(
        self,
        config: FargateConfig,
        *,
        ecs: Any = None,
        logs: Any = None,
        log: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        if ecs is None or logs is None:
            boto3 = require("boto3", "aws", "Container tasks on Fargate")
            from botocore.config import Config

            # total_max_attempts counts the first call, as AWS_MAX_ATTEMPTS does (botocore's max_attempts does not)
            retries = {"mode": config.retry_mode, "total_max_attempts": config.max_attempts}
            kw: dict[str, Any] = {"region_name": config.region, "config": Config(retries=retries)}
            if config.endpoint_url:
                kw["endpoint_url"] = config.endpoint_url
            ecs = ecs or boto3.client("ecs", **kw)
            logs = logs or boto3.client("logs", **kw)
        self.ecs, self.logs, self.log, self.sleep = ecs, logs, log, sleep
        self.task_arn: str | None = None
        self._log_token: str | None = None

    # -- task definition -------------------------------------------------------------------------------------------

    def secrets_of(self, run: ContainerRun) -> list[dict[str, str]]:
        """The task definition's `secrets`: the deployment's (config.secrets), then the task's own."""
        merged = {**self.config.secrets, **run.secrets}
        return [{"name": k, "valueFrom": v} for k, v in sorted(merged.items())]

    def ensure_task_definition(self, run: ContainerRun) -> str:
        """The ARN of a task definition for `run`'s image, cpu, memory and secrets; registered when the active one
        differs."""
        family = family_name(run)
        secrets = self.secrets_of(run)
        try:
            current = self.ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
            container = current["containerDefinitions"][0]
            if (container.get("image") == run.image and str(current.get("cpu")) == str(run.cpu)
                    and str(current.get("memory")) == str(run.memory) and current.get("status") == "ACTIVE"
                    and sorted(container.get("secrets") or [], key=lambda s: s["name"]) == secrets):
                return str(current["taskDefinitionArn"])
        except Exception as exc:  # ClientError: no such family yet
            if "ClientException" not in type(exc).__name__ and not _is_client_error(exc):
                raise
        container_def: dict[str, Any] = {
            "name": CONTAINER,
            "image": run.image,
            "essential": True,
            "memory": run.memory,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": self.config.log_group, "awslogs-region": self.config.region or "us-east-1",
                "awslogs-stream-prefix": self.config.log_prefix}},
        }
        if secrets:
            container_def["secrets"] = secrets
        kwargs: dict[str, Any] = {
            "family": family, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
            "cpu": str(run.cpu), "memory": str(run.memory), "containerDefinitions": [container_def],
        }
        if self.config.execution_role_arn:
            kwargs["executionRoleArn"] = self.config.execution_role_arn
        if self.config.task_role_arn:
            kwargs["taskRoleArn"] = self.config.task_role_arn
        arn = str(self.ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"])
        self.log(f"Registered task definition {arn} for image {run.image}")
        return arn

    # -- run ---------------------------------------------------------------------------------------------------------

    def start(self, run: ContainerRun) -> str:
        """Run the task; "no capacity" answers are retried with backoff, other failures raise FargateError
        (throttling was already retried by botocore)."""
        definition = self.ensure_task_definition(run)
        network: dict[str, Any] = {"subnets": self.config.subnets,
                                   "assignPublicIp": "ENABLED" if self.config.assign_public_ip else "DISABLED"}
        if self.config.security_groups:
            network["securityGroups"] = self.config.security_groups
        request = {
            "cluster": self.config.cluster, "taskDefinition": definition, "launchType": "FARGATE", "count": 1,
            "platformVersion": self.config.platform_version, "startedBy": run.started_by[:36],
            "networkConfiguration": {"awsvpcConfiguration": network},
            "overrides": {"containerOverrides": [{
                "name": CONTAINER, "command": ["/bin/sh", "-c", run.command],
                # a name ECS fills from a secret is never also sent as a plain value
                "environment": [{"name": k, "value": v} for k, v in sorted(run.env.items())
                                if k not in run.secrets and k not in self.config.secrets],
            }]},
        }
        delay = self.config.poll_initial
        for attempt in range(1, self.config.start_attempts + 1):
            try:
                response = self.ecs.run_task(**request)
            except Exception as exc:
                if not _is_client_error(exc):
                    raise
                meta = getattr(exc, "response", {}).get("ResponseMetadata", {})
                tries = f" after {meta.get('RetryAttempts', 0) + 1} attempts" if meta.get("MaxAttemptsReached") else ""
                raise FargateError(f"ECS run_task failed{tries}: {exc}", retryable=bool(tries)) from exc
            if response.get("tasks"):
                self.task_arn = str(response["tasks"][0]["taskArn"])
                self.log(f"Started ECS task {self.task_arn} on cluster {self.config.cluster}")
                return self.task_arn
            failures = response.get("failures") or [{"reason": "no task and no failure reported"}]
            problem = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')} {f.get('detail', '')}".strip()
                                for f in failures)
            if not CAPACITY_RE.search(problem):
                raise FargateError(f"ECS refused to run the task: {problem}")
            if attempt == self.config.start_attempts:
                raise FargateError(f"ECS could not start the task after {attempt} attempts: {problem}",
                                   retryable=True)
            self.log(f"ECS run_task attempt {attempt} failed ({problem}); retrying in {delay:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, self.config.poll_max)
        raise AssertionError("unreachable")

    def wait(self, task_arn: str, run: ContainerRun) -> dict[str, Any]:
        """Poll until STOPPED (backoff from poll_initial to poll_max), copying log events as they come."""
        delay = self.config.poll_initial
        started = time.monotonic()
        while True:
            task = self.describe(task_arn)
            self.copy_logs(task_arn)
            if task.get("lastStatus") == "STOPPED":
                self.copy_logs(task_arn)
                return task
            if self.config.timeout and time.monotonic() - started > self.config.timeout:
                self.stop("timed out waiting for the task")
                raise FargateError(f"ECS task {task_arn} did not stop within {self.config.timeout} s.", 124)
            self.sleep(delay)
            delay = min(delay * 1.5, self.config.poll_max)

    def describe(self, task_arn: str) -> dict[str, Any]:
        tasks = self.ecs.describe_tasks(cluster=self.config.cluster, tasks=[task_arn]).get("tasks") or []
        if not tasks:
            raise FargateError(f"ECS task {task_arn} is not known to cluster {self.config.cluster}.")
        return dict(tasks[0])

    def log_stream(self, task_arn: str) -> str:
        return f"{self.config.log_prefix}/{CONTAINER}/{task_arn.rsplit('/', 1)[-1]}"

    def copy_logs(self, task_arn: str) -> int:
        """Copy new CloudWatch events of the task's stream into `log`; returns how many were copied."""
        copied = 0
        while True:
            kwargs: dict[str, Any] = {"logGroupName": self.config.log_group, "logStreamName": self.log_stream(task_arn),
                                      "startFromHead": True}
            if self._log_token:
                kwargs["nextToken"] = self._log_token
            try:
                page = self.logs.get_log_events(**kwargs)
            except Exception as exc:
                if _is_client_error(exc) and _error_code(exc) == "ResourceNotFoundException":
                    return copied  # no stream yet
                raise
            for event in page.get("events", []):
                self.log(str(event.get("message", "")).rstrip("\n"))
                copied += 1
            token = page.get("nextForwardToken")
            if not page.get("events") or token == self._log_token:
                self._log_token = token or self._log_token
                return copied
            self._log_token = token

    @staticmethod
    def exit_code(task: Mapping[str, Any]) -> tuple[int, str]:
        """The container's exit code, or one derived from the stop code when the container never ran."""
        containers = [c for c in task.get("containers", []) if c.get("name") == CONTAINER] or task.get(
            "containers", [])
        reason = task.get("stoppedReason", "") or ""
        if containers and containers[0].get("exitCode") is not None:
            return int(containers[0]["exitCode"]), reason or str(containers[0].get("reason", ""))
        stop_code = task.get("stopCode", "")
        detail = " ".join(str(c.get("reason", "")) for c in containers if c.get("reason"))
        return STOP_CODES.get(stop_code, 1), f"{stop_code} {reason} {detail}".strip()

    def run(self, run: ContainerRun) -> FargateResult:
        task_arn = self.start(run)
        task = self.wait(task_arn, run)
        code, reason = self.exit_code(task)
        self.log(f"ECS task {task_arn} stopped: exit code {code}" + (f" ({reason})" if reason else ""))
        if code != 0:
            raise FargateError(f"ECS task {task_arn} ended with exit code {code}" + (f": {reason}" if reason else ""),
                               code, retryable=bool(CAPACITY_RE.search(reason)))
        return FargateResult(task_arn, code, reason)

    def stop(self, reason: str = "stopped by jenkins2flow") -> None:
        if self.task_arn:
            self.log(f"Stopping ECS task {self.task_arn}: {reason}")
            self.ecs.stop_task(cluster=self.config.cluster, task=self.task_arn, reason=reason[:255])


def _is_client_error(exc: BaseException) -> bool:
    return hasattr(exc, "response") and isinstance(getattr(exc, "response", None), dict)


def _error_code(exc: BaseException) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

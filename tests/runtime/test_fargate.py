"""Fargate launcher end to end against a moto server on 127.0.0.1 (ECS, EC2, CloudWatch Logs; the `moto_url` and
`aws` fixtures are tests/helpers/moto_ecs.py's). Throttling and "no capacity" answers come from a small proxy in
front of moto that answers chosen ECS calls itself, so real botocore retries (standard mode) and the launcher's own
capacity retries are measured. Secrets (ECS `secrets`/`valueFrom`) are tests/adversarial/test_fargate_secrets.py."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jenkins2flow_runtime.fargate import ContainerRun, FargateConfig, FargateError, FargateLauncher, family_name

pytest.importorskip("boto3")


def test_container_task_runs_on_fargate_and_logs_are_copied(aws: dict[str, Any]) -> None:
    lines: list[str] = []
    launcher = FargateLauncher(FargateConfig.from_env(), log=lines.append)
    run = ContainerRun(image="alpine:3", command="echo hi", cpu=256, memory=512, env={"TENANT": "a"},
                       name="sales.extract")

    arn = launcher.start(run)
    stream = launcher.log_stream(arn)
    aws["logs"].create_log_stream(logGroupName="/jenkins2flow/tasks", logStreamName=stream)
    now = int(time.time() * 1000)  # CloudWatch refuses events older than 14 days
    aws["logs"].put_log_events(logGroupName="/jenkins2flow/tasks", logStreamName=stream, logEvents=[
        {"timestamp": now, "message": "extracting tenant a"},
        {"timestamp": now + 1, "message": "done"},
    ])
    task = launcher.wait(arn, run)

    assert task["lastStatus"] == "STOPPED"
    assert launcher.exit_code(task)[0] == 0
    assert lines.count("extracting tenant a") == 1 and lines.count("done") == 1, lines
    described = aws["ecs"].describe_tasks(cluster="j2f", tasks=[arn])["tasks"][0]
    override = described["overrides"]["containerOverrides"][0]
    assert override["command"] == ["/bin/sh", "-c", "echo hi"]
    assert {"name": "TENANT", "value": "a"} in override["environment"]
    definition = aws["ecs"].describe_task_definition(taskDefinition=family_name(run))["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"] == "alpine:3"
    assert definition["requiresCompatibilities"] == ["FARGATE"]


def test_task_definition_is_reused_until_the_image_changes(aws: dict[str, Any]) -> None:
    launcher = FargateLauncher(FargateConfig.from_env(), log=lambda _: None)
    run = ContainerRun(image="alpine:3", command="true", name="reuse.me")
    first = launcher.ensure_task_definition(run)
    assert launcher.ensure_task_definition(run) == first
    bigger = ContainerRun(image="alpine:3", command="true", name="reuse.me", memory=1024)
    assert launcher.ensure_task_definition(bigger) != first


def test_full_run_and_stop_on_kill(aws: dict[str, Any]) -> None:
    launcher = FargateLauncher(FargateConfig.from_env(), log=lambda _: None)
    result = launcher.run(ContainerRun(image="alpine:3", command="true", name="full.run"))
    assert result.exit_code == 0 and result.task_arn.startswith("arn:aws:ecs:")

    killer = FargateLauncher(FargateConfig.from_env(), log=lambda _: None)
    arn = killer.start(ContainerRun(image="alpine:3", command="sleep 600", name="to.kill"))
    killer.stop("Airflow killed the task")
    task = aws["ecs"].describe_tasks(cluster="j2f", tasks=[arn])["tasks"][0]
    assert task["stoppedReason"] == "Airflow killed the task"


THROTTLE = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
NO_CAPACITY = (200, {"tasks": [], "failures": [{"reason": "Capacity is unavailable at this time"}]})


class _FaultHandler(BaseHTTPRequestHandler):
    """Answers the scripted ECS calls itself (X-Amz-Target -> list of (status, JSON)), forwards the rest to moto."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        action = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
        server: Any = self.server
        server.calls[action] += 1
        script = server.script.get(action)
        if script:
            status, payload = script.pop(0)
            data, headers = json.dumps(payload).encode(), {"Content-Type": "application/x-amz-json-1.1"}
        else:
            request = urllib.request.Request(server.upstream + self.path, data=body, method="POST", headers={
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - moto on 127.0.0.1
                    status, data, headers = response.status, response.read(), dict(response.headers)
            except urllib.error.HTTPError as err:
                status, data, headers = err.code, err.read(), dict(err.headers)
        self.send_response(status)
        for key in ("Content-Type", "x-amzn-RequestId"):
            if key in headers:
                self.send_header(key, headers[key])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def faults(aws: dict[str, Any], moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A proxy in front of moto for ECS calls: `faults.script["RunTask"] = [THROTTLE, ...]`, `faults.calls`."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _FaultHandler)
    server.upstream, server.script, server.calls = moto_url, {}, Counter()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    server.shutdown()
    server.server_close()


def _launcher(sleeps: list[float] | None = None, **config: Any) -> FargateLauncher:
    cfg = FargateConfig.from_env()
    for k, v in config.items():
        setattr(cfg, k, v)
    return FargateLauncher(cfg, log=lambda _: None, sleep=(sleeps.append if sleeps is not None else lambda _: None))


def test_throttling_is_retried_by_botocore(faults: Any) -> None:
    faults.script["RunTask"] = [THROTTLE, THROTTLE]
    faults.script["DescribeTasks"] = [THROTTLE]
    sleeps: list[float] = []
    launcher = _launcher(sleeps)
    assert launcher.config.retry_mode == "standard"
    run = ContainerRun(image="alpine:3", command="true", name="throttled")
    arn = launcher.start(run)
    assert arn.startswith("arn:aws:ecs:") and faults.calls["RunTask"] == 3
    assert launcher.wait(arn, run)["lastStatus"] == "STOPPED" and faults.calls["DescribeTasks"] >= 2
    assert sleeps == [0.0] * len(sleeps)  # the launcher slept only between polls; botocore did the backoff


def test_throttling_past_the_attempts_fails_as_retryable(faults: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    faults.script["RunTask"] = [THROTTLE, THROTTLE, THROTTLE]
    with pytest.raises(FargateError, match=r"ECS run_task failed after 2 attempts: .*ThrottlingException") as err:
        _launcher().start(ContainerRun(image="alpine:3", command="true", name="throttled.more"))
    assert err.value.retryable and faults.calls["RunTask"] == 2


def test_no_capacity_is_retried_by_the_launcher(faults: Any) -> None:
    faults.script["RunTask"] = [NO_CAPACITY, THROTTLE, NO_CAPACITY]
    sleeps: list[float] = []
    arn = _launcher(sleeps, poll_initial=1).start(ContainerRun(image="alpine:3", command="true", name="capacity"))
    assert arn.startswith("arn:aws:ecs:")
    assert faults.calls["RunTask"] == 4 and sleeps == [1, 2]  # the throttle in between was botocore's to retry


def test_other_failures_are_not_retried(faults: Any) -> None:
    faults.script["RunTask"] = [(200, {"tasks": [], "failures": [{"reason": "MISSING", "arn": "arn:td"}]})]
    with pytest.raises(FargateError, match="ECS refused to run the task: arn:td MISSING"):
        _launcher().start(ContainerRun(image="alpine:3", command="true", name="missing"))
    assert faults.calls["RunTask"] == 1
    faults.script["RunTask"] = [(400, {"__type": "InvalidParameterException", "message": "bad subnet"})]
    with pytest.raises(FargateError, match="InvalidParameterException.*bad subnet") as err:
        _launcher().start(ContainerRun(image="alpine:3", command="true", name="missing"))
    assert not err.value.retryable and faults.calls["RunTask"] == 2


@pytest.mark.parametrize(("task", "code"), [
    ({"containers": [{"name": "main", "exitCode": 3}]}, 3),
    ({"containers": [{"name": "main"}], "stopCode": "TaskFailedToStart",
      "stoppedReason": "CannotPullContainerError"}, 125),
    ({"containers": [{"name": "main"}], "stopCode": "UserInitiated"}, 143),
])
def test_exit_codes_are_mapped(task: dict[str, Any], code: int) -> None:
    assert FargateLauncher.exit_code(task)[0] == code


@pytest.mark.airflow
def test_operator_routes_container_tasks_to_fargate_and_stops_on_kill(
    aws: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator, TaskFailed

    monkeypatch.delenv("JENKINS2FLOW_CONTAINER_EXECUTOR", raising=False)
    spec = {"type": "container", "image": "alpine:3", "command": "echo $TENANT", "cpu": 256, "memory": 512,
            "env": {"STAGE": "prod"}}
    op = ConcreteTaskOperator.create(task_id="load", pipeline="sales", spec=spec, declared=[], run_on="fargate")
    assert op.run_on == "fargate"
    job_env = {"TENANT": "a", "STAGE": "prod", "WORKSPACE": str(tmp_path)}
    result = op._container(None, {}, job_env, tmp_path, "manual__1", None)
    assert result["executor"] == "fargate" and result["exit_code"] == 0
    task = aws["ecs"].describe_tasks(cluster="j2f", tasks=[result["task_arn"]])["tasks"][0]
    environment = task["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "TENANT", "value": "a"} in environment
    assert all(e["name"] != "WORKSPACE" for e in environment), "the worker's workspace path means nothing in ECS"
    op.on_kill()  # stops the (already stopped) ECS task without error
    recording = ConcreteTaskOperator.create(task_id="v", pipeline="sales", spec=spec, declared=[], run_on="fargate",
                                            record=("stdout",))
    with pytest.raises(TaskFailed, match="cannot do yet"):  # said before anything starts on ECS
        recording._container(None, {}, job_env, tmp_path, "manual__1", None)

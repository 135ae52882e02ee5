"""Secrets for Fargate go through ECS, never through the task's environment: a secret reference becomes the ARN ECS
reads the value from (`secrets`/`valueFrom` in the task definition), or the task fails, before ECS is called, naming
the reference that has no ARN. The value never travels in RunTask overrides, and the worker never reads it. Against
a moto server on 127.0.0.1 (the `aws` fixture, tests/helpers/moto_ecs.py, shared with tests/runtime/test_fargate.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jenkins2flow_runtime.fargate import ContainerRun, FargateConfig, FargateError, FargateLauncher, family_name

pytest.importorskip("boto3")

SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/airflow/variables/"


def test_secret_references_map_to_arns_or_fail_without_one() -> None:
    from jenkins2flow_runtime.fargate import secret_value_from

    config = FargateConfig(secret_arns={"variable:api_token": f"{SM}api-token", "connection:db:login:password":
                                        f"{SM}db-pair"},
                           variable_arn_prefix=SSM, connection_arn_prefix=f"{SM}airflow/connections/")
    refs = [{"env": "API_TOKEN", "source": "variable", "id": "api_token"},
            {"env": "REGION_KEY", "source": "variable", "id": "region_key"},
            {"env": "DB_PASSWORD", "source": "connection", "id": "db", "field": "password"},
            {"env": "DB_URI", "source": "connection", "id": "db", "field": ""},
            {"env": "DB_PAIR", "source": "connection", "id": "db", "field": "login:password"}]
    assert secret_value_from(refs, config) == {
        "API_TOKEN": f"{SM}api-token", "REGION_KEY": f"{SSM}region_key",
        "DB_PASSWORD": f"{SM}airflow/connections/db:password::", "DB_URI": f"{SM}airflow/connections/db",
        "DB_PAIR": f"{SM}db-pair"}
    with pytest.raises(FargateError, match=r"Secret 'X' \(Airflow variable 'nowhere'\) has no ARN for ECS: add "
                                           r"'variable:nowhere' to JENKINS2FLOW_FARGATE_SECRET_ARNS"):
        secret_value_from([{"env": "X", "source": "variable", "id": "nowhere"}], FargateConfig())
    # an SSM parameter has no JSON keys: a connection field needs a Secrets Manager secret
    with pytest.raises(FargateError, match="field 'password'"):
        secret_value_from([{"env": "P", "source": "connection", "id": "db", "field": "password"}],
                          FargateConfig(connection_arn_prefix=SSM))


def test_task_definition_carries_the_secrets_and_run_task_only_plain_values(aws: dict[str, Any]) -> None:
    launcher = FargateLauncher(FargateConfig.from_env(), log=lambda _: None)
    secrets = {"API_TOKEN": f"{SM}api-token", "DB_PASSWORD": f"{SM}db:password::"}
    run = ContainerRun(image="alpine:3", command="env", env={"TENANT": "a", "API_TOKEN": "must-not-travel"},
                       name="sales.secrets", secrets=secrets)
    arn = launcher.start(run)
    definition = aws["ecs"].describe_task_definition(taskDefinition=family_name(run))["taskDefinition"]
    assert definition["containerDefinitions"][0]["secrets"] == [{"name": k, "valueFrom": v} for k, v in secrets.items()]
    task = aws["ecs"].describe_tasks(cluster="j2f", tasks=[arn])["tasks"][0]
    override = task["overrides"]["containerOverrides"][0]
    assert override["environment"] == [{"name": "TENANT", "value": "a"}]
    assert "secrets" not in override and "must-not-travel" not in json.dumps(task)
    # the same secrets reuse the definition; another secret registers a new revision of the family
    assert launcher.ensure_task_definition(run) == definition["taskDefinitionArn"]
    changed = ContainerRun(image="alpine:3", command="env", name="sales.secrets", secrets={"API_TOKEN": f"{SM}other"})
    again = launcher.ensure_task_definition(changed)
    assert again != definition["taskDefinitionArn"] and again.rsplit(":", 1)[-1] == str(definition["revision"] + 1)


@pytest.mark.airflow
def test_operator_sends_secret_references_to_ecs_and_never_reads_their_values(
    aws: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator

    monkeypatch.delenv("JENKINS2FLOW_CONTAINER_EXECUTOR", raising=False)
    monkeypatch.setenv("JENKINS2FLOW_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_SECRET_ARNS", json.dumps({"variable:sales.API_TOKEN": f"{SM}tok"}))
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_VARIABLE_ARN_PREFIX", SSM)
    # were the worker to read the values, this would be one (it must reach ECS nowhere); and reading
    # sales.DB_PASSWORD, which has no variable here, would fail the task
    monkeypatch.setenv("AIRFLOW_VAR_SALES.API_TOKEN", "tok-value-on-the-worker")
    spec = {"type": "container", "image": "alpine:3", "command": "echo $TENANT", "cpu": 256, "memory": 512,
            "secrets": [{"env": "API_TOKEN", "source": "variable", "id": "sales.API_TOKEN"},
                        {"env": "DB_PASSWORD", "source": "variable", "id": "sales.DB_PASSWORD", "param_default": True},
                        {"env": "GIVEN", "source": "variable", "id": "sales.GIVEN", "param_default": True}]}
    declared = [{"name": "DB_PASSWORD", "type": "string", "default": None},
                {"name": "GIVEN", "type": "string", "default": None}]
    op = ConcreteTaskOperator.create(task_id="load", pipeline="sales", spec=spec, declared=declared,
                                     run_on="fargate")
    run = SimpleNamespace(run_id="manual__1", dag_id="sales", conf={"GIVEN": "from-conf", "BUILD_NUMBER": 7},
                          start_date=None)
    result = op.execute({"dag_run": run})
    assert result["executor"] == "fargate" and result["exit_code"] == 0
    task = aws["ecs"].describe_tasks(cluster="j2f", tasks=[result["task_arn"]])["tasks"][0]
    definition = aws["ecs"].describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": f"{SM}tok"}, {"name": "DB_PASSWORD", "valueFrom": f"{SSM}sales.DB_PASSWORD"}]
    environment = {e["name"]: e["value"] for e in task["overrides"]["containerOverrides"][0]["environment"]}
    assert environment["GIVEN"] == "from-conf"  # a run parameter is a plain value, its secret default unused
    assert "API_TOKEN" not in environment and "DB_PASSWORD" not in environment
    assert "tok-value-on-the-worker" not in json.dumps(task) + json.dumps(definition)


@pytest.mark.airflow
def test_a_secret_with_no_arn_fails_the_task_before_ecs_is_called(
    aws: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jenkins2flow_runtime.airflow.operators import ConcreteTaskOperator

    monkeypatch.delenv("JENKINS2FLOW_CONTAINER_EXECUTOR", raising=False)
    spec = {"type": "container", "image": "alpine:3", "command": "true", "cpu": 256, "memory": 512}
    op = ConcreteTaskOperator.create(task_id="nosecret", pipeline="sales", spec=spec, declared=[], run_on="fargate")
    before = aws["ecs"].list_task_definitions()["taskDefinitionArns"]
    refs = [{"env": "API_TOKEN", "source": "variable", "id": "unmapped"}]
    with pytest.raises(FargateError, match="Secret 'API_TOKEN' .* has no ARN for ECS"):
        op._container(None, {}, {"API_TOKEN": "x"}, tmp_path, "manual__2", None, refs)
    assert aws["ecs"].list_task_definitions()["taskDefinitionArns"] == before

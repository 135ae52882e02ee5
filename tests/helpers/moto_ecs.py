"""Fixtures of the Fargate tests: a moto server on 127.0.0.1 (ECS, EC2, CloudWatch Logs), and an AWS account in it
with a VPC, a subnet, a security group, the `j2f` cluster and the tasks' log group, the launcher's environment
pointing at them. Registered by the conftest of each folder that runs them (tests/runtime, tests/adversarial)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    requests = pytest.importorskip("requests")
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # ECS tasks go straight to their next state on each describe (moto otherwise needs several calls).
    requests.post(f"{url}/moto-api/state-manager/set-transition",
                  json={"model_name": "ecs::task", "transition": {"progression": "immediate"}}, timeout=10)
    yield url
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    boto3 = pytest.importorskip("boto3")
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_url}.items():
        monkeypatch.setenv(k, v)
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=f"j2f-{vpc}", Description="j2f", VpcId=vpc)["GroupId"]
    boto3.client("ecs").create_cluster(clusterName="j2f")
    logs = boto3.client("logs")
    try:
        logs.create_log_group(logGroupName="/jenkins2flow/tasks")
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_CLUSTER", "j2f")
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_SUBNETS", subnet)
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_SECURITY_GROUPS", sg)
    monkeypatch.setenv("JENKINS2FLOW_FARGATE_POLL_SECONDS", "0")
    return {"subnet": subnet, "sg": sg, "logs": logs, "ecs": boto3.client("ecs")}

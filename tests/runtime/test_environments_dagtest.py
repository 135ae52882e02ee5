"""What converted tasks see when they run: tool installations (JAVA_HOME, PATH+JDK prepended to PATH as Jenkins
does) per parallel branch, custom workspaces / `dir` folders with their WORKSPACE, and sshagent's keys in a real
ssh-agent, in one real dag.test()."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.executors.environment import apply_prepends, prepend_command
from jenkins2flow_runtime.executors.ssh_agent import SshAgentError, ssh_agent
from jenkins2flow_runtime.workspace import run_workspace

JENKINSFILE = """pipeline {
  agent { node { label 'java'; customWorkspace 'ws1' } }
  stages {
    stage('Test') {
      parallel {
        stage('j8') { tools { jdk 'JDK 8' }
                      steps { sh 'java > "$WORKSPACE/j8.txt"; echo "$JAVA_HOME" >> "$WORKSPACE/j8.txt"' } }
        stage('j11') { tools { jdk 'JDK 11' }
                       steps { sh 'java > "$WORKSPACE/j11.txt"; echo "$JAVA_HOME" >> "$WORKSPACE/j11.txt"' } }
      }
    }
    stage('Where') {
      steps {
        dir('out/deep') { sh 'pwd > where.txt; echo "$WORKSPACE" >> where.txt' }
      }
    }
    stage('Keys') {
      steps {
        sshagent(credentials: ['deploy_key']) {
          sh '''ssh-add -l > "$WORKSPACE/keys.txt"; echo "$SSH_AUTH_SOCK" > "$WORKSPACE/sock.txt"
                env > "$WORKSPACE/env.txt"'''
        }
      }
    }
  }
}
"""


def _fake_jdk(root: Path, version: str) -> Path:
    home = root / f"jdk{version}"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho fake java {version}\n")
    java.chmod(0o755)
    return home


def _key(folder: Path) -> tuple[str, str]:
    """A fresh ed25519 key: (private key text, its fingerprint as ssh-add -l prints it)."""
    path = folder / "id_test"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "j2f-test", "-f", str(path)], check=True)
    fingerprint = subprocess.run(["ssh-keygen", "-l", "-f", str(path)], check=True, capture_output=True,
                                 text=True).stdout.split()[1]
    return path.read_text(), fingerprint


def test_ssh_agent_holds_the_keys_for_the_block_only(tmp_path: Path) -> None:
    key, fingerprint = _key(tmp_path)
    with ssh_agent([key], dict(os.environ)) as agent_env:
        listed = subprocess.run(["ssh-add", "-l"], env={**os.environ, **agent_env}, capture_output=True, text=True)
        sock = agent_env["SSH_AUTH_SOCK"]
        assert os.path.exists(sock)
    assert fingerprint in listed.stdout and "j2f-test" in listed.stdout
    assert not os.path.exists(sock), "the agent and its folder are gone after the block"
    with pytest.raises(SshAgentError, match="ssh-add refused key 1 of 1") as err:
        with ssh_agent(["not a key"], dict(os.environ)):
            pass
    assert "not a key" not in str(err.value)


def test_prepends_follow_jenkins() -> None:
    env = apply_prepends({"PATH": "/usr/bin", "PATH+JDK": "/jdk/bin", "PATH+MAVEN": "/mvn/bin", "X": "1"}, ":")
    assert env == {"PATH": "/mvn/bin:/jdk/bin:/usr/bin", "X": "1"}  # each prepends in turn: the later one first
    assert apply_prepends({"LD_LIBRARY_PATH+A": "/a"}, ":") == {"LD_LIBRARY_PATH": "/a"}
    plain, command = prepend_command({"PATH+JDK": "/opt/my jdk/bin", "A": "b"}, 'echo "$PATH"')
    assert plain == {"A": "b"}
    out = subprocess.run(["/bin/sh", "-c", command], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert out.stdout.strip() == "/opt/my jdk/bin:/usr/bin:/bin"


@pytest.mark.airflow
@pytest.mark.slow
def test_tools_and_workspaces_reach_the_tasks(airflow_db: Path, configured_dags_folder: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from jenkins2flow.convert import convert_job
    from jenkins2flow.convert.rules import load_rules
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    homes = {v: _fake_jdk(tmp_path, v) for v in ("8", "11")}
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "estate.yaml").write_text(
        "agents: {labels: {java: {queue: default}}}\nscm: {own: {provided: 'the test needs no repository'}}\n"
        f"tools: {{installations: {{jdk: {{'JDK 8': {{home: '{homes['8']}'}}, "
        f"'JDK 11': {{home: '{homes['11']}'}}}}}}}}\n", encoding="utf-8")
    conv = convert_job(parse_jenkinsfile(JENKINSFILE, "Jenkinsfile", "team/jdks"), load_rules([mappings]))
    assert conv.status == "converted", conv.reasons
    key, fingerprint = _key(tmp_path)
    monkeypatch.setenv("AIRFLOW_CONN_DEPLOY_KEY", json.dumps({"conn_type": "ssh", "extra": {"private_key": key}}))
    store = tmp_path / "store.db"
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(store))
    publish_all(store, [*conv.templates, *conv.tasks, model.make("pipeline", "team-jdks", conv.pipeline)])
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    run = bag.dags["team-jdks"].test()

    assert str(run.state) == "success"
    root = run_workspace("team-jdks", run.run_id)
    ws = root / "ws1"
    assert (ws / "j8.txt").read_text().splitlines() == ["fake java 8", str(homes["8"])]
    assert (ws / "j11.txt").read_text().splitlines() == ["fake java 11", str(homes["11"])]
    assert (ws / "out" / "deep" / "where.txt").read_text().splitlines() == [str(ws / "out" / "deep"), str(ws)]
    assert fingerprint in (ws / "keys.txt").read_text()  # the key is in the task's own agent
    assert not os.path.exists((ws / "sock.txt").read_text().strip()), "the agent is stopped after the task"
    task_env = (ws / "env.txt").read_text()
    assert "JENKINS2FLOW_SSH_KEY" not in task_env  # the key is no variable of the task's (the one copy in its
    assert task_env.count("BEGIN OPENSSH PRIVATE KEY") == 1  # environment is this test's AIRFLOW_CONN_DEPLOY_KEY)

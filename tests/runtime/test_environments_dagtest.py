"""What converted tasks see when they run: tool installations (JAVA_HOME, PATH+JDK prepended to PATH as Jenkins
does) per parallel branch, and custom workspaces / `dir` folders with their WORKSPACE, in one real dag.test()."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.executors.environment import apply_prepends, prepend_command
from jenkins2flow_runtime.workspace import run_workspace

JENKINSFILE = """pipeline {
  agent { node { label 'java'; customWorkspace 'ws1' } }
  stages {
    stage('Test') {
      parallel {
        stage('j8') { tools { jdk 'JDK 8' } steps { sh 'java > "$WORKSPACE/j8.txt"; echo "$JAVA_HOME" >> "$WORKSPACE/j8.txt"' } }
        stage('j11') { tools { jdk 'JDK 11' } steps { sh 'java > "$WORKSPACE/j11.txt"; echo "$JAVA_HOME" >> "$WORKSPACE/j11.txt"' } }
      }
    }
    stage('Where') {
      steps {
        dir('out/deep') { sh 'pwd > where.txt; echo "$WORKSPACE" >> where.txt' }
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
        "agents: {labels: {java: {queue: default}}}\n"
        f"tools: {{installations: {{jdk: {{'JDK 8': {{home: '{homes['8']}'}}, "
        f"'JDK 11': {{home: '{homes['11']}'}}}}}}}}\n", encoding="utf-8")
    conv = convert_job(parse_jenkinsfile(JENKINSFILE, "Jenkinsfile", "team/jdks"), load_rules([mappings]))
    assert conv.status == "converted", conv.reasons
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

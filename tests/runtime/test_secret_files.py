"""Jenkins' file bindings at run time (executors.secret_files): the variable holds the path of a file holding the
secret, in a private folder under `<WORKSPACE>@tmp/secretFiles`, readable by the task's user only, removed when the
task ends whether its command succeeded or not."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from catalog_samples import publish_all
from jenkins2flow_runtime import model
from jenkins2flow_runtime.executors.secret_files import secret_files
from jenkins2flow_runtime.executors.shell import run_shell
from jenkins2flow_runtime.workspace import run_workspace

SECRET = '{"type": "service_account",\n "private_key_id": "k-2f8c1e0d9b7a"}\n'
PROBE = 'test -f "$F" && stat -c "%a" "$F" && stat -c "%a" "$(dirname "$F")" && wc -c < "$F" && echo "$F"'


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_shell_command_reads_the_secret_through_the_path_and_the_file_is_gone_afterwards(tmp_path: Path) -> None:
    lines: list[str] = []
    ws_tmp = tmp_path / "ws@tmp"
    with secret_files({"F": SECRET}, ws_tmp) as paths:
        path = Path(paths["F"])
        assert path.read_text(encoding="utf-8") == SECRET  # the text as is: no newline added or taken away
        ran = run_shell(PROBE, cwd=tmp_path, env={**os.environ, "F": paths["F"]}, log=lines.append, capture=True)
    assert ran.code == 0, lines
    assert ran.stdout.split() == ["400", "700", str(len(SECRET.encode())), str(path)]  # Jenkins' 0400 in a 0700 folder
    assert path.parent.parent == ws_tmp / "secretFiles" and _mode(ws_tmp / "secretFiles") == 0o700
    assert path.name.startswith("file") and path.name.endswith(".tmp")
    assert not path.exists() and not path.parent.exists()
    assert SECRET.strip() not in "\n".join(lines)  # the runtime logs the command's output, never the file


def test_the_file_is_removed_when_the_command_fails_or_the_task_is_stopped(tmp_path: Path) -> None:
    with secret_files({"F": SECRET}, tmp_path / "ws@tmp") as paths:
        ran = run_shell('test -f "$F" && chmod 000 "$(dirname "$F")"; exit 3', cwd=tmp_path,
                        env={**os.environ, "F": paths["F"]}, log=lambda _: None)
    assert ran.code == 3
    assert not Path(paths["F"]).exists() and not Path(paths["F"]).parent.exists()  # even a folder made unreadable

    with pytest.raises(KeyboardInterrupt), secret_files({"F": SECRET, "G": "second"}, tmp_path / "ws@tmp") as paths:
        assert all(Path(p).is_file() for p in paths.values())
        raise KeyboardInterrupt  # as a timeout or a kill reaches the task
    assert not any(Path(p).exists() for p in paths.values())
    assert list((tmp_path / "ws@tmp" / "secretFiles").iterdir()) == []


def test_no_binding_no_folder(tmp_path: Path) -> None:
    with secret_files({}, tmp_path / "ws@tmp") as paths:
        assert paths == {}
    assert not (tmp_path / "ws@tmp").exists()


def test_a_secret_file_is_never_handed_to_fargate() -> None:
    from jenkins2flow_runtime.fargate import FargateConfig, FargateError, secret_value_from

    config = FargateConfig(variable_arn_prefix="arn:aws:secretsmanager:eu-west-1:1:secret:airflow/variables/")
    with pytest.raises(FargateError, match="'F' is a Jenkins secret file"):
        secret_value_from([{"env": "F", "source": "variable", "id": "gcp-key", "as_file": True}], config)


JENKINSFILE = """pipeline {
  agent any
  stages {
    stage('Load') {
      steps {
        withCredentials([file(credentialsId: 'gcp-key', variable: 'KEY_FILE'),
                         sshUserPrivateKey(credentialsId: 'deploy-ssh', keyFileVariable: 'SSH_KEY',
                                           usernameVariable: 'SSH_USER')]) {
          sh '''echo "$KEY_FILE" > "$WORKSPACE/key_path.txt"; cp "$KEY_FILE" "$WORKSPACE/key_copy.txt"
                stat -c "%a" "$KEY_FILE" "$SSH_KEY" > "$WORKSPACE/modes.txt"; echo "$SSH_USER" > "$WORKSPACE/user.txt"
                cp "$SSH_KEY" "$WORKSPACE/ssh_copy.txt"; echo "$SSH_KEY" > "$WORKSPACE/ssh_path.txt"
                env > "$WORKSPACE/env.txt"'''
        }
      }
    }
    stage('Fail') {
      steps {
        withCredentials([file(credentialsId: 'gcp-key', variable: 'KEY_FILE')]) {
          sh 'echo "$KEY_FILE" > "$WORKSPACE/failed_path.txt"; test -f "$KEY_FILE"; exit 4'
        }
      }
    }
  }
}
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_a_converted_file_binding_runs_with_a_path_in_airflow(airflow_db: Path, configured_dags_folder: Path,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from jenkins2flow.convert import convert_job
    from jenkins2flow.convert.rules import load_rules
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "estate.yaml").write_text("scm: {own: {provided: 'the test needs no repository'}}\n", encoding="utf-8")
    conv = convert_job(parse_jenkinsfile(JENKINSFILE, "Jenkinsfile", "team/keys"), load_rules([mappings]))
    assert conv.status == "converted", conv.reasons
    documents = [*conv.templates, *conv.tasks, model.make("pipeline", "team-keys", conv.pipeline)]
    assert "k-2f8c1e0d9b7a" not in json.dumps([d.model_dump(mode="json") for d in documents])
    key = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-not-a-real-key\n"
           "-----END OPENSSH PRIVATE KEY-----")
    monkeypatch.setenv("AIRFLOW_VAR_GCP-KEY", SECRET)
    monkeypatch.setenv("AIRFLOW_CONN_DEPLOY-SSH", json.dumps({"conn_type": "ssh", "login": "deployer",
                                                              "extra": {"private_key": key}}))
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(tmp_path / "store.db"))
    publish_all(tmp_path / "store.db", documents)
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    run = bag.dags["team-keys"].test()

    assert str(run.state) == "failed"  # the Fail stage's exit 4
    ws = run_workspace("team-keys", run.run_id)
    key_path = Path((ws / "key_path.txt").read_text().strip())
    assert key_path.parent.parent == Path(f"{ws}@tmp") / "secretFiles"
    assert (ws / "key_copy.txt").read_text() == SECRET
    assert (ws / "ssh_copy.txt").read_text() == key + "\n"  # each key followed by a newline, as Jenkins writes it
    assert (ws / "modes.txt").read_text().split() == ["400", "400"]
    assert (ws / "user.txt").read_text().strip() == "deployer"
    task_env = (ws / "env.txt").read_text().splitlines()  # the variables hold paths, not the secrets
    ssh_path = Path((ws / "ssh_path.txt").read_text().strip())
    assert f"KEY_FILE={key_path}" in task_env and f"SSH_KEY={ssh_path}" in task_env
    assert ssh_path.parent == key_path.parent and ssh_path != key_path
    failed_path = Path((ws / "failed_path.txt").read_text().strip())
    assert not key_path.exists() and not ssh_path.exists() and not key_path.parent.exists()
    assert not failed_path.exists() and not failed_path.parent.exists()  # gone after the failed command too
    assert list((Path(f"{ws}@tmp") / "secretFiles").iterdir()) == []


class _Conn:
    def __init__(self, **extra: str) -> None:
        self.extra_dejson = extra


def test_the_passphrase_is_empty_when_the_key_has_none_and_read_under_either_name() -> None:
    """Jenkins sets passphraseVariable to "" for a key without a passphrase; the extra is Airflow's SSH connection's
    `private_key_passphrase`, and `passphrase` (what catalogs converted before name) is still read."""
    from jenkins2flow_runtime.airflow.secrets import connection_field

    assert connection_field(_Conn(private_key="k"), "private_key_passphrase", "ssh") == ""
    assert connection_field(_Conn(private_key_passphrase="p1"), "private_key_passphrase", "ssh") == "p1"
    assert connection_field(_Conn(passphrase="p0"), "private_key_passphrase", "ssh") == "p0"
    assert connection_field(_Conn(passphrase="p0"), "passphrase", "ssh") == "p0"  # a stored task of before
    assert connection_field(_Conn(), "passphrase", "ssh") == ""


CREDENTIAL_HOME = Path(__file__).parents[1] / "sources" / "data" / "credential_home"


@pytest.mark.airflow
@pytest.mark.slow
def test_environment_credentials_of_a_file_and_an_ssh_key_are_paths_in_a_real_run(
        airflow_db: Path, configured_dags_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JENKINS_HOME's team/etl: `GCP = credentials('gcp-key')` (a secret file) and `SSH =
    credentials('deploy-ssh')` (an SSH key without a passphrase) hold paths of files holding the secrets."""
    from airflow.dag_processing.dagbag import DagBag

    from jenkins2flow.estate_service import EstateService

    conv = next(c for c in EstateService([str(CREDENTIAL_HOME)]).conversions() if c.job == "team/etl")
    assert conv.status == "converted", conv.reasons
    documents = [*conv.templates, *conv.tasks, model.make("pipeline", "team.etl", conv.pipeline)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-env-key\n-----END OPENSSH PRIVATE KEY-----"
    monkeypatch.setenv("AIRFLOW_VAR_GCP-KEY", SECRET)
    monkeypatch.setenv("AIRFLOW_VAR_SHARED", "shared-file-text\n")
    monkeypatch.setenv("AIRFLOW_VAR_API-TOKEN", "tok-51e0c9a7")
    monkeypatch.setenv("AIRFLOW_CONN_DEPLOY-SSH", json.dumps({"conn_type": "ssh", "login": "deployer",
                                                              "extra": {"private_key": key}}))
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE-DB", json.dumps({"conn_type": "postgres", "login": "loader",
                                                                "password": "pw-7c2d"}))
    dumped = json.dumps([d.model_dump(mode="json") for d in documents])
    for secret in ("k-2f8c1e0d9b7a", "env-key", "tok-51e0c9a7", "pw-7c2d", "shared-file-text"):
        assert secret not in dumped
    monkeypatch.setenv("JENKINS2FLOW_STORE", str(tmp_path / "store.db"))
    publish_all(tmp_path / "store.db", documents)
    bag = DagBag(dag_folder=str(configured_dags_folder))
    assert bag.import_errors == {}

    run = bag.dags["team.etl"].test()

    assert str(run.state) == "success"
    ws = run_workspace("team.etl", run.run_id)
    gcp_path = Path((ws / "gcp_path.txt").read_text().strip())
    assert gcp_path.parent.parent == Path(f"{ws}@tmp") / "secretFiles" and not gcp_path.exists()
    assert (ws / "gcp_copy.txt").read_text() == SECRET
    assert (ws / "shared_copy.txt").read_text() == "shared-file-text\n"  # the folder's secret file
    assert (ws / "ssh_copy.txt").read_text() == key + "\n"
    assert (ws / "ssh_user.txt").read_text().strip() == "deployer:."  # no passphrase: "" as in Jenkins
    assert (ws / "db.txt").read_text().strip() == "loader:pw-7c2d|loader|pw-7c2d"
    assert (ws / "token.txt").read_text().strip() == "tok-51e0c9a7"


KILLED = """
import os, signal, sys
from pathlib import Path
from jenkins2flow_runtime.executors.secret_files import secret_files
with secret_files({"F": "s3cr3t"}, Path(sys.argv[1])) as paths:
    print(paths["F"], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_folder_a_killed_task_left_is_removed_by_the_next_task_of_the_host(tmp_path: Path) -> None:
    """SIGKILL ends a task before it can remove its folder (the OOM killer does the same): the next task to bind
    files in the workspace removes it, as no process holds its lock any more."""
    import subprocess
    import sys

    ws_tmp = tmp_path / "ws@tmp"
    killed = subprocess.run([sys.executable, "-c", KILLED, str(ws_tmp)], capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert killed.returncode == -9, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.read_text() == "s3cr3t"  # what a kill leaves: the secret, on disk
    with secret_files({"G": SECRET}, ws_tmp) as paths:
        assert not left.exists() and not left.parent.exists()
        assert Path(paths["G"]).is_file()
    assert list((ws_tmp / "secretFiles").iterdir()) == []


def test_a_running_tasks_folder_and_another_hosts_are_left_alone(tmp_path: Path) -> None:
    ws_tmp = tmp_path / "ws@tmp"
    from jenkins2flow_runtime.executors.secret_files import _host_prefix

    # another host's folder in a shared workspace (its processes are not seen from here): never this host's prefix
    other = ws_tmp / "secretFiles" / f"x{_host_prefix()}x1y2"
    other.mkdir(parents=True)
    (other.parent / (other.name + ".lock")).write_text("")
    with secret_files({"F": SECRET}, ws_tmp) as running:
        with secret_files({"G": SECRET}, ws_tmp) as paths:  # a second task while the first runs
            assert Path(running["F"]).is_file() and Path(paths["G"]).is_file()
        assert Path(running["F"]).is_file()
    assert sorted(p.name for p in (ws_tmp / "secretFiles").iterdir()) == [other.name, other.name + ".lock"]

"""Third audit of the `converted` label (docs/conversion-status.md) on data-pipeline Jenkinsfiles written fresh:
credentials bindings. Each case was labelled converted while its pipeline would not do what Jenkins does."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

from .helpers import own_provided


def _convert(text: str, name: str):  # type: ignore[no-untyped-def]
    return convert_job(parse_jenkinsfile(text, f"{name}.Jenkinsfile", f"feeds/{name}"), own_provided())


def _secrets(conv):  # type: ignore[no-untyped-def]
    return {(s.env, s.source, s.id, s.field) for d in conv.tasks if hasattr(d.spec, "secrets") for s in d.spec.secrets}


def _approximated(conv) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{e.span.line}: {e.element}: {e.reason}" for e in conv.ledger if e.outcome == "approximated"]


ENV_CREDENTIALS = """pipeline {
  agent any
  environment {
    DB = credentials('warehouse-db')
  }
  stages {
    stage('Query') {
      steps {
        sh 'psql "postgresql://$DB_USR:$DB_PSW@db/warehouse" -c "select 1"'
        sh 'curl -u "$DB" https://api.example.com/'
      }
    }
  }
}
"""


def test_environment_credentials_with_usr_and_psw_reads_the_whole_variable_from_the_same_connection() -> None:
    """For a username/password credential, Jenkins sets DB to `user:password` besides DB_USR and DB_PSW. DB was a
    reference to an Airflow variable of the same id: a second secret to create, holding whatever was put there."""
    conv = _convert(ENV_CREDENTIALS, "env_credentials")
    assert _secrets(conv) == {("DB", "connection", "warehouse-db", "login:password"),
                              ("DB_USR", "connection", "warehouse-db", "login"),
                              ("DB_PSW", "connection", "warehouse-db", "password")}
    assert conv.status == "converted"


FILE_BINDINGS = """pipeline {
  agent any
  stages {
    stage('Extract') {
      steps {
        withCredentials([file(credentialsId: 'gcp-key', variable: 'GCP_KEY_FILE'),
                         string(credentialsId: 'slack-token', variable: 'TOKEN')]) {
          sh 'gcloud auth activate-service-account --key-file="$GCP_KEY_FILE"'
        }
      }
    }
  }
}
"""

STRING_ONLY = FILE_BINDINGS.replace("file(credentialsId: 'gcp-key', variable: 'GCP_KEY_FILE'),\n", "").replace(
    '--key-file="$GCP_KEY_FILE"', '--token="$TOKEN"')


def test_a_secret_file_binding_is_converted_the_task_gets_a_path_to_the_secret() -> None:
    """Jenkins' file binding sets the variable to the path of a temporary file holding the secret. The runtime
    used to set it to the Airflow variable's value (the key itself), so the job was flagged; it now writes the file
    (SecretRef.as_file, see tests/runtime/test_secret_files.py), and the task names the credential, not its value."""
    conv = _convert(FILE_BINDINGS, "file_binding")
    assert conv.status == "converted", conv.reasons
    assert _approximated(conv) == []
    refs = [s for d in conv.tasks if hasattr(d.spec, "secrets") for s in d.spec.secrets]
    assert {(s.env, s.source, s.id, s.as_file) for s in refs} == {("GCP_KEY_FILE", "variable", "gcp-key", True),
                                                                  ("TOKEN", "variable", "slack-token", False)}
    assert [(u.credentials_id, u.binding, u.env) for u in conv.credentials] == [
        ("gcp-key", "file", ("GCP_KEY_FILE",)), ("slack-token", "string", ("TOKEN",))]
    assert _convert(STRING_ONLY, "string_binding").status == "converted"


SSH_AND_CERT = """pipeline {
  agent any
  stages {
    stage('Ship') {
      steps {
        withCredentials([sshUserPrivateKey(credentialsId: 'deploy-ssh', keyFileVariable: 'SSH_KEY',
                                           usernameVariable: 'SSH_USER')]) {
          sh 'scp -i "$SSH_KEY" out.csv "$SSH_USER"@host:/data/'
        }
        withCredentials([certificate(credentialsId: 'client-cert', keystoreVariable: 'KS', passwordVariable: 'KS_PASS',
                                     aliasVariable: 'KS_ALIAS')]) {
          sh 'keytool -list -keystore "$KS" -storepass "$KS_PASS"'
        }
      }
    }
  }
}
"""


def test_a_key_file_is_a_secret_file_a_keystore_is_flagged_and_the_certificate_alias_is_not_dropped() -> None:
    """sshUserPrivateKey's keyFileVariable and certificate's keystoreVariable are paths to files in Jenkins. The key
    file is written by the runtime like a `file` binding's (the connection's `private_key` extra); the keystore
    (binary PKCS#12) is not, so the job stays flagged for it. The certificate's aliasVariable was dropped without a
    word."""
    conv = _convert(SSH_AND_CERT, "ssh_and_cert")
    assert conv.status == "partial"
    found = "\n".join(_approximated(conv))
    assert "SSH_KEY" not in found and "'KS'" in found
    assert "KS_ALIAS" in found
    assert {(s.env, s.field, s.as_file) for s in (ref for d in conv.tasks if hasattr(d.spec, "secrets")
                                                  for ref in d.spec.secrets) if s.id == "deploy-ssh"} == {
        ("SSH_KEY", "private_key", True), ("SSH_USER", "login", False)}
    ssh_only = SSH_AND_CERT[:SSH_AND_CERT.index("        withCredentials([certificate")] + "      }\n    }\n  }\n}\n"
    assert _convert(ssh_only, "ssh_only").status == "converted"


CAUGHT_THEN_RESULT = """pipeline {
  agent any
  stages {
    stage('Optional') {
      steps {
        catchError(buildResult: '%s', stageResult: 'FAILURE') {
          sh './optional_check.sh'
        }
      }
    }
    stage('Report') {
      steps {
        script {
          if (currentBuild.currentResult == 'SUCCESS') {
            sh './publish.sh'
          }
        }
      }
    }
  }
}
"""


def test_a_build_result_read_after_a_handled_failure_is_flagged() -> None:
    """catchError(buildResult: 'SUCCESS') leaves Jenkins' result SUCCESS, so publish.sh runs; the runtime's
    currentResult is FAILURE once any task failed, the caught one included, and the gate skipped publish.sh.
    Labelled converted. With the default buildResult FAILURE both read FAILURE: nothing to flag."""
    conv = _convert(CAUGHT_THEN_RESULT % "SUCCESS", "caught_success")
    assert conv.status == "partial"
    assert [(f.kind, f.span.line) for f in conv.lint] == [("result", 14)]
    faithful = _convert(CAUGHT_THEN_RESULT % "FAILURE", "caught_failure")
    assert faithful.lint == [] and faithful.status == "converted"


TRY_THEN_RESULT = """node {
  stage('Load') {
    try {
      sh './load.sh'
    } catch (e) {
      echo "load failed: ${e}"
    }
    sh "./report.sh ${currentBuild.currentResult}"
  }
}
"""


def test_a_scripted_catch_then_a_result_read_is_flagged() -> None:
    """A failure a try/catch handles leaves Jenkins' result SUCCESS; report.sh got FAILURE."""
    conv = _convert(TRY_THEN_RESULT, "try_result")
    assert "result" in {f.kind for f in conv.lint} and conv.status != "converted"


DOCKER = "agent { docker { image 'google/cloud-sdk:slim' } }"
FARGATE_FIX = "JENKINS2FLOW_CONTAINER_EXECUTOR=local"


def _reasons_at(conv, line: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [r for r in conv.reasons if f".Jenkinsfile:{line}:" in r]


def test_a_secret_file_in_a_docker_agent_is_flagged_where_it_would_run_on_fargate() -> None:
    """A docker agent's tasks run in a container on Fargate, where ECS puts secrets in the environment only: the
    runtime refuses a secret file there when the task starts. Such a job was labelled converted and failed on its
    first run. The same job on a plain agent (the file is written on the worker), and a docker agent with only secret
    text, stay converted."""
    conv = _convert(FILE_BINDINGS.replace("agent any", DOCKER), "docker_file")
    assert conv.status == "partial"
    assert [t.executor for t in conv.pipeline.tasks] == ["fargate"]  # where it runs is unchanged
    [reason] = _reasons_at(conv, 8)
    assert reason.startswith("docker_file.Jenkinsfile:8:11: step sh: 'GCP_KEY_FILE' holds the path of a file")
    assert "Fargate" in reason and FARGATE_FIX in reason and "'TOKEN'" not in reason
    assert _convert(FILE_BINDINGS, "file_binding").status == "converted"
    text_only = _convert(STRING_ONLY.replace("agent any", DOCKER), "docker_string")
    assert text_only.status == "converted", text_only.reasons


SCRIPTED_DOCKER = """node {
  stage('Ship') {
    docker.image('alpine/git:2.45').inside {
      withCredentials([sshUserPrivateKey(credentialsId: 'deploy-ssh', keyFileVariable: 'SSH_KEY',
                                         usernameVariable: 'SSH_USER')]) {
        sh 'scp -i "$SSH_KEY" out.csv "$SSH_USER"@host:/data/'
      }
    }
  }
}
"""


def test_a_key_file_in_a_scripted_docker_inside_is_flagged_and_not_on_the_worker() -> None:
    """`docker.image().inside` runs its tasks on Fargate as a docker agent does; sshUserPrivateKey's keyFileVariable
    is a secret file. Without the container the key file is written on the worker: converted."""
    conv = _convert(SCRIPTED_DOCKER, "scripted_docker")
    assert conv.status == "partial"
    [reason] = _reasons_at(conv, 6)
    assert reason.startswith("scripted_docker.Jenkinsfile:6:9: step sh: 'SSH_KEY' holds the path of a file")
    assert FARGATE_FIX in reason and "SSH_USER" not in reason
    plain = _convert(SCRIPTED_DOCKER.replace("docker.image('alpine/git:2.45').inside", "dir('out')"), "scripted_plain")
    assert plain.status == "converted", plain.reasons

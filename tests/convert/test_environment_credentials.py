"""`environment { F = credentials('id') }` bound by the credential's kind, as pipeline-model-definition's
CredentialsBindingHandler binds it: secret text -> F; username/password -> F (user:password), F_USR, F_PSW; secret
file -> F the path of a file; SSH key -> F the key file's path, F_USR, F_PSW (the passphrase, "" without one).
The kinds come from the estate's credential stores (tests/sources/data/credential_home); an id no store holds keeps
the old guess, noted in the credentials plan, and flagged only where the variable is read as a path."""

from __future__ import annotations

import shutil
from pathlib import Path

from jenkins2flow_runtime.store import open_store

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.summary import EstateReport
from jenkins2flow.estate_service import EstateOptions, EstateService
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.render.audit import UNKNOWN_KIND, markdown

from .helpers import own_provided

HOME = Path(__file__).parents[1] / "sources" / "data" / "credential_home"
SECRETS = ("AQAAABAAAAAQ", "AKIAIOSFODNN7EXAMPLE", "SECRETVALUE", "PRIVATEKEY", "FILEBYTES", "gcp.json")


def _secrets(conv):  # type: ignore[no-untyped-def]
    return {(s.env, s.source, s.id, s.field, s.as_file) for d in conv.tasks if hasattr(d.spec, "secrets")
            for s in d.spec.secrets}


def _conversions() -> dict[str, object]:
    options = EstateOptions()
    service = EstateService([str(HOME)], options)
    return {c.job: c for c in service.conversions()}


def test_each_kind_is_bound_as_jenkins_binds_it() -> None:
    conv = _conversions()["team/etl"]
    assert conv.status == "converted", conv.reasons  # type: ignore[attr-defined]
    assert _secrets(conv) == {
        ("TOKEN", "variable", "api-token", "", False),
        ("DB", "connection", "warehouse-db", "login:password", False),
        ("DB_USR", "connection", "warehouse-db", "login", False),
        ("DB_PSW", "connection", "warehouse-db", "password", False),
        ("GCP", "variable", "gcp-key", "file", True),  # a path: the runtime writes the file
        ("SSH", "connection", "deploy-ssh", "private_key", True),
        ("SSH_USR", "connection", "deploy-ssh", "login", False),
        ("SSH_PSW", "connection", "deploy-ssh", "private_key_passphrase", False),
        ("SHARED", "variable", "shared", "file", True),  # the team folder's file, not the system's secret text
    }


def test_a_job_outside_the_folder_gets_the_system_credential_of_the_same_id() -> None:
    assert _secrets(_conversions()["top"]) == {("SHARED", "variable", "shared", "", False)}


def test_kinds_without_a_declarative_handler_are_flagged_and_an_invisible_id_is_unknown() -> None:
    conv = _conversions()["team/sign"]
    assert conv.status == "partial"  # type: ignore[attr-defined]
    reasons = "\n".join(conv.reasons)  # type: ignore[attr-defined]
    assert "'signing-cert' is of kind 'certificate'" in reasons and "No suitable binding handler" in reasons
    assert "'aws-prod' is of kind 'aws'" in reasons
    assert "agent-only" not in reasons  # SYSTEM scope: unknown, noted in the plan only (echo is no path use)
    kinds = {u.credentials_id: u.kind for u in conv.credentials}  # type: ignore[attr-defined]
    assert kinds == {"signing-cert": "certificate", "aws-prod": "aws", "agent-only": "unknown"}


def test_no_secret_reaches_the_catalog_or_the_dag_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(HOME, home)
    run = EstateService([str(home)], EstateOptions(store=str(tmp_path / "store.db"), dags_dir=tmp_path / "dags")
                        ).convert()
    run.report.close()
    assert run.totals.statuses["converted"] == 2, run.totals
    dumped = (tmp_path / "store.db").read_bytes().decode("utf-8", "replace")
    dags = "".join(p.read_text() for p in (tmp_path / "dags").glob("*.py"))
    assert "gcp-key" in dumped and "deploy-ssh" in dumped  # the references are there
    for secret in SECRETS:
        assert secret not in dumped and secret not in dags, secret
    with open_store(str(tmp_path / "store.db")) as store:
        assert store.get("pipeline", "team.etl") is not None


LOOSE = """pipeline {
  agent any
  environment {
    TOKEN = credentials('api-token')
    KEY = credentials('gcp-key')
  }
  stages {
    stage('Load') {
      steps {
        sh 'curl -H "Authorization: Bearer $TOKEN" https://x/ && gcloud auth activate-service-account --key-file=$KEY'
      }
    }
  }
}
"""


def test_an_unknown_kind_keeps_the_guess_is_noted_and_is_flagged_only_where_read_as_a_path() -> None:
    conv = convert_job(parse_jenkinsfile(LOOSE, "loose.Jenkinsfile", "feeds/loose"), own_provided())
    assert _secrets(conv) == {("TOKEN", "variable", "api-token", "", False), ("KEY", "variable", "gcp-key", "", False)}
    assert conv.status == "partial"
    assert len(conv.reasons) == 1 and "environment KEY" in conv.reasons[0] and "a file's path" in conv.reasons[0]
    infos = [d.message for d in conv.diagnostics if d.level == "info"]
    assert any("environment TOKEN: credential 'api-token' is in no credential store read" in m for m in infos)
    report = EstateReport(None)
    report.add(conv)
    plan = {c["credentials_id"]: c for c in report.totals()["credentials"]}
    assert plan["api-token"]["kind"] == "unknown" and UNKNOWN_KIND in markdown({**report.totals(),
                                                                              "jobs_detail": []})
    report.close()

    only_text = LOOSE.replace(" && gcloud auth activate-service-account --key-file=$KEY", "")
    conv = convert_job(parse_jenkinsfile(only_text, "loose.Jenkinsfile", "feeds/loose"), own_provided())
    assert conv.status == "converted", conv.reasons  # the label does not move for a variable never read as a path


PATH_USES = [  # (name, script, read as a path)
    ("K", "sh 'ssh -i $K host'", True),
    ("K", "sh 'ssh -i\n   \"${K}\" host'", True),  # the option on the line before the name
    ("K", "sh '''\ncurl\n--cacert $K https://x\n'''", True),  # `curl\\s`: curl on the line before --cacert
    ("K", "sh '''\nopenssl x509 -in\n\n\n   $K\n'''", False),  # `-in` takes no path here: no rule for it
    ("K", "sh '''\nscp -F\n\n\n   $K host:\n'''", True),  # blank lines between `-F` and the name
    ("K", "sh 'cat $KEY'", False),  # another name that starts the same
    ("K", "sh 'echo $K'\nsh 'cat notes'\n", False),
    ("K", "sh \"base64 -d < ${env.K} > out\"", True),
    ("K", "bat 'type %K% & more < %K%'", True),
    ("K", "def x = readFile(K)", True),
    ("K", "K\ncat", False),  # the name before the command
    ("KEY", "sh '--key-file=$KEY'", True),
    ("KEY", "sh 'x-i $KEY'", False),  # `-i` inside a word is no option
    ("TOKEN", "echo $TOKEN; cat file", False),  # `;` ends the command's words
    ("KEY", "env.KEY\n" * 200 + "sh 'cat $KEY'", True),  # many places, one use, at the end
]


def test_a_path_use_is_found_in_the_lines_around_the_name_as_in_the_whole_script() -> None:
    """used_as_path searches only the lines around each place of the name; it finds what a search of the whole
    script finds (the corpus's credential scripts were ~10 ms each whole)."""
    import re

    from jenkins2flow.convert.environment import _PATH_USE, used_as_path

    for name, script, expected in PATH_USES:
        whole = re.search(_PATH_USE + rf"(?:\$\{{?|\benv\.|\$env:|%)?{re.escape(name)}\b", script) is not None
        assert whole == expected, (name, script)
        assert used_as_path(name, script) == expected, (name, script)

"""Secrets written in clear (convert.secrets): what is a secret, what is not, and what the converter makes of one
in environment, withEnv, EnvInject, parameter defaults and shell text."""

from __future__ import annotations

import re

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.secrets import classify, find, mask, mask_data, secret_name
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml

GH = "ghp_" + "F" * 36
AWS = "AKIA" + "FAKE" * 4


@pytest.mark.parametrize("name", ["DB_PASSWORD", "apiToken", "AWS_SECRET_ACCESS_KEY", "DB_PWD", "GITHUB_TOKEN",
                                  "clientSecret", "SSH_PRIVATE_KEY", "npm-token", "service.passphrase"])
def test_secret_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", ["PASSWORD_FILE", "TOKEN_URL", "CREDENTIALS_ID", "AWS_ACCESS_KEY_ID", "PWD",
                                  "TOKENIZER", "SORT_KEY", "passwordVariable", "BYPASS", "SECRET_ARN"])
def test_names_that_are_about_a_secret_or_not_one(name: str) -> None:
    assert not secret_name(name)


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("ANY", AWS, "AWS access key"),
    ("ANY", GH, "GitHub token"),
    ("ANY", "github_pat_" + "a" * 30, "GitHub token"),
    ("ANY", "xoxb-0000-fake-slack-token", "Slack token"),
    ("ANY", "https://hooks.slack.com/services/TFAKE0000/BFAKE0000/fakefake", "Slack webhook"),
    ("ANY", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "private key"),
    ("ANY", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.fakesignaturefake", "JWT"),
    ("ANY", "postgres://etl:pgfake@db:5432/x", "password in a URL"),
    ("ANY", "{AQAAABAAAAAQfakeEncryptedValue=}", "Jenkins-encrypted secret"),
    ("DB_PASSWORD", "hunter2", "named secret"),
    ("DB_CREDENTIALS", "user:pass", "named secret"),
])
def test_secrets_by_shape_or_name(name: str, value: str, kind: str) -> None:
    assert classify(name, value) == kind


@pytest.mark.parametrize(("name", "value"), [
    ("PASSWORD_FILE", "/run/secrets/db"), ("DB_PASSWORD", "${DB_PW}"), ("DB_PASSWORD", "$DB_PW"),
    ("DB_PASSWORD", "%DB_PW%"), ("DB_PASSWORD", ""), ("VERIFY_TOKEN", "false"), ("GIT_CREDENTIALS", "github-ssh"),
    ("VAULT_SECRET", "secret/team/ci/db"), ("TOKEN", "./token.txt"), ("REGION", "eu-west-1"),
    ("DB_URL", "postgres://etl@db/x"), ("DB_URL", "postgres://etl:$PW@db/x"),
])
def test_not_secrets(name: str, value: str) -> None:
    assert classify(name, value) == ""


def test_a_partly_computed_value_counts_by_its_shape_only() -> None:
    assert classify("DB_PASSWORD", "pw-${SUFFIX}", literal_value=False) == ""
    assert classify("X", f"Bearer {GH}", literal_value=False) == "GitHub token"


def test_shell_text_assignments_and_shapes_are_found_and_masked() -> None:
    script = f'export DB_PASSWORD="hunter2"\nTOKEN=$OTHER\ncurl -u x:{GH} https://h\nmysql -p"$PW"\n'
    assert [(f.kind, script[f.start:f.end]) for f in find(script)] == [("named secret", "hunter2"),
                                                                      ("GitHub token", GH)]
    assert mask(script) == ('export DB_PASSWORD="<masked named secret>"\nTOKEN=$OTHER\ncurl -u '
                            'x:<masked GitHub token> https://h\nmysql -p"$PW"\n')


def test_mask_data_masks_values_by_name_beside_them_and_password_parameters() -> None:
    data = {"parameters": [{"name": "DB_PASSWORD", "default": "hunter2"}, {"name": "TABLE", "default": "sales"},
                           {"name": "X", "type": "password", "default": "{AQAAAB-not-shaped}"}],
            "env": {"API_TOKEN": "abc", "MODE": "fast"}, "script": f"echo {GH}"}
    assert mask_data(data) == {
        "parameters": [{"name": "DB_PASSWORD", "default": "<masked named secret>"},
                       {"name": "TABLE", "default": "sales"},
                       {"name": "X", "type": "password", "default": "<masked named secret>"}],
        "env": {"API_TOKEN": "<masked named secret>", "MODE": "fast"}, "script": "echo <masked GitHub token>"}


JENKINSFILE = f"""pipeline {{
  agent any
  parameters {{ string(name: 'DB_PASSWORD', defaultValue: 'hunter2-fake'); string(name: 'TABLE', defaultValue: 'x') }}
  environment {{
    AWS_ACCESS_KEY_ID = '{AWS}'
    PASSWORD_FILE = '/run/secrets/db'
  }}
  stages {{
    stage('A') {{ steps {{
      withEnv(['API_TOKEN=tok-fake-1', 'MODE=fast']) {{ sh 'echo "$API_TOKEN"' }}
      withEnv(['API_TOKEN=tok-fake-2']) {{ sh 'echo again' }}
      sh 'export NPM_TOKEN=npm-fake\\ncurl -H "token: {GH}" https://x'
    }} }}
  }}
}}
"""


def test_a_jenkinsfile_keeps_no_secret_value_and_plans_each_variable() -> None:
    conv = convert_job(parse_jenkinsfile(JENKINSFILE, "j.Jenkinsfile", "team/j"))
    assert conv.pipeline is not None and conv.status == "partial"
    dump = repr([d.model_dump() for d in (*conv.tasks, *conv.templates)]) + conv.pipeline.model_dump_json()
    for value in ("hunter2-fake", AWS, "tok-fake-1", "tok-fake-2"):
        assert value not in dump and value not in repr(conv.diagnostics) and value not in repr(conv.ledger)
    # the parameter has no default; its variable fills it when a run gives none
    params = conv.templates[0].spec.parameters
    assert [(p.name, p.default) for p in params] == [("DB_PASSWORD", None), ("TABLE", "x")]
    secrets = {t.name: [(s.env, s.id, s.param_default) for s in t.spec.secrets] for t in conv.tasks}
    first, second, shell = (secrets[t.uses.name] for t in conv.pipeline.tasks)
    common = [("DB_PASSWORD", "team.j.DB_PASSWORD", True), ("AWS_ACCESS_KEY_ID", "team.j.AWS_ACCESS_KEY_ID", False)]
    assert first == common + [("API_TOKEN", "team.j.API_TOKEN", False)]
    assert second == common + [("API_TOKEN", "team.j.API_TOKEN_2", False)]  # another value, another variable
    assert shell == common
    assert [t.env for t in conv.pipeline.tasks] == [{"PASSWORD_FILE": "/run/secrets/db", "MODE": "fast"},
                                                    {"PASSWORD_FILE": "/run/secrets/db"},
                                                    {"PASSWORD_FILE": "/run/secrets/db"}]
    plan = [(u.airflow_id, u.binding, str(u.span)) for u in conv.credentials]
    assert plan == [("team.j.DB_PASSWORD", "literal parameter default (named secret)", "j.Jenkinsfile:3:16"),
                    ("team.j.AWS_ACCESS_KEY_ID", "literal environment (AWS access key)", "j.Jenkinsfile:5:5"),
                    ("team.j.API_TOKEN", "literal withEnv (named secret)", "j.Jenkinsfile:10:7"),
                    ("team.j.API_TOKEN_2", "literal withEnv (named secret)", "j.Jenkinsfile:11:7")]
    warnings = [str(d) for d in conv.diagnostics if d.level == "warning"]
    assert ("j.Jenkinsfile:5:5: environment AWS_ACCESS_KEY_ID holds a secret in clear (AWS access key); it is not "
            "copied: create the Airflow variable 'team.j.AWS_ACCESS_KEY_ID' with that value (see the credentials "
            "plan).") in warnings
    # shell text: flagged at its step, kept byte-exact
    command = next(t for t in conv.tasks if "npm-fake" in t.spec.command).spec.command
    assert command == f'export NPM_TOKEN=npm-fake\ncurl -H "token: {GH}" https://x'
    flagged = [w for w in warnings if "of the script holds a secret" in w]
    assert [w.split(" holds")[0] for w in flagged] == ["j.Jenkinsfile:12:7: step sh: line 1 of the script",
                                                       "j.Jenkinsfile:12:7: step sh: line 2 of the script"]
    assert "(GitHub token)" in flagged[1] and "npm-fake" not in flagged[0] + flagged[1]
    assert all("npm-fake" not in t.name and GH not in t.name for t in conv.tasks)


ENVINJECT = b"""<?xml version='1.1' encoding='UTF-8'?>
<project><builders><hudson.tasks.Shell><command>./run.sh</command></hudson.tasks.Shell></builders>
<buildWrappers><EnvInjectBuildWrapper><info><propertiesContent>SERVICE_SECRET=svc-fake-42
PLAIN=hello
CONFIG_PATH=/etc/app.conf</propertiesContent></info></EnvInjectBuildWrapper></buildWrappers></project>
"""


def test_envinject_secrets_become_references_and_plain_values_stay() -> None:
    conv = convert_job(parse_config_xml(ENVINJECT, "c.xml", "etl"))
    assert conv.pipeline is not None
    (task,) = conv.pipeline.tasks
    assert task.env == {"PLAIN": "hello", "CONFIG_PATH": "/etc/app.conf"}
    (doc,) = conv.tasks
    assert [(s.env, s.id) for s in doc.spec.secrets] == [("SERVICE_SECRET", "etl.SERVICE_SECRET")]
    assert "svc-fake-42" not in repr(conv.pipeline.model_dump()) + repr(doc.model_dump()) + repr(conv.ledger)
    entry = next(e for e in conv.ledger if "EnvInject" in e.element)
    assert entry.reason == "environment PLAIN, CONFIG_PATH, SERVICE_SECRET (secret)"


def test_a_placeholders_source_and_the_description_are_masked() -> None:
    xml = f"""<?xml version='1.1'?>
<project><description>deploys with {GH}</description><builders><com.acme.Deploy><apiToken>{GH}</apiToken>
</com.acme.Deploy></builders></project>""".encode()
    conv = convert_job(parse_config_xml(xml, "d.xml", "d"))
    assert conv.pipeline is not None and conv.status == "jenkins_only"
    (not_converted,) = conv.pipeline.draft_tasks
    assert "apiToken: <masked GitHub token>" in not_converted.bindings["source"]
    assert conv.pipeline.description == "deploys with <masked GitHub token>"
    assert GH not in conv.pipeline.model_dump_json()
    assert mask("apiToken: hunter2\nurl: https://x", fields=True) == "apiToken: <masked named secret>\nurl: https://x"
    assert mask("apiToken: hunter2") == "apiToken: hunter2"  # a sentence: only assignments and shapes count
    assert mask("x/my_credentials.Jenkinsfile:9:11: step", fields=True) == "x/my_credentials.Jenkinsfile:9:11: step"
    assert find("echo Token: ready") == []  # prose in a script is not flagged


def test_a_secret_passed_to_a_downstream_job_keeps_the_job_on_jenkins_and_is_never_copied() -> None:
    text = """pipeline { agent any
  stages { stage('A') { steps {
    sh 'true'
    build job: 'down', parameters: [string(name: 'API_TOKEN', value: 'tok-in-conf-fake-123'),
                                    string(name: 'DAY', value: 'monday')]
  } } } }"""
    conv = convert_job(parse_jenkinsfile(text, "t.Jenkinsfile", "t"))
    assert conv.pipeline is not None and conv.status == "jenkins_only"
    assert conv.reasons[0].startswith("t.Jenkinsfile:4:5: parameter API_TOKEN of the trigger of 'down': its value "
                                      "is a secret in clear (named secret)")
    trigger = next(t for t in conv.pipeline.draft_tasks if t.uses.name == "airflow.trigger-pipeline")
    assert trigger.bindings["conf"] == {"API_TOKEN": "<masked named secret>", "DAY": "monday"}
    assert "tok-in-conf-fake-123" not in conv.pipeline.model_dump_json()  # the draft's excerpt is masked too


def test_groovy_assignments_are_masked_in_source_text() -> None:
    assert mask("    DB_PASSWORD = 'hunter2'\n    MODE = 'fast'", fields=True) == (
        "    DB_PASSWORD = '<masked named secret>'\n    MODE = 'fast'")


def _find_without_needles(text: str, fields: bool = False) -> list[tuple[str, int, int]]:
    """find(), every shape searched (no needle shortcut), as the reference."""
    from jenkins2flow.convert import secrets

    saved = secrets.NEEDLES, secrets._ANY_NEEDLE
    try:
        secrets.NEEDLES = {kind: ("",) for kind in secrets.NEEDLES}  # "" is in every text
        secrets._ANY_NEEDLE = re.compile("")
        return [(f.kind, f.start, f.end) for f in secrets.find(text, fields)]
    finally:
        secrets.NEEDLES, secrets._ANY_NEEDLE = saved


PIECES = ["AKIA" + "A" * 16, "ASIAABCDEFGHIJKLMNOP", "aws_secret_access_key = " + "a/B+" * 10, "AWS_SECRET_ACCESS_KEY:",
          "ghp_" + "x" * 36, "github_pat_" + "y" * 22, "glpat-" + "z" * 20, "xoxb-1234567890-abc", "AIza" + "q" * 35,
          "sk_live_" + "9" * 24, "eyJabcdefghij.eyJabcdefghij.abcdefghij", "{AQAAABAAAAAQ" + "a" * 16 + "}",
          "https://user:pw@host/x", "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
          "https://hooks.slack.com/services/" + "T" * 24, "DB_PASSWORD=hunter2", "token: abc", "ACCEſS", "\u212a",
          "é", " ", "\n", "=", ":", "x", "ak", "IA", "secret", "://"]


def test_needles_never_change_what_is_found() -> None:
    import random

    rnd = random.Random(7)
    texts = ["".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 8))) for _ in range(3000)]
    texts += [p.lower() for p in PIECES] + [p.upper() for p in PIECES]
    from jenkins2flow.convert.secrets import NEEDLES, SHAPES

    assert set(NEEDLES) == {kind for kind, _ in SHAPES}  # every shape has its needles
    for text in texts:
        for fields in (False, True):
            assert [(f.kind, f.start, f.end) for f in find(text, fields)] == _find_without_needles(text, fields), text

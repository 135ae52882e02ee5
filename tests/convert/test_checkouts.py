"""Checkouts: the job's own repository is waived only where mappings `scm.provided` says the runtime has its files;
otherwise, and for any other repository, a task fetches the commit into the workspace. The fetch scripts run here
for real, with git, against local repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.checkout import HELPER, PASSWORD_ENV, USER_ENV
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ["PATH"]}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with `main` (two commits), `dev` (one more) and a tag v1."""
    repo = tmp_path_factory.mktemp("origin")
    _git(repo, "init", "-q", "-b", "main")
    for n in (1, 2):
        (repo / "README").write_text(f"main {n}\n")
        _git(repo, "add", "README")
        _git(repo, "commit", "-q", "-m", f"c{n}")
    _git(repo, "tag", "v1")
    _git(repo, "checkout", "-q", "-b", "dev")
    (repo / "README").write_text("dev\n")
    _git(repo, "commit", "-q", "-am", "dev")
    _git(repo, "checkout", "-q", "main")
    return repo


def _run(script: str, where: Path, **env: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["/bin/sh", "-xe", "-c", script], cwd=where, env={**GIT_ENV, **env}, check=True,
                   capture_output=True, text=True)


def _rules(tmp_path: Path, yaml: str) -> Any:
    folder = tmp_path / "mappings"
    folder.mkdir(exist_ok=True)
    (folder / "scm.yaml").write_text(yaml, encoding="utf-8")
    return load_rules([folder])


def _from_scm(url: str, workspace: Path, jenkinsfile: str, branch: str = "*/main", rules: Any = None) -> Any:
    (workspace / "Jenkinsfile").write_text(jenkinsfile, encoding="utf-8")
    xml = f"""<flow-definition><definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition">
<scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>
<url>{url}</url><credentialsId>gh-token</credentialsId></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>
<branches><hudson.plugins.git.BranchSpec><name>{branch}</name></hudson.plugins.git.BranchSpec></branches></scm>
<scriptPath>Jenkinsfile</scriptPath></definition></flow-definition>""".encode()
    return convert_job(parse_config_xml(xml, "config.xml", "team/etl"), rules, workspace=workspace)


DECLARATIVE = "pipeline { agent any\n stages { stage('b') { steps { sh 'cat README' } } } }\n"


def test_the_declarative_checkout_of_a_jenkinsfile_from_scm_fetches_the_job_repository(origin: Path,
                                                                                     tmp_path: Path) -> None:
    conv = _from_scm(f"file://{origin}", tmp_path, DECLARATIVE)
    assert conv.status == "converted", conv.reasons
    checkout, build = conv.pipeline.tasks
    assert checkout.id == "checkout" and build.depends_on == ["checkout"]
    spec = {d.name: d.spec for d in conv.tasks}[checkout.uses.name]
    assert [(s.env, s.id, s.field) for s in spec.secrets] == [(USER_ENV, "gh-token", "login"),
                                                              (PASSWORD_ENV, "gh-token", "password")]
    assert "credential.helper" in spec.command and "gh-token" not in spec.command  # by reference only
    _run(spec.command, tmp_path / "ws", **{USER_ENV: "u", PASSWORD_ENV: "p"})
    assert (tmp_path / "ws" / "README").read_text() == "main 2\n"
    assert _git(tmp_path / "ws", "rev-parse", "HEAD") == _git(origin, "rev-parse", "main")
    assert _git(tmp_path / "ws", "config", "remote.origin.url") == f"file://{origin}"


def test_the_job_repository_is_waived_only_where_the_runtime_provides_it(origin: Path, tmp_path: Path) -> None:
    rules = _rules(tmp_path, f"scm: {{provided: {{'file://{origin}*': 'the image carries the repository'}}}}\n")
    own = _from_scm(f"file://{origin}.git", tmp_path, DECLARATIVE, rules=rules)
    assert [t.id for t in own.pipeline.tasks] == ["b"]
    [waived] = [e for e in own.ledger if e.element == "declarative checkout"]
    assert waived.outcome == "waived" and "the image carries the repository" in waived.reason
    other = _from_scm("https://example.com/other.git", tmp_path, DECLARATIVE.replace(
        "sh 'cat README'", f"git url: 'file://{origin}', branch: 'dev'\n sh 'cat README'"), rules=rules)
    assert [t.id for t in other.pipeline.tasks] == ["checkout", "b", "b_2"]  # neither is provided: both fetched


def test_checkout_gitscm_with_extensions_runs_as_jenkins_checks_out(origin: Path, tmp_path: Path) -> None:
    text = f"""node {{ stage('s') {{
  checkout([$class: 'GitSCM', branches: [[name: 'refs/heads/main']],
            extensions: [[$class: 'CloneOption', shallow: true, depth: 1, noTags: true],
                         [$class: 'RelativeTargetDirectory', relativeTargetDir: 'lib'],
                         [$class: 'PruneStaleBranch'], [$class: 'SparseCheckoutPaths']],
            userRemoteConfigs: [[url: 'file://{origin}']]])
}} }}
"""
    conv = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"))
    [task] = conv.tasks
    _run(task.spec.command, tmp_path / "ws")
    lib = tmp_path / "ws" / "lib"
    assert (lib / "README").read_text() == "main 2\n" and _git(lib, "rev-list", "--count", "HEAD") == "1"
    assert _git(lib, "tag") == ""  # noTags
    outcomes = {(e.element, e.outcome) for e in conv.ledger}
    assert ("step checkout PruneStaleBranch", "waived") in outcomes
    target, sparse = sorted(conv.approximations, key=lambda a: "SparseCheckoutPaths" in a.reason)
    assert "SparseCheckoutPaths is not applied" in sparse.reason and str(sparse.span) == "Jenkinsfile:2:3"
    assert "GIT_COMMIT" in target.reason and "'lib'" in target.reason  # the runtime reads the root's checkout


def test_the_git_step_checks_out_a_local_branch_master_by_default(origin: Path, tmp_path: Path) -> None:
    conv = convert_job(parse_jenkinsfile(f"node {{ stage('s') {{ git url: 'file://{origin}', branch: 'dev',"
                                         " changelog: false } }\n", "Jenkinsfile", "j"))
    _run(conv.tasks[0].spec.command, tmp_path / "ws")
    assert _git(tmp_path / "ws", "rev-parse", "--abbrev-ref", "HEAD") == "dev"
    assert (tmp_path / "ws" / "README").read_text() == "dev\n"
    assert ("step git changelog", "waived") in {(e.element, e.outcome) for e in conv.ledger}
    default = convert_job(parse_jenkinsfile("node { stage('s') { git 'https://example.com/a.git' } }\n", "J", "j"))
    assert "origin +refs/heads/master:refs/remotes/origin/master\n" in default.tasks[0].spec.command


def test_a_branch_parameter_is_expanded_at_run_time_and_a_wildcard_is_flagged(origin: Path, tmp_path: Path) -> None:
    conv = _from_scm(f"file://{origin}", tmp_path, DECLARATIVE, branch="${BRANCH}")
    checkout = {d.name: d.spec for d in conv.tasks}[conv.pipeline.tasks[0].uses.name]
    _run(checkout.command, tmp_path / "ws", BRANCH="origin/dev", **{USER_ENV: "", PASSWORD_ENV: ""})
    assert (tmp_path / "ws" / "README").read_text() == "dev\n"
    wild = _from_scm(f"file://{origin}", tmp_path, DECLARATIVE, branch="feature/**")
    [approx] = wild.approximations
    assert "remote's default branch" in approx.reason and wild.status == "partial"


def test_the_credential_helper_answers_from_the_environment_only() -> None:
    out = subprocess.run(["git", "-c", HELPER, "credential", "fill"], input="protocol=https\nhost=example.com\n\n",
                         env={**GIT_ENV, USER_ENV: "robot", PASSWORD_ENV: "s3cret", "GIT_TERMINAL_PROMPT": "0"},
                         capture_output=True, text=True, check=True).stdout
    assert "username=robot" in out and "password=s3cret" in out


def test_an_ssh_remote_gets_its_key_in_an_agent() -> None:
    conv = convert_job(parse_jenkinsfile("node { stage('s') { git url: 'git@github.com:acme/lib.git', "
                                         "credentialsId: 'deploy' } }\n", "J", "j"))
    spec = conv.tasks[0].spec
    assert spec.ssh_agent == ["JENKINS2FLOW_SSH_KEY_1"] and "credential.helper" not in spec.command


def test_freestyle_scm_is_fetched_before_the_builders_or_waived_when_provided(origin: Path, tmp_path: Path) -> None:
    xml = f"""<project><scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs>
<hudson.plugins.git.UserRemoteConfig><url>file://{origin}</url></hudson.plugins.git.UserRemoteConfig>
</userRemoteConfigs><branches><hudson.plugins.git.BranchSpec><name>*/dev</name></hudson.plugins.git.BranchSpec>
</branches><extensions><hudson.plugins.git.extensions.impl.LocalBranch><localBranch>**</localBranch>
</hudson.plugins.git.extensions.impl.LocalBranch></extensions></scm>
<builders><hudson.tasks.Shell><command>cat README</command></hudson.tasks.Shell></builders></project>""".encode()
    conv = convert_job(parse_config_xml(xml, "config.xml", "fs"))
    assert conv.status == "converted", conv.reasons
    checkout, build = conv.pipeline.tasks
    assert checkout.id == "checkout" and build.depends_on == ["checkout"]
    _run(conv.tasks[0].spec.command, tmp_path / "ws")
    assert _git(tmp_path / "ws", "rev-parse", "--abbrev-ref", "HEAD") == "dev"
    rules = _rules(tmp_path, f"scm: {{provided: {{'file://{origin}': 'shipped in the DAG bundle'}}}}\n")
    provided = convert_job(parse_config_xml(xml, "config.xml", "fs"), rules)
    assert [t.id for t in provided.pipeline.tasks] == ["build"]
    svn = convert_job(parse_config_xml(b"""<project><scm class="hudson.scm.SubversionSCM"><locations>
<hudson.scm.SubversionSCM_-ModuleLocation><remote>svn://x/trunk</remote></hudson.scm.SubversionSCM_-ModuleLocation>
</locations></scm><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders>
</project>""", "config.xml", "svn"))
    [placeholder] = svn.placeholders
    assert "hudson.scm.SubversionSCM checkout" in placeholder.reason


def test_checkout_scm_of_a_jenkinsfile_alone_is_flagged_until_scm_own_says(origin: Path, tmp_path: Path) -> None:
    text = "node { stage('s') { checkout scm\n sh 'cat README' } }\n"
    alone = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"))
    [approx] = alone.approximations
    assert "`scm: {own: {url: URL, branch: BRANCH, credentials: ID}}`" in approx.reason
    assert str(approx.span) == "Jenkinsfile:1:21" and [t.id for t in alone.pipeline.tasks] == ["s"]
    fetched = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"),
                          _rules(tmp_path, f"scm: {{own: {{url: 'file://{origin}', branch: dev}}}}\n"))
    _run(fetched.tasks[0].spec.command, tmp_path / "ws")
    assert (tmp_path / "ws" / "README").read_text() == "dev\n" and fetched.status == "converted"
    provided = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"),
                           _rules(tmp_path, "scm: {own: {provided: 'the task image holds the repository'}}\n"))
    assert provided.status == "converted" and len(provided.pipeline.tasks) == 1


def test_the_implicit_checkout_of_a_declarative_jenkinsfile_alone_takes_the_explicit_path(origin: Path,
                                                                                          tmp_path: Path) -> None:
    """A declarative Jenkinsfile is a file of its repository: Jenkins checks that out before the stages. Given
    alone, it is flagged (partial) until scm.own says where the files come from, as `checkout scm` is."""
    text = "pipeline { agent any\n options { checkoutToSubdirectory('src') }\n stages { stage('b') { steps {" \
           " sh 'cat src/README' } } } }\n"
    alone = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"))
    [approx] = alone.approximations
    assert approx.element == "declarative checkout" and str(approx.span) == "Jenkinsfile:1:12"
    assert "`scm: {own: {url: URL, branch: BRANCH, credentials: ID}}`" in approx.reason
    assert alone.status == "partial" and [t.id for t in alone.pipeline.tasks] == ["b"]
    fetched = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"),
                          _rules(tmp_path, f"scm: {{own: {{url: 'file://{origin}', branch: dev}}}}\n"))
    assert fetched.status == "converted", fetched.reasons
    checkout, build = fetched.pipeline.tasks
    assert checkout.id == "checkout" and build.depends_on == ["checkout"]
    _run({d.name: d.spec for d in fetched.tasks}[checkout.uses.name].command, tmp_path / "ws")
    assert (tmp_path / "ws" / "src" / "README").read_text() == "dev\n"
    provided = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "j"),
                           _rules(tmp_path, "scm: {own: {provided: 'the task image holds the repository'}}\n"))
    assert provided.status == "converted" and [t.id for t in provided.pipeline.tasks] == ["b"]
    [waived] = [e for e in provided.ledger if e.element == "declarative checkout"]
    assert waived.outcome == "waived" and "mappings scm.own.provided" in waived.reason
    skipped = convert_job(parse_jenkinsfile(text.replace("checkoutToSubdirectory('src')", "skipDefaultCheckout()"),
                                            "Jenkinsfile", "j"))
    assert skipped.status == "converted", skipped.reasons


def test_a_multibranch_branch_fetches_its_branch(origin: Path, tmp_path: Path) -> None:
    (tmp_path / "Jenkinsfile").write_text("node { stage('s') { checkout scm } }\n", encoding="utf-8")
    xml = f"""<flow-definition><properties><org.jenkinsci.plugins.workflow.multibranch.BranchJobProperty><branch>
<head class="jenkins.plugins.git.GitBranchSCMHead"><name>dev</name></head>
<scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>
<url>file://{origin}</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm></branch>
</org.jenkinsci.plugins.workflow.multibranch.BranchJobProperty></properties>
<definition class="org.jenkinsci.plugins.workflow.multibranch.SCMBinder"><scriptPath>Jenkinsfile</scriptPath>
</definition></flow-definition>""".encode()
    conv = convert_job(parse_config_xml(xml, "config.xml", "mb/dev"), workspace=tmp_path)
    assert conv.status == "converted", conv.reasons
    _run(conv.tasks[0].spec.command, tmp_path / "ws")
    assert (tmp_path / "ws" / "README").read_text() == "dev\n"


def test_skip_default_checkout_and_checkout_to_subdirectory(origin: Path, tmp_path: Path) -> None:
    skipped = _from_scm(f"file://{origin}", tmp_path, DECLARATIVE.replace(
        "agent any", "agent any\n options { skipDefaultCheckout() }"))
    assert [t.id for t in skipped.pipeline.tasks] == ["b"]
    sub = _from_scm(f"file://{origin}", tmp_path, DECLARATIVE.replace(
        "agent any", "agent any\n options { checkoutToSubdirectory('src') }"))
    _run({d.name: d.spec for d in sub.tasks}[sub.pipeline.tasks[0].uses.name].command, tmp_path / "ws",
         **{USER_ENV: "", PASSWORD_ENV: ""})
    assert (tmp_path / "ws" / "src" / "README").read_text() == "main 2\n"

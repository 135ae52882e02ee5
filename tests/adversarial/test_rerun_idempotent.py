"""Re-running `convert` on unchanged input creates no new version, ever (issue 14).

The estate mixes jobs that run on Jenkins (an unknown step, one of them inside withCredentials, an unknown builder,
a multibranch project without its Jenkinsfile) with converted ones, so documents shared between jobs (the Jenkins
fallback task, the not-converted task, gates) are saved by several jobs in one batch. Before the whole-job
fallback, the fallback task took the secrets of the scope it sat in: one job saved it with them, the next without,
and every re-run versioned it (and the pipelines pinning it) again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from jenkins2flow_runtime.store import open_store

from jenkins2flow.cli.main import cli

DATA_HOME = Path(__file__).resolve().parents[1] / "sources" / "data" / "jenkins_home"
FLOW = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.StringParameterDefinition><name>DAY</name><defaultValue>today</defaultValue>
    </hudson.model.StringParameterDefinition></parameterDefinitions></hudson.model.ParametersDefinitionProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"><script>{script}</script>
  <sandbox>true</sandbox></definition>
</flow-definition>
"""
SCRIPTS = {
    "secret-fallback": "pipeline { agent any\n stages { stage('A') { steps {\n"
                       " withCredentials([string(credentialsId: 'tok', variable: 'T')]) { uploadIt() }\n"
                       " sh 'echo done' } } } }",
    "plain-fallback": "pipeline { agent any\n stages { stage('A') { steps { uploadIt()\n sh 'echo done' } } } }",
    "gated": "pipeline { agent any\n stages { stage('A') { when { expression { params.DAY == 'today' } }\n"
             " steps { withCredentials([string(credentialsId: 'tok', variable: 'T')]) { sh 'echo $T' } } } } }",
    "converted": "pipeline { agent any\n stages { stage('A') { steps { sh 'echo $DAY' } } } }",
}
FREESTYLE = """<?xml version='1.1' encoding='UTF-8'?>
<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell>
<com.example.UnknownBuilder><x>1</x></com.example.UnknownBuilder></builders></project>
"""


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "jenkins_home"
    shutil.copytree(DATA_HOME, home)
    for name, script in SCRIPTS.items():
        job = home / "jobs" / "rerun" / "jobs" / name
        job.mkdir(parents=True)
        escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        (job / "config.xml").write_text(FLOW.format(script=escaped), encoding="utf-8")
    (home / "jobs" / "rerun" / "config.xml").write_text("<com.cloudbees.hudson.plugins.folder.Folder/>")
    (home / "jobs" / "rerun" / "jobs" / "freestyle").mkdir()
    (home / "jobs" / "rerun" / "jobs" / "freestyle" / "config.xml").write_text(FREESTYLE, encoding="utf-8")
    return home


def _versions(store: Path) -> tuple[dict[str, int], int]:
    with open_store(str(store)) as s:
        latest = {f"{d.kind}/{d.name}": d.version for d in s.list()}
        return latest, len(s.audit())


def test_converting_an_unchanged_estate_twice_creates_no_version(tmp_path: Path) -> None:
    home, store = _home(tmp_path), tmp_path / "store.db"
    first = CliRunner().invoke(cli, ["convert", str(home), "--store", str(store)])
    assert "rerun/plain-fallback: jenkins_only" in first.output, first.output
    assert "rerun/secret-fallback: jenkins_only" in first.output
    assert "rerun/converted: converted" in first.output
    before, audit_before = _versions(store)
    assert before["concrete_task/jenkins.run-original-job"] == 1, "one spec for every job"
    assert before["concrete_task/jenkins.not-converted"] == 1
    assert before["concrete_task/airflow.when-gate"] == 1

    second = CliRunner().invoke(cli, ["convert", str(home), "--store", str(store), "--force"])  # converted again

    after, audit_after = _versions(store)
    assert _jobs(second.output) == _jobs(first.output), "the second run says the same as the first (same versions)"
    assert "0 new versions" in second.output and " 0 left alone" in second.output
    assert after == before, {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    assert audit_after == audit_before, "no save, publish or retire recorded by the second run"

    third = CliRunner().invoke(cli, ["convert", str(home), "--store", str(store)])  # unchanged jobs: left alone
    assert _versions(store) == (before, audit_before)
    left = [line for line in _jobs(third.output) if "(unchanged since the last run)" in line]
    assert len(left) == sum(" v" in line for line in _jobs(first.output)) > 5
    assert [line.split(" (")[0] for line in _jobs(third.output)] == [line.split(" (")[0] for line in
                                                                     _jobs(first.output)]


def _jobs(output: str) -> list[str]:
    """The lines about jobs (the totals that end the output aside)."""
    return [line for line in output.splitlines() if not line.startswith(("documents: ", "warnings: "))
            and " jobs in " not in line]

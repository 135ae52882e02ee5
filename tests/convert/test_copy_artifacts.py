"""copyArtifacts: every argument is followed, waived with a reason or flagged; the selector names the run."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided


def _convert(step: str):  # type: ignore[no-untyped-def]
    text = f"pipeline {{ agent any\n stages {{ stage('Get') {{ steps {{ {step} }} }} }} }}\n"
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/down"), own_provided())


def test_the_arguments_reach_the_task() -> None:
    conv = _convert("copyArtifacts projectName: 'team/up', filter: 'out/*.csv', excludes: 'out/tmp*', "
                    "target: 'got', flatten: true, optional: true, selector: lastCompleted(), "
                    "fingerprintArtifacts: true")
    assert conv.status == "converted", conv.reasons
    assert conv.pipeline.tasks[0].bindings == {
        "pipeline": "team.up", "filter": "out/*.csv", "excludes": "out/tmp*", "target": "got", "flatten": True,
        "optional": True, "selector": "lastCompleted"}
    assert any(e.outcome == "waived" and "fingerprintArtifacts" in e.element for e in conv.ledger)


def test_a_selector_the_runtime_cannot_follow_is_an_approximation() -> None:
    conv = _convert("copyArtifacts projectName: 'team/up', selector: specific('12'), parameters: 'DAY=mon'")
    assert conv.status == "partial"
    (entry,) = conv.approximations
    assert "specific" in entry.reason and "DAY=mon" in entry.reason and entry.span.line == 2
    assert conv.pipeline.tasks[0].bindings["selector"] == "lastSuccessful"


def test_the_config_xml_builder() -> None:
    xml = b"""<project><builders><hudson.plugins.copyartifact.CopyArtifact plugin="copyartifact@1.46">
  <project>team/up</project><filter>*.jar</filter><target>lib</target><flatten>true</flatten>
  <selector class="hudson.plugins.copyartifact.StatusBuildSelector"/>
</hudson.plugins.copyartifact.CopyArtifact></builders></project>"""
    conv = convert_job(parse_config_xml(xml, "config.xml", "team/down"))
    bindings = conv.pipeline.tasks[0].bindings
    assert (bindings["pipeline"], bindings["filter"], bindings["flatten"], bindings["selector"]) == (
        "team.up", "*.jar", True, "lastSuccessful")

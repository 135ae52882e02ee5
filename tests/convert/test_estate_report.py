"""The estate report says how many runnable pipelines only trigger the Jenkins job (every step a fallback)."""

from __future__ import annotations

from jenkins2flow.convert.estate import convert_estate
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.render.audit import markdown


def _job(name: str, steps: str):  # type: ignore[no-untyped-def]
    text = f"pipeline {{ agent any\n stages {{ stage('A') {{ steps {{ {steps} }} }} }} }}\n"
    return parse_jenkinsfile(text, f"{name}.Jenkinsfile", name)


def test_jenkins_only_pipelines_are_counted_and_flagged() -> None:
    estate = convert_estate([
        _job("moved", "sh 'make data'"),
        _job("mixed", "sh 'make data'\n myLibraryStep()"),
        _job("stays", "myLibraryStep()\n otherLibraryStep(x: 1)"),
    ])
    report = estate.report()
    flags = {j["job"]: j["jenkins_only"] for j in report["jobs_detail"]}
    assert flags == {"moved": False, "mixed": False, "stays": True}
    assert report["runnable"] == 3 and report["jenkins_only"] == 1
    assert "1 of them only trigger the Jenkins job" in markdown(report)

"""The estate report says how many runnable pipelines only trigger the Jenkins job (one element that cannot be
converted is enough: Jenkins cannot run part of a job)."""

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
    assert flags == {"moved": False, "mixed": True, "stays": True}
    assert report["runnable"] == 3 and report["jenkins_only"] == 2
    assert report["by_status"] == {"jenkins_only": 2, "converted": 1}
    assert "2 of them only trigger the Jenkins job" in markdown(report)
    mixed = next(c for c in estate.conversions if c.job == "mixed")
    assert mixed.pipeline is not None and [t.uses.name for t in mixed.pipeline.tasks] == ["jenkins.run-original-job"]
    assert [t.uses.name.split(".")[0] for t in mixed.pipeline.draft_tasks] == ["sh", "jenkins"]  # the draft kept

"""Top-level config.xml elements nothing else reads are decided by `elements` rules (convert/elements.py): waived
with a reason, waived when their value changes nothing, approximated otherwise; an element with no rule is flagged,
never waived with a generic reason."""

from __future__ import annotations

from pathlib import Path

from jenkins2flow.convert.job import convert_job
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.parse.job_xml import parse_config_xml

FREESTYLE = """<?xml version='1.1' encoding='UTF-8'?>
<project>
  <actions/>
  <keepDependencies>false</keepDependencies>
  <logRotator class="hudson.tasks.LogRotator"><daysToKeep>7</daysToKeep></logRotator>
  <canRoam>true</canRoam>
  <blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>
  <blockBuildWhenUpstreamBuilding>{upstream}</blockBuildWhenUpstreamBuilding>
  <scmCheckoutRetryCount>{retries}</scmCheckoutRetryCount>{extra}
  <concurrentBuild>true</concurrentBuild>
  <builders><hudson.tasks.Shell><command>make all</command></hudson.tasks.Shell></builders>
</project>
"""


def _convert(upstream: str = "false", retries: str = "0", extra: str = "", rules_dir: Path | None = None):  # type: ignore[no-untyped-def]
    xml = FREESTYLE.format(upstream=upstream, retries=retries, extra=extra).encode()
    return convert_job(parse_config_xml(xml, "config.xml", "etl/load"),
                       load_rules([rules_dir]) if rules_dir else None)


def _outcomes(conv) -> dict[str, tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    return {e.element: (e.outcome, e.span.line, e.reason) for e in conv.ledger if e.element.startswith("element ")}


def test_elements_that_mean_nothing_outside_jenkins_or_hold_their_defaults_are_waived_with_reasons() -> None:
    conv = _convert()
    found = _outcomes(conv)
    assert found["element logRotator"] == ("waived", 5, "Airflow keeps run history by its own retention settings")
    assert found["element canRoam"][0] == "waived" and "assignedNode" in found["element canRoam"][2]
    assert found["element blockBuildWhenUpstreamBuilding"] == ("waived", 8, "its value changes nothing")
    assert found["element scmCheckoutRetryCount"] == ("waived", 9, "its value changes nothing")
    assert conv.status == "converted", conv.reasons


def test_a_setting_that_changes_the_build_is_approximated_with_its_place() -> None:
    conv = _convert(upstream="true", retries="3")
    found = _outcomes(conv)
    assert found["element blockBuildWhenUpstreamBuilding"][:2] == ("approximated", 8)
    assert "holds a build while an upstream job" in found["element blockBuildWhenUpstreamBuilding"][2]
    assert found["element scmCheckoutRetryCount"][:2] == ("approximated", 9)
    assert conv.status == "partial"


def test_an_element_no_rule_covers_is_flagged_until_a_mappings_file_waives_it(tmp_path: Path) -> None:
    extra = "\n  <fancyPluginFlag>on</fancyPluginFlag>"
    conv = _convert(extra=extra)
    outcome, line, reason = _outcomes(conv)["element fancyPluginFlag"]
    assert (outcome, line) == ("approximated", 10) and "does not read ('on')" in reason
    assert "`elements: {fancyPluginFlag: {waive: WHY}}`" in reason and conv.status == "partial"
    (tmp_path / "site.yaml").write_text("elements:\n  fancyPluginFlag: {waive: 'a UI badge'}\n", encoding="utf-8")
    given = _convert(extra=extra, rules_dir=tmp_path)
    assert _outcomes(given)["element fancyPluginFlag"] == ("waived", 10, "a UI badge")
    assert given.status == "converted", given.reasons


MATRIX = """<?xml version='1.1' encoding='UTF-8'?>
<matrix-project plugin="matrix-project@1.20">
  <axes><hudson.matrix.TextAxis><name>PY</name><values><string>3.11</string><string>3.12</string></values>
  </hudson.matrix.TextAxis></axes>
  <builders><hudson.tasks.Shell><command>tox -e py$PY</command></hudson.tasks.Shell></builders>
  <executionStrategy class="hudson.matrix.DefaultMatrixExecutionStrategyImpl">
    <runSequentially>{sequential}</runSequentially>{touchstone}
  </executionStrategy>
</matrix-project>
"""


def _matrix(sequential: str, touchstone: str = ""):  # type: ignore[no-untyped-def]
    xml = MATRIX.format(sequential=sequential, touchstone=touchstone).encode()
    conv = convert_job(parse_config_xml(xml, "config.xml", "tox"))
    return conv, _outcomes(conv)["element executionStrategy"]


def test_a_matrix_run_in_sequence_or_with_touchstone_cells_is_approximated_the_default_is_not() -> None:
    conv, (outcome, line, _) = _matrix("false")
    assert (outcome, line) == ("waived", 6)
    conv, (outcome, line, reason) = _matrix("true")
    assert (outcome, line) == ("approximated", 6) and "every cell runs at once" in reason
    assert conv.status == "partial"
    touch = "\n    <touchStoneCombinationFilter>PY == \"3.11\"</touchStoneCombinationFilter>"
    conv, (outcome, _, _) = _matrix("false", touch)
    assert outcome == "approximated"

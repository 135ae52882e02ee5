"""Second audit of the `converted` label (docs/conversion-status.md) on jobs written fresh: freestyle plugins,
matrix, scripted and declarative Jenkinsfiles. Each case was labelled converted while its pipeline would not do
what Jenkins does."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.job_xml import parse_config_xml

THROTTLED = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <properties>
    <hudson.plugins.throttleconcurrents.ThrottleJobProperty plugin="throttle-concurrents@2.14">
      <maxConcurrentPerNode>1</maxConcurrentPerNode>
      <maxConcurrentTotal>%(total)s</maxConcurrentTotal>
      <throttleEnabled>%(enabled)s</throttleEnabled>
      <throttleOption>project</throttleOption>
    </hudson.plugins.throttleconcurrents.ThrottleJobProperty>
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <concurrentBuild>%(concurrent)s</concurrentBuild>
  <builders><hudson.tasks.Shell><command>./nightly_load.sh</command></hudson.tasks.Shell></builders>
</project>
"""


def _throttled(total: int, enabled: bool, concurrent: bool):  # type: ignore[no-untyped-def]
    xml = THROTTLED % {b"total": str(total).encode(), b"enabled": str(enabled).lower().encode(),
                       b"concurrent": str(concurrent).lower().encode()}
    return convert_job(parse_config_xml(xml, "jobs/nightly/config.xml", "nightly"))


def test_a_throttle_never_raises_the_one_build_at_a_time_of_a_job_without_concurrent_builds() -> None:
    """Jenkins runs a job without "Execute concurrent builds" one build at a time whatever its throttle allows: a
    throttle of 2 made the pipeline run two at once (max_active_runs 2), labelled converted."""
    conv = _throttled(2, True, False)
    assert conv.pipeline is not None and conv.pipeline.max_active_runs == 1
    assert conv.status == "converted"


def test_a_throttle_limits_a_concurrent_job_and_a_disabled_throttle_limits_nothing() -> None:
    conv = _throttled(3, True, True)
    assert conv.pipeline is not None and conv.pipeline.max_active_runs == 3
    off = _throttled(3, False, True)
    assert off.pipeline is not None and off.pipeline.max_active_runs is None
    assert off.status == "converted"

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


TRIGGERS = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <properties>
    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
      <hudson.model.StringParameterDefinition><name>RUN_DATE</name><defaultValue>today</defaultValue>
      </hudson.model.StringParameterDefinition>
      <hudson.model.BooleanParameterDefinition><name>FULL</name><defaultValue>false</defaultValue>
      </hudson.model.BooleanParameterDefinition>
    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <builders>
    <hudson.tasks.Shell><command>./extract.sh "$RUN_DATE"</command></hudson.tasks.Shell>
    <hudson.plugins.parameterizedtrigger.TriggerBuilder plugin="parameterized-trigger@2.45">
      <configs>
        <hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig>
          <configs>
            <hudson.plugins.parameterizedtrigger.CurrentBuildParameters/>
            <hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
              <properties>DATE=day-${RUN_DATE}
MODE=full
FULL=yes</properties>
            </hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
          </configs>
          <projects>etl-load</projects>
          <condition>ALWAYS</condition>
          <block><buildStepFailureThreshold><name>FAILURE</name></buildStepFailureThreshold></block>
        </hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig>
      </configs>
    </hudson.plugins.parameterizedtrigger.TriggerBuilder>
  </builders>
  <publishers>
    <hudson.plugins.parameterizedtrigger.BuildTrigger plugin="parameterized-trigger@2.45">
      <configs>
        <hudson.plugins.parameterizedtrigger.BuildTriggerConfig>
          <configs>
            <hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
              <properties>UPSTREAM=$JOB_NAME#$BUILD_NUMBER</properties>
            </hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
          </configs>
          <projects>etl-notify</projects>
          <condition>%(condition)s</condition>
        </hudson.plugins.parameterizedtrigger.BuildTriggerConfig>
      </configs>
    </hudson.plugins.parameterizedtrigger.BuildTrigger>
  </publishers>
</project>
"""


def _triggers(condition: str = "SUCCESS", xml: bytes = TRIGGERS):  # type: ignore[no-untyped-def]
    conv = convert_job(parse_config_xml(xml % {b"condition": condition.encode()}, "jobs/etl/config.xml", "etl"))
    assert conv.pipeline is not None
    return conv, {t.bindings["pipeline"]: t.bindings for t in conv.pipeline.tasks if "pipeline" in t.bindings}


def test_a_parameterized_trigger_passes_expanded_values_and_the_current_parameters() -> None:
    """Jenkins expands `$RUN_DATE` and `$JOB_NAME` in predefined parameters and passes the current build's
    parameters (CurrentBuildParameters); the trigger passed the text `day-${RUN_DATE}` and dropped the current
    parameters, labelled converted."""
    from jenkins2flow_runtime.expressions import Context, evaluate

    conv, triggers = _triggers()
    run = Context(params={"RUN_DATE": "2026-12-01", "FULL": True}, env={"JOB_NAME": "etl", "BUILD_NUMBER": "42"})
    load = triggers["etl-load"]
    passed = {**load["conf"], **{k: evaluate(v, run) for k, v in load.get("conf_values", {}).items()}}
    assert passed == {"RUN_DATE": "2026-12-01", "FULL": "yes", "DATE": "day-2026-12-01", "MODE": "full"}
    notify = triggers["etl-notify"]
    assert notify["conf"] == {}
    assert evaluate(notify["conf_values"]["UPSTREAM"], run) == "etl#42"
    assert conv.status == "converted"


def test_a_trigger_value_from_a_variable_the_run_lacks_and_other_sources_are_flagged_not_passed_as_text() -> None:
    xml = TRIGGERS.replace(b"MODE=full", b"MODE=$LOAD_MODE").replace(
        b"<hudson.plugins.parameterizedtrigger.CurrentBuildParameters/>",
        b"<hudson.plugins.parameterizedtrigger.FileBuildParameters><propertiesFile>p.properties</propertiesFile>"
        b"</hudson.plugins.parameterizedtrigger.FileBuildParameters>")
    conv, triggers = _triggers(xml=xml)
    load = triggers["etl-load"]
    assert "MODE" not in load["conf"] and "MODE" not in load.get("conf_values", {})
    assert not any("$" in str(v) for v in load["conf"].values())
    assert conv.status == "partial"
    assert any("MODE" in r and "$LOAD_MODE" in r for r in conv.reasons)
    assert any("FileBuildParameters" in r for r in conv.reasons)


def test_a_parameterized_trigger_on_an_unstable_build_only_is_flagged() -> None:
    """parameterized-trigger's UNSTABLE condition triggers only when the build is UNSTABLE; the task ran on every
    successful run, labelled converted."""
    conv, _ = _triggers("UNSTABLE")
    assert conv.status == "partial"
    assert any("only when this build is UNSTABLE" in r for r in conv.reasons)
    assert _triggers("UNSTABLE_OR_BETTER")[0].status == "converted"


GIT_INTO_DIR = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <scm class="hudson.plugins.git.GitSCM" plugin="git@5.2.0">
    <userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>https://git.example.com/data/etl.git</url>
    </hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>
    <branches><hudson.plugins.git.BranchSpec><name>*/main</name></hudson.plugins.git.BranchSpec></branches>
    <extensions><hudson.plugins.git.extensions.impl.RelativeTargetDirectory><relativeTargetDir>src</relativeTargetDir>
    </hudson.plugins.git.extensions.impl.RelativeTargetDirectory></extensions>
  </scm>
  <builders><hudson.tasks.Shell><command>cd src &amp;&amp; make etl VERSION=$GIT_COMMIT</command></hudson.tasks.Shell>
  </builders>
</project>
"""


def test_a_git_checkout_into_a_directory_says_the_git_variables_are_unset() -> None:
    """Jenkins sets GIT_COMMIT for a checkout into a subdirectory; the runtime reads it from a checkout at the
    workspace root only, so `make VERSION=$GIT_COMMIT` got an empty value, labelled converted."""
    conv = convert_job(parse_config_xml(GIT_INTO_DIR, "jobs/etl/config.xml", "etl"))
    assert conv.status == "partial"
    assert any("GIT_COMMIT" in r and "'src'" in r for r in conv.reasons)


ENV_INJECT_BUILDER = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <scm class="hudson.scm.NullSCM"/>
  <builders>
    <EnvInjectBuilder plugin="envinject@2.4.0"><info><propertiesContent>STAGE=load
%(table)s</propertiesContent></info></EnvInjectBuilder>
    <hudson.tasks.Shell><command>./load.sh "$STAGE" "$TARGET_TABLE"</command></hudson.tasks.Shell>
  </builders>
</project>
"""


def test_an_env_inject_builder_sets_its_variables_for_the_builders_after_it() -> None:
    """Jenkins' EnvInject builder sets variables for the builders after it; they were dropped (the ledger said
    `mapped: environment STAGE`) and the shell read them empty."""
    xml = ENV_INJECT_BUILDER % {b"table": b"TARGET_TABLE=events"}
    conv = convert_job(parse_config_xml(xml, "jobs/etl/config.xml", "etl"))
    assert conv.pipeline is not None
    [task] = conv.pipeline.tasks
    assert task.env == {"STAGE": "load", "TARGET_TABLE": "events"}
    assert conv.status == "converted"


def test_an_env_inject_value_naming_a_variable_is_flagged_not_given_as_text_silently() -> None:
    xml = ENV_INJECT_BUILDER % {b"table": b"TARGET_TABLE=events_$STAGE"}
    conv = convert_job(parse_config_xml(xml, "jobs/etl/config.xml", "etl"))
    assert conv.status == "partial"
    assert any("events_$STAGE" in r for r in conv.reasons)

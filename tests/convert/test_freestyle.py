from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.parse.job_xml import parse_config_xml

XML = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>nightly load</description>
  <properties>
    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
      <hudson.model.StringParameterDefinition><name>DAY</name><defaultValue>today</defaultValue>
      </hudson.model.StringParameterDefinition>
    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>
    <jenkins.model.BuildDiscarderProperty><strategy class="hudson.tasks.LogRotator"><daysToKeep>5</daysToKeep>
    </strategy></jenkins.model.BuildDiscarderProperty>
  </properties>
  <scm class="hudson.scm.NullSCM"/>
  <concurrentBuild>false</concurrentBuild>
  <triggers><hudson.triggers.TimerTrigger><spec>H 2 * * *</spec></hudson.triggers.TimerTrigger></triggers>
  <builders>
    <hudson.tasks.Shell><command>python extract.py --day $DAY</command></hudson.tasks.Shell>
    <hudson.tasks.Shell><command>python load.py</command></hudson.tasks.Shell>
    <com.example.UnknownBuilder><x>1</x></com.example.UnknownBuilder>
  </builders>
  <publishers>
    <hudson.tasks.ArtifactArchiver><artifacts>out/*.csv</artifacts></hudson.tasks.ArtifactArchiver>
    <hudson.tasks.Mailer><recipients>data@example.com</recipients></hudson.tasks.Mailer>
    <hudson.tasks.BuildTrigger><childProjects>report-job</childProjects>
      <threshold><name>SUCCESS</name></threshold></hudson.tasks.BuildTrigger>
  </publishers>
  <buildWrappers>
    <hudson.plugins.timestamper.TimestamperBuildWrapper/>
    <hudson.plugins.build__timeout.BuildTimeoutWrapper><strategy
      class="hudson.plugins.build_timeout.impl.AbsoluteTimeOutStrategy"><timeoutMinutes>30</timeoutMinutes></strategy>
    </hudson.plugins.build__timeout.BuildTimeoutWrapper>
    <org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper><bindings>
      <org.jenkinsci.plugins.credentialsbinding.impl.StringBinding><credentialsId>wh-token</credentialsId>
      <variable>WH_TOKEN</variable></org.jenkinsci.plugins.credentialsbinding.impl.StringBinding>
    </bindings></org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
  </buildWrappers>
</project>
"""


def test_freestyle_job_maps_builders_wrappers_publishers_and_properties() -> None:
    conv = convert_job(parse_config_xml(XML, "jobs/nightly/config.xml", "nightly"))
    spec = conv.pipeline
    assert spec is not None and conv.status == "jenkins_only"  # the unknown builder: the whole job runs on Jenkins
    [whole] = spec.tasks
    assert whole.uses.name == "jenkins.run-original-job"
    assert whole.bindings == {"jenkins_job": "nightly", "jenkins_parameters": {"DAY": "DAY"}}
    assert spec.jenkins_fallback is not None and spec.jenkins_fallback.job == "nightly"
    assert [r.split(": ")[1] for r in spec.jenkins_fallback.reasons] == ["builder com.example.UnknownBuilder"]
    ids = [t.id for t in spec.draft_tasks]  # the converted draft, kept for review
    assert ids[:2] == ["build", "build_2"]
    # the absolute build-timeout covers the whole build: the run's limit, not the same limit on every task
    assert spec.dagrun_timeout_seconds == 1800 and all(t.timeout_seconds is None for t in spec.draft_tasks)
    assert spec.draft_tasks[2].uses.name == "jenkins.not-converted"
    assert spec.draft_tasks[2].bindings["element"] == "builder com.example.UnknownBuilder"
    assert spec.max_active_runs == 1
    assert spec.schedule is not None and spec.schedule.cron[0].split()[1] == "2"
    assert [s.id for s in conv.tasks[0].spec.secrets] == ["wh-token"]
    assert spec.notifications == []  # the Jenkins job sends its own mail meanwhile; the draft's wait in the record
    assert spec.jenkins_fallback.notifications[0].to == ["data@example.com"]
    assert spec.shadow_outputs[0]["path"] == "out/*.csv"
    trigger = [t for t in spec.draft_tasks if t.bindings.get("pipeline") == "report-job"]
    assert trigger and trigger[0].depends_on == [ids[2]]
    placeholder = [e for e in conv.placeholders if e.key == "com.example.UnknownBuilder"]
    assert placeholder and placeholder[0].span.line > 1
    waived = {e.key for e in conv.ledger if e.outcome == "waived"}
    assert {"hudson.plugins.timestamper.TimestamperBuildWrapper", "jenkins.model.BuildDiscarderProperty"} <= waived
    assert conv.classification == "data"

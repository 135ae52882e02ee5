"""config.xml parser: one test per root kind and per category, the security cases, the corpus, and a fuzz test."""

from __future__ import annotations

import socket
import sys
import types
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from jenkins2flow.ir.nodes import Job, Span, Stage
from jenkins2flow.parse.job_xml import parse_config_xml

ROOT = Path(__file__).resolve().parents[2]
# our own config.xml files: the samples and the JENKINS_HOME of the sources tests (but its job that is not XML)
PROJECT_XML = sorted(p for folder in (ROOT / "samples", ROOT / "tests" / "sources" / "data")
                     for p in folder.rglob("config.xml") if p.parent.name != "broken")


def parse(xml: str, name: str = "job") -> Job:
    return parse_config_xml(xml.encode(), "cfg.xml", name)


def errors(job: Job) -> list[str]:
    return [str(d) for d in job.diagnostics if d.level == "error"]


@pytest.fixture(autouse=True)
def _no_jenkinsfile_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unit tests here pin the config.xml side alone; the merge test installs its own stub parser."""
    monkeypatch.setitem(sys.modules, "jenkins2flow.parse.jenkinsfile", None)


FREESTYLE = """<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>Nightly load</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <jenkins.model.BuildDiscarderProperty>
      <strategy class="hudson.tasks.LogRotator"><daysToKeep>7</daysToKeep><numToKeep>-1</numToKeep></strategy>
    </jenkins.model.BuildDiscarderProperty>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>RUN_DATE</name><description>day</description><defaultValue>today</defaultValue><trim>true</trim>
        </hudson.model.StringParameterDefinition>
        <hudson.model.BooleanParameterDefinition>
          <name>DRY</name><defaultValue>true</defaultValue>
        </hudson.model.BooleanParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>ENV</name>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array"><string>dev</string><string>prod</string></a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>REGION</name>
          <choices><string>eu</string><string>us</string></choices>
        </hudson.model.ChoiceParameterDefinition>
        <hudson.model.TextParameterDefinition><name>SQL</name><defaultValue>select 1</defaultValue>
        </hudson.model.TextParameterDefinition>
        <hudson.model.PasswordParameterDefinition><name>PW</name><defaultValue>{AQAAABAAAAA=}</defaultValue>
        </hudson.model.PasswordParameterDefinition>
        <hudson.model.FileParameterDefinition><name>input.csv</name></hudson.model.FileParameterDefinition>
        <hudson.model.RunParameterDefinition><name>UP</name><projectName>upstream</projectName>
          <filter>SUCCESSFUL</filter></hudson.model.RunParameterDefinition>
        <org.jvnet.jenkins.plugins.nodelabelparameter.LabelParameterDefinition plugin="nodelabelparameter@1.7">
          <name>LABEL</name><defaultValue>linux</defaultValue></org.jvnet.jenkins.plugins.nodelabelparameter.LabelParameterDefinition>
        <org.jvnet.jenkins.plugins.nodelabelparameter.NodeParameterDefinition>
          <name>NODE</name><defaultSlaves><string>n1</string></defaultSlaves>
          <allowedSlaves><string>n1</string><string>n2</string></allowedSlaves>
        </org.jvnet.jenkins.plugins.nodelabelparameter.NodeParameterDefinition>
        <com.cloudbees.plugins.credentials.CredentialsParameterDefinition>
          <name>CRED</name><defaultValue>db-creds</defaultValue><credentialType>Username</credentialType>
          <required>true</required></com.cloudbees.plugins.credentials.CredentialsParameterDefinition>
        <net.uaznia.lukanus.hudson.plugins.gitparameter.GitParameterDefinition>
          <name>BRANCH</name><type>PT_BRANCH</type><defaultValue>origin/main</defaultValue>
        </net.uaznia.lukanus.hudson.plugins.gitparameter.GitParameterDefinition>
        <com.cwctravel.hudson.plugins.extended__choice__parameter.ExtendedChoiceParameterDefinition>
          <name>TABLES</name><type>PT_CHECKBOX</type><value>a,b,c</value><defaultValue>a</defaultValue>
        </com.cwctravel.hudson.plugins.extended__choice__parameter.ExtendedChoiceParameterDefinition>
        <org.biouno.unochoice.ChoiceParameter>
          <name>DYN</name><randomName>choice-1</randomName>
          <script class="org.biouno.unochoice.model.GroovyScript">
            <secureScript><script>return ['x', 'y']</script><sandbox>true</sandbox></secureScript>
          </script>
          <choiceType>PT_SINGLE_SELECT</choiceType>
        </org.biouno.unochoice.ChoiceParameter>
        <my.custom.ParamDef><name>ODD</name><defaultValue>v</defaultValue></my.custom.ParamDef>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <scm class="hudson.plugins.git.GitSCM" plugin="git@4.0">
    <userRemoteConfigs>
      <hudson.plugins.git.UserRemoteConfig>
        <url>https://git.example.com/data/etl.git</url><credentialsId>git-ro</credentialsId>
      </hudson.plugins.git.UserRemoteConfig>
    </userRemoteConfigs>
    <branches><hudson.plugins.git.BranchSpec><name>*/main</name></hudson.plugins.git.BranchSpec></branches>
  </scm>
  <assignedNode>etl &amp;&amp; linux</assignedNode>
  <canRoam>false</canRoam>
  <disabled>true</disabled>
  <concurrentBuild>true</concurrentBuild>
  <quietPeriod>30</quietPeriod>
  <triggers>
    <hudson.triggers.TimerTrigger><spec>TZ=Europe/Paris
H 2 * * 1-5</spec></hudson.triggers.TimerTrigger>
    <hudson.triggers.SCMTrigger><spec>H/15 * * * *</spec><ignorePostCommitHooks>false</ignorePostCommitHooks>
    </hudson.triggers.SCMTrigger>
    <jenkins.triggers.ReverseBuildTrigger><spec></spec><upstreamProjects>a, folder/b</upstreamProjects>
      <threshold><name>UNSTABLE</name><ordinal>1</ordinal><color>YELLOW</color></threshold>
    </jenkins.triggers.ReverseBuildTrigger>
    <com.cloudbees.jenkins.GitHubPushTrigger plugin="github@1.29"><spec></spec>
    </com.cloudbees.jenkins.GitHubPushTrigger>
    <com.dabsquared.gitlabjenkins.GitLabPushTrigger><spec></spec><triggerOnPush>true</triggerOnPush>
    </com.dabsquared.gitlabjenkins.GitLabPushTrigger>
    <org.jenkinsci.plugins.gwt.GenericTrigger><spec></spec><token>abc</token>
      <genericVariables><org.jenkinsci.plugins.gwt.GenericVariable><key>ref</key><value>$.ref</value>
      </org.jenkinsci.plugins.gwt.GenericVariable></genericVariables>
    </org.jenkinsci.plugins.gwt.GenericTrigger>
    <org.jenkinsci.plugins.parameterizedscheduler.ParameterizedTimerTrigger>
      <spec></spec><parameterizedSpecification>H 3 * * * % ENV=prod</parameterizedSpecification>
    </org.jenkinsci.plugins.parameterizedscheduler.ParameterizedTimerTrigger>
    <com.sonyericsson.hudson.plugins.gerrit.trigger.hudsontrigger.GerritTrigger><spec></spec>
    </com.sonyericsson.hudson.plugins.gerrit.trigger.hudsontrigger.GerritTrigger>
  </triggers>
  <builders>
    <hudson.tasks.Shell><command>set -e
./load.sh "$RUN_DATE"</command><unstableReturn>3</unstableReturn></hudson.tasks.Shell>
    <hudson.tasks.BatchFile><command>dir</command></hudson.tasks.BatchFile>
    <hudson.plugins.powershell.PowerShell><command>Get-Date</command><stopOnError>true</stopOnError>
    </hudson.plugins.powershell.PowerShell>
    <hudson.plugins.parameterizedtrigger.TriggerBuilder>
      <configs>
        <hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig>
          <configs>
            <hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
              <properties>X=1</properties>
            </hudson.plugins.parameterizedtrigger.PredefinedBuildParameters>
            <hudson.plugins.parameterizedtrigger.CurrentBuildParameters/>
          </configs>
          <projects>down1, down2</projects>
          <condition>ALWAYS</condition>
          <triggerWithNoParameters>false</triggerWithNoParameters>
          <block><buildStepFailureThreshold><name>FAILURE</name></buildStepFailureThreshold></block>
        </hudson.plugins.parameterizedtrigger.BlockableBuildTriggerConfig>
      </configs>
    </hudson.plugins.parameterizedtrigger.TriggerBuilder>
    <org.jenkinsci.plugins.conditionalbuildstep.ConditionalBuilder>
      <runner class="org.jenkins_ci.plugins.run_condition.BuildStepRunner$Fail"/>
      <runCondition class="org.jenkins_ci.plugins.run_condition.core.StringsMatchCondition">
        <arg1>${ENV}</arg1><arg2>prod</arg2><ignoreCase>false</ignoreCase>
      </runCondition>
      <conditionalbuilders>
        <hudson.tasks.Shell><command>echo prod</command></hudson.tasks.Shell>
      </conditionalbuilders>
    </org.jenkinsci.plugins.conditionalbuildstep.ConditionalBuilder>
    <org.jenkinsci.plugins.conditionalbuildstep.singlestep.SingleConditionalBuilder>
      <condition class="org.jenkins_ci.plugins.run_condition.core.AlwaysRun"/>
      <buildStep class="hudson.tasks.Shell"><command>echo single</command></buildStep>
    </org.jenkinsci.plugins.conditionalbuildstep.singlestep.SingleConditionalBuilder>
    <com.example.Mystery plugin="mystery@0.1"><level>3</level><nested><deep>x</deep><other>y</other></nested>
    </com.example.Mystery>
  </builders>
  <publishers>
    <hudson.tasks.ArtifactArchiver><artifacts>out/*.csv</artifacts><allowEmptyArchive>false</allowEmptyArchive>
    </hudson.tasks.ArtifactArchiver>
    <hudson.tasks.junit.JUnitResultArchiver><testResults>reports/*.xml</testResults>
    </hudson.tasks.junit.JUnitResultArchiver>
    <hudson.tasks.Mailer><recipients>a@x.org b@x.org</recipients>
      <dontNotifyEveryUnstableBuild>true</dontNotifyEveryUnstableBuild>
    </hudson.tasks.Mailer>
    <hudson.plugins.emailext.ExtendedEmailPublisher><recipientList>team@x.org</recipientList>
      <configuredTriggers><hudson.plugins.emailext.plugins.trigger.FailureTrigger><email>
        <recipientList>oncall@x.org</recipientList><subject>$PROJECT_DEFAULT_SUBJECT</subject>
        <recipientProviders><hudson.plugins.emailext.plugins.recipients.DevelopersRecipientProvider/></recipientProviders>
      </email></hudson.plugins.emailext.plugins.trigger.FailureTrigger></configuredTriggers>
      <defaultSubject>done</defaultSubject>
    </hudson.plugins.emailext.ExtendedEmailPublisher>
    <hudson.tasks.BuildTrigger><childProjects>next-a,next-b</childProjects>
      <threshold><name>SUCCESS</name><ordinal>0</ordinal></threshold></hudson.tasks.BuildTrigger>
  </publishers>
  <buildWrappers>
    <hudson.plugins.build__timeout.BuildTimeoutWrapper>
      <strategy class="hudson.plugins.build_timeout.impl.AbsoluteTimeOutStrategy">
        <timeoutMinutes>45</timeoutMinutes></strategy>
      <operationList><hudson.plugins.build__timeout.operations.FailOperation/></operationList>
    </hudson.plugins.build__timeout.BuildTimeoutWrapper>
    <org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
      <bindings>
        <org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding>
          <credentialsId>db</credentialsId><usernameVariable>DB_USER</usernameVariable><passwordVariable>DB_PW</passwordVariable>
        </org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding>
        <org.jenkinsci.plugins.credentialsbinding.impl.StringBinding><credentialsId>tok</credentialsId><variable>TOKEN</variable>
        </org.jenkinsci.plugins.credentialsbinding.impl.StringBinding>
      </bindings>
    </org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
    <hudson.plugins.timestamper.TimestamperBuildWrapper plugin="timestamper@1.8"/>
  </buildWrappers>
  <customWorkspace>/data/ws</customWorkspace>
  <somethingComplex a="1"><x>1</x></somethingComplex>
</project>
"""


def test_freestyle_job_level_fields() -> None:
    job = parse(FREESTYLE, "etl/nightly")
    assert (job.kind, job.root_tag, job.full_name) == ("freestyle", "project", "etl/nightly")
    assert job.description == "Nightly load" and job.disabled is True
    assert job.assigned_node == "etl && linux" and job.concurrent_build is True and job.quiet_period == 30
    assert ("customWorkspace", "/data/ws") in job.settings and ("keepDependencies", "false") in job.settings
    assert [n.tag for n in job.unknown] == ["somethingComplex"]
    assert not errors(job)


def test_freestyle_parameters() -> None:
    params = {p.name: p for p in parse(FREESTYLE).parameters}
    assert params["RUN_DATE"].type == "string" and params["RUN_DATE"].default == "today"
    assert params["RUN_DATE"].description == "day" and dict(params["RUN_DATE"].extra)["trim"] is True
    assert params["DRY"].type == "boolean" and params["DRY"].default is True
    assert params["ENV"].choices == ("dev", "prod") and params["ENV"].default == "dev"
    assert params["REGION"].choices == ("eu", "us")
    assert params["SQL"].type == "text" and params["SQL"].default == "select 1"
    assert params["PW"].type == "password" and params["PW"].default is None
    assert dict(params["PW"].extra)["hasDefault"] is True
    assert params["input.csv"].type == "file"
    assert params["UP"].type == "run" and dict(params["UP"].extra)["projectName"] == "upstream"
    assert params["LABEL"].type == "label" and params["LABEL"].default == "linux"
    assert params["NODE"].type == "node" and dict(params["NODE"].extra)["allowedSlaves"] == ("n1", "n2")
    assert params["CRED"].type == "credentials" and params["CRED"].default == "db-creds"
    assert params["BRANCH"].type == "git" and dict(params["BRANCH"].extra)["type"] == "PT_BRANCH"
    assert params["TABLES"].type == "extended-choice" and params["TABLES"].choices == ("a", "b", "c")
    assert params["DYN"].type == "active-choice" and dict(params["DYN"].extra)["script"] == "return ['x', 'y']"
    assert params["ODD"].type == "my.custom.ParamDef" and params["ODD"].default == "v"
    assert params["ODD"].raw is not None and params["ODD"].raw.tag == "my.custom.ParamDef"
    assert all(p.span.path == "cfg.xml" and p.span.line > 1 for p in params.values())


def test_freestyle_triggers() -> None:
    trig = parse(FREESTYLE).triggers
    assert [t.kind for t in trig] == [
        "cron", "pollscm", "upstream", "github-push", "gitlab-push", "generic-webhook", "parameterized-cron", "other",
    ]
    assert trig[0].spec == "TZ=Europe/Paris\nH 2 * * 1-5" and trig[1].spec == "H/15 * * * *"
    assert trig[2].upstream == ("a", "folder/b") and trig[2].threshold == "UNSTABLE"
    assert dict(trig[4].extra)["triggerOnPush"] is True
    assert dict(trig[5].extra)["genericVariables"][0]["key"] == "ref"
    assert trig[6].spec == "H 3 * * * % ENV=prod"
    assert trig[7].plugin.endswith("GerritTrigger") and trig[7].raw is not None


def test_git_scm() -> None:
    scm = parse(FREESTYLE).scm
    assert scm is not None and scm.kind == "git"
    assert scm.url == "https://git.example.com/data/etl.git"
    assert (scm.credentials_id, scm.branches) == ("git-ro", ("*/main",))


def test_builders_tables_and_nesting() -> None:
    b = parse(FREESTYLE).builders
    assert [p.cls.rsplit(".", 1)[-1] for p in b] == [
        "Shell", "BatchFile", "PowerShell", "TriggerBuilder", "ConditionalBuilder", "SingleConditionalBuilder",
        "Mystery",
    ]
    assert b[0].field("command") == 'set -e\n./load.sh "$RUN_DATE"' and b[0].field("unstableReturn") == 3
    assert b[1].field("command") == "dir" and b[2].field("stopOnError") is True
    cfg = b[3].field("configs")[0]
    assert cfg["projects"] == ("down1", "down2") and cfg["condition"] == "ALWAYS"
    assert cfg["parameters"][0] == {"class": "hudson.plugins.parameterizedtrigger.PredefinedBuildParameters",
                                    "properties": "X=1"}
    assert cfg["block"] == {"buildStepFailureThreshold": "FAILURE"}
    cond = b[4].field("condition")
    assert cond["class"].endswith("StringsMatchCondition") and cond["arg2"] == "prod"
    assert b[4].field("builders")[0].field("command") == "echo prod"
    single = b[5].field("builders")[0]
    assert single.cls == "hudson.tasks.Shell" and single.field("command") == "echo single"
    assert b[6].plugin == "mystery@0.1" and b[6].field("level") == "3" and b[6].field("nested") is None
    assert b[6].raw is not None and b[6].raw.find("nested").findtext("deep") == "x"  # type: ignore[union-attr]


def test_publishers_and_wrappers() -> None:
    job = parse(FREESTYLE)
    p = {x.cls.rsplit(".", 1)[-1]: x for x in job.publishers}
    assert p["ArtifactArchiver"].field("artifacts") == "out/*.csv"
    assert p["ArtifactArchiver"].field("allowEmptyArchive") is False
    assert p["JUnitResultArchiver"].field("testResults") == "reports/*.xml"
    assert p["Mailer"].field("recipients") == ("a@x.org", "b@x.org")
    ext = p["ExtendedEmailPublisher"]
    assert ext.field("recipientList") == ("team@x.org",) and ext.field("defaultSubject") == "done"
    assert ext.field("triggers")[0]["recipientList"] == "oncall@x.org"
    assert ext.field("triggers")[0]["recipientProviders"][0].endswith("DevelopersRecipientProvider")
    assert p["BuildTrigger"].field("childProjects") == ("next-a", "next-b")
    assert p["BuildTrigger"].field("threshold") == "SUCCESS"
    w = {x.cls.rsplit(".", 1)[-1]: x for x in job.wrappers}
    strategy = w["BuildTimeoutWrapper"].field("strategy")
    assert strategy["class"].endswith("AbsoluteTimeOutStrategy") and strategy["timeoutMinutes"] == "45"
    bindings = w["SecretBuildWrapper"].field("bindings")
    assert bindings[0]["usernameVariable"] == "DB_USER" and bindings[1]["variable"] == "TOKEN"
    assert w["TimestamperBuildWrapper"].plugin == "timestamper@1.8"
    props = {x.cls.rsplit(".", 1)[-1]: x for x in job.properties}
    assert props["BuildDiscarderProperty"].field("daysToKeep") == 7
    assert "ParametersDefinitionProperty" in props


def test_xml_11_declaration_keeps_line_numbers() -> None:
    job = parse(FREESTYLE)
    shell = job.builders[0]
    expected = FREESTYLE.splitlines().index("    <hudson.tasks.Shell><command>set -e") + 1
    assert shell.span == Span("cfg.xml", expected, 1)


FLOW = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job@2.40">
  <description/>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers><hudson.triggers.TimerTrigger><spec>@daily</spec></hudson.triggers.TimerTrigger></triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@2.80">
    <script>pipeline {
  agent any
  stages { stage('a') { steps { sh 'make' } } }
}</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>
"""


def test_flow_definition_inline_script() -> None:
    job = parse(FLOW)
    assert job.kind == "pipeline" and job.script.startswith("pipeline {\n  agent any")
    assert ("sandbox", "true") in job.settings
    assert job.concurrent_build is False
    assert [(t.kind, t.spec) for t in job.triggers] == [("cron", "@daily")]


def test_flow_definition_merges_jenkinsfile_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def parse_jenkinsfile(text: str, path: str, full_name: str) -> Job:
        seen.update(text=text, path=path, full_name=full_name)
        return Job(full_name, "pipeline", Span(path), flavor="declarative",
                   stages=(Stage("a", Span(path, 3, 12)),))

    stub = types.ModuleType("jenkins2flow.parse.jenkinsfile")
    stub.parse_jenkinsfile = parse_jenkinsfile  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jenkins2flow.parse.jenkinsfile", stub)
    job = parse(FLOW, "f/p")
    assert seen["path"] == "cfg.xml" and seen["full_name"] == "f/p" and seen["text"].startswith("pipeline {")
    script_line = FLOW.splitlines().index("    <script>pipeline {") + 1
    assert job.flavor == "declarative" and job.stages[0].span.line == script_line + 2


def test_flow_definition_script_kept_unparsed_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def parse_jenkinsfile(text: str, path: str, full_name: str) -> Job:
        calls.append(text)
        return Job(full_name, "pipeline", Span(path), flavor="declarative", stages=(Stage("a", Span(path, 1)),))

    stub = types.ModuleType("jenkins2flow.parse.jenkinsfile")
    stub.parse_jenkinsfile = parse_jenkinsfile  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jenkins2flow.parse.jenkinsfile", stub)
    job = parse_config_xml(FLOW.encode(), "cfg.xml", "job", read_script=False)
    assert calls == [] and job.flavor == "" and job.stages == ()
    assert job.script.startswith("pipeline {\n  agent any")
    parsed = parse(FLOW)
    assert len(calls) == 1 and parsed.flavor == "declarative" and parsed.stages
    assert job.settings == parsed.settings and job.script == parsed.script


def test_flow_definition_from_scm() -> None:
    job = parse("""<flow-definition>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition">
    <scm class="hudson.plugins.git.GitSCM">
      <userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>git@h:x/y.git</url>
      </hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>
      <branches><hudson.plugins.git.BranchSpec><name>main</name></hudson.plugins.git.BranchSpec></branches>
    </scm>
    <scriptPath>ci/Jenkinsfile</scriptPath>
    <lightweight>true</lightweight>
  </definition>
</flow-definition>""")
    assert job.kind == "pipeline" and job.script == ""
    assert job.scm is not None and (job.scm.url, job.scm.script_path) == ("git@h:x/y.git", "ci/Jenkinsfile")


def test_matrix_axes() -> None:
    job = parse("""<matrix-project>
  <axes>
    <hudson.matrix.TextAxis><name>PY</name><values><string>3.10</string><string>3.11</string></values>
    </hudson.matrix.TextAxis>
    <hudson.matrix.LabelAxis><name>label</name><values><string>linux</string></values></hudson.matrix.LabelAxis>
  </axes>
  <builders><hudson.tasks.Shell><command>tox -e $PY</command></hudson.tasks.Shell></builders>
  <executionStrategy class="hudson.matrix.DefaultMatrixExecutionStrategyImpl"><runSequentially>false</runSequentially>
  </executionStrategy>
</matrix-project>""")
    assert job.kind == "matrix"
    assert [(a.name, a.values, a.kind) for a in job.axes] == [
        ("PY", ("3.10", "3.11"), "hudson.matrix.TextAxis"), ("label", ("linux",), "hudson.matrix.LabelAxis"),
    ]
    assert [u.tag for u in job.unknown] == ["executionStrategy"]
    assert job.concurrent_build is False


def test_maven_moduleset() -> None:
    job = parse("""<maven2-moduleset plugin="maven-plugin@3.4">
  <rootPOM>app/pom.xml</rootPOM>
  <goals>clean deploy -DskipTests</goals>
  <mavenName>maven-3</mavenName>
  <runPostStepsIfResult><name>SUCCESS</name><ordinal>0</ordinal></runPostStepsIfResult>
  <prebuilders><hudson.tasks.Shell><command>echo pre</command></hudson.tasks.Shell></prebuilders>
  <postbuilders><hudson.tasks.Shell><command>echo post</command></hudson.tasks.Shell></postbuilders>
  <reporters><hudson.maven.reporters.MavenMailer><recipients>a@b</recipients></hudson.maven.reporters.MavenMailer>
  </reporters>
</maven2-moduleset>""")
    assert job.kind == "maven"
    (mvn,) = job.builders
    assert mvn.cls == "hudson.maven.MavenModuleSet"
    assert (mvn.field("goals"), mvn.field("rootPOM"), mvn.field("mavenName")) == (
        "clean deploy -DskipTests", "app/pom.xml", "maven-3")
    assert mvn.field("runPostStepsIfResult") == "SUCCESS"
    assert mvn.field("reporters")[0].field("recipients") == "a@b"
    assert job.prebuilders[0].field("command") == "echo pre" and job.postbuilders[0].field("command") == "echo post"


MULTIBRANCH = """<?xml version="1.0" encoding="utf-8"?>
<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject plugin="workflow-multibranch">
  <properties/>
  <triggers>
    <com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger plugin="cloudbees-folder">
      <spec>H H * * *</spec><interval>86400000</interval>
    </com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger>
  </triggers>
  <sources class="jenkins.branch.MultiBranchProject$BranchSourceList" plugin="branch-api">
    <data>
      <jenkins.branch.BranchSource>
        <source class="com.cloudbees.jenkins.plugins.bitbucket.BitbucketSCMSource">
          <id>bb-etl</id><repoOwner>DATA</repoOwner><repository>etl</repository><credentialsId>bb</credentialsId>
        </source>
      </jenkins.branch.BranchSource>
      <jenkins.branch.BranchSource>
        <source class="jenkins.plugins.git.GitSCMSource" plugin="git">
          <id>gt-loader</id><remote>https://git.example.com/data/loader.git</remote>
          <traits><jenkins.plugins.git.traits.BranchDiscoveryTrait/></traits>
        </source>
      </jenkins.branch.BranchSource>
      <jenkins.branch.BranchSource>
        <source class="org.jenkinsci.plugins.github_branch_source.GitHubSCMSource" plugin="github-branch-source">
          <id>gh-reports</id><repoOwner>acme</repoOwner><repository>reports</repository><credentialsId>gh</credentialsId>
        </source>
      </jenkins.branch.BranchSource>
    </data>
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
  </sources>
  <factory class="org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory">
    <owner class="org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject" reference="../.."/>
    <scriptPath>ci/Jenkinsfile</scriptPath>
  </factory>
</org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>"""


def test_folder_multibranch_and_organization() -> None:
    folder = parse("""<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.15">
  <description>team</description><properties/><views/></com.cloudbees.hudson.plugins.folder.Folder>""")
    assert folder.kind == "folder" and folder.description == "team"
    mb = parse(MULTIBRANCH)
    assert mb.kind == "multibranch"
    assert [s.url for s in mb.sources] == [
        "https://bitbucket.org/DATA/etl.git", "https://git.example.com/data/loader.git",
        "https://github.com/acme/reports.git",
    ]
    assert [s.credentials_id for s in mb.sources] == ["bb", "", "gh"]
    assert mb.scm is not None and mb.scm.script_path == "ci/Jenkinsfile"
    assert mb.triggers[0].kind == "other" and mb.triggers[0].spec == "H H * * *"
    org = parse("""<jenkins.branch.OrganizationFolder>
  <navigators><org.jenkinsci.plugins.github__branch__source.GitHubSCMNavigator>
    <repoOwner>acme</repoOwner><credentialsId>gh</credentialsId>
  </org.jenkinsci.plugins.github__branch__source.GitHubSCMNavigator></navigators>
  <projectFactories><org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProjectFactory>
    <scriptPath>build/Jenkinsfile</scriptPath></org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProjectFactory>
  </projectFactories>
</jenkins.branch.OrganizationFolder>""")
    assert org.kind == "organization-folder"
    assert org.sources[0].url == "acme" and org.sources[0].credentials_id == "gh"
    assert org.scm is not None and org.scm.script_path == "build/Jenkinsfile"


def test_unsupported_root_still_records_everything() -> None:
    job = parse("""<com.tikal.jenkins.plugins.multijob.MultiJobProject plugin="jenkins-multijob-plugin@1.33">
  <description>mj</description>
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.StringParameterDefinition><name>A</name></hudson.model.StringParameterDefinition>
  </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>
  <triggers><hudson.triggers.TimerTrigger><spec>H * * * *</spec></hudson.triggers.TimerTrigger></triggers>
  <builders><com.tikal.jenkins.plugins.multijob.MultiJobBuilder><phaseName>p1</phaseName>
  </com.tikal.jenkins.plugins.multijob.MultiJobBuilder></builders>
</com.tikal.jenkins.plugins.multijob.MultiJobProject>""")
    assert job.kind == "unsupported" and job.description == "mj"
    assert [p.name for p in job.parameters] == ["A"] and job.triggers[0].spec == "H * * * *"
    assert job.builders[0].field("phaseName") == "p1"
    (err,) = errors(job)
    assert err == "cfg.xml:1:1: unsupported job kind 'com.tikal.jenkins.plugins.multijob.MultiJobProject': it is " \
        "not a freestyle, pipeline, matrix, maven, folder, multibranch or organization-folder job; everything in " \
        "it is still recorded."


def test_malformed_xml_gives_position_and_best_kind() -> None:
    job = parse("<?xml version='1.1'?>\n<project>\n  <builders>\n    <a></b>\n</project>")
    assert job.kind == "freestyle"
    (err,) = errors(job)
    assert err.startswith("cfg.xml:4:") and "not well-formed" in err
    empty = parse_config_xml(b"", "e.xml", "e")
    assert empty.kind == "unsupported" and errors(empty)
    assert parse_config_xml(b"\xff\xfe\x00garbage", "g.xml", "g").kind == "unsupported"


def test_xml11_control_character_reference() -> None:
    job = parse("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><definition "
                "class='org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition'><script>echo &#27;[1m"
                "</script></definition></flow-definition>")
    assert job.script == "echo \ufffd[1m" and not errors(job)
    assert any(d.code == "xml11-control-chars" for d in job.diagnostics)
    # the rewrite happens only when the 1.0 parse fails on such a reference; a real error after it is still named
    bad = parse("<?xml version='1.1'?>\n<project><description>&#27;</description>\n<a></b></project>")
    (err,) = errors(bad)
    assert err.startswith("cfg.xml:3:") and "not well-formed" in err
    plain = parse("<?xml version='1.0'?>\n<project><description>&#27;</description></project>")
    assert errors(plain) and not any(d.code == "xml11-control-chars" for d in plain.diagnostics)


# ---- security ------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<project><description>&lol9;</description></project>"""


def _flatten(job: Job) -> str:
    return repr(job)


def test_billion_laughs_is_refused() -> None:
    job = parse(BILLION_LAUGHS)
    (err,) = errors(job)
    assert err.startswith("cfg.xml:2:1: The file declares a DOCTYPE") and job.description == ""
    assert "lollol" not in _flatten(job) and job.kind == "freestyle"


def test_external_entity_to_a_local_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c")
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
           "<project><description>&xxe;</description></project>")
    job = parse(xml)
    assert "TOP-SECRET-7f3a9c" not in _flatten(job)
    assert errors(job) and "DOCTYPE" in errors(job)[0]
    # Even past the refusal (no DOCTYPE, a bare reference), nothing is expanded.
    job2 = parse("<project><description>&xxe;</description></project>")
    assert "TOP-SECRET" not in _flatten(job2) and errors(job2)


def test_external_entity_to_the_network_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: any connection attempt would fail loudly
    xml = (f'<!DOCTYPE project SYSTEM "http://127.0.0.1:{port}/evil.dtd">\n'
           f'<project><description>x</description></project>')
    job = parse(xml)
    assert "DOCTYPE" in errors(job)[0] and job.description == ""
    param_entity = (f'<?xml version="1.0"?><!doctype p [<!ENTITY % e SYSTEM "http://127.0.0.1:{port}/x"> %e;]><p/>')
    assert "DOCTYPE" in errors(parse(param_entity))[0]


def test_oversize_input_is_refused() -> None:
    big = b"<project><description>" + b"x" * 2048 + b"</description></project>"
    job = parse_config_xml(big, "big.xml", "big", max_bytes=1024)
    assert job.kind == "freestyle" and job.description == ""
    (err,) = errors(job)
    assert err.startswith("big.xml:1:1: The file is 2,094 bytes, above the 1,024-byte limit")


# ---- every element kept --------------------------------------------------------------------------------------------

CONTAINERS = {
    "builders": "builders", "publishers": "publishers", "buildWrappers": "wrappers", "properties": "properties",
    "prebuilders": "prebuilders", "postbuilders": "postbuilders",
}


def _expected_children(data: bytes) -> dict[str, Counter[tuple[str, int]]]:
    """Independent count: (tag, line) of every child of the five containers, straight from lxml."""
    data = data.replace(b"version='1.1'", b"version='1.0'", 1).replace(b'version="1.1"', b'version="1.0"', 1)
    root = etree.fromstring(data)
    out: dict[str, Counter[tuple[str, int]]] = {}
    for container in (*CONTAINERS, "triggers"):
        out[container] = Counter(
            (c.tag, c.sourceline) for el in root.findall(container) for c in el if isinstance(c.tag, str)
        )
    return out


@pytest.mark.parametrize("name", ["freestyle", "flow", "multibranch", *(str(p.relative_to(ROOT)) for p in PROJECT_XML)])
def test_every_child_of_the_containers_is_kept(name: str) -> None:
    """Our own config.xml files and the inline jobs above (`make corpus` checks every corpus file the same way)."""
    inline = {"freestyle": FREESTYLE, "flow": FLOW, "multibranch": MULTIBRANCH}
    data = inline[name].encode() if name in inline else (ROOT / name).read_bytes()
    job = parse_config_xml(data, name, "job")
    assert not [d for d in job.diagnostics if d.code in ("malformed-xml", "internal-error")], name
    expected = _expected_children(data)
    for container, attr in CONTAINERS.items():
        got = Counter((p.raw.tag if p.raw else p.cls, p.span.line) for p in getattr(job, attr) if p.raw)
        assert got == expected[container], container
    assert expected["triggers"] <= Counter((t.plugin, t.span.line) for t in job.triggers)


# ---- fuzz --------------------------------------------------------------------------------------------------------

_SEEDS = [FREESTYLE.encode(), FLOW.encode(), BILLION_LAUGHS.encode()]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(_SEEDS))
    ops = draw(st.lists(st.tuples(st.integers(0, len(seed)), st.integers(0, 40), st.binary(max_size=12)),
                        max_size=6))
    data = bytearray(seed)
    for pos, cut, insert in ops:
        pos = min(pos, len(data))
        data[pos:pos + cut] = insert
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), _mutated()))
def test_fuzz_never_raises(data: bytes) -> None:
    job = parse_config_xml(data, "fuzz.xml", "fuzz")
    assert isinstance(job, Job) and job.full_name == "fuzz"
    assert all(d.span.path == "fuzz.xml" for d in job.diagnostics)

"""Where tasks run and with what: agent labels -> queue/pool/image by mappings `agents`, tool installations ->
environment or image by mappings `tools`; what has no rule runs on the defaults and is flagged with its place and
the rule to add."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.errors import UsageError
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from jenkins2flow.parse.job_xml import parse_config_xml
from tests.convert.helpers import own_provided

MAPPINGS = """
agents:
  labels:
    jdk8: {queue: java8}
    jdk11: {queue: java11, pool: java}
    jdk21: {image: "eclipse-temurin:21-jdk"}
    "linux   &&  docker": {queue: docker}
tools:
  installations:
    jdk:
      "JDK 8": {home: /opt/jdk8}
      "JDK 11": {home: /opt/jdk11}
      "JDK 21": {image: "eclipse-temurin:21-jdk"}
    maven:
      M3: {home: /opt/maven, env: {MAVEN_CONFIG: /etc/m2}}
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("mappings")
    (folder / "estate.yaml").write_text(MAPPINGS, encoding="utf-8")
    return own_provided(load_rules([folder]))


def _convert(text: str, rules: Any = None, name: str = "team/build") -> Any:
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", name), rules or own_provided())


def _tasks(conv: Any) -> dict[str, Any]:
    return {t.id: t for t in conv.pipeline.tasks}


def _docs(conv: Any) -> dict[str, Any]:
    return {d.name: d for d in conv.tasks}


PARALLEL_TOOLS = """pipeline {
  agent any
  stages {
    stage('Test') {
      parallel {
        stage('java8') { tools { jdk 'JDK 8' }  steps { sh 'mvn -B verify' } }
        stage('java11') { tools { jdk 'JDK 11' } steps { sh 'mvn -B verify' } }
        stage('java21') { tools { jdk 'JDK 21' } steps { sh 'mvn -B verify' } }
      }
    }
  }
}
"""


def test_three_parallel_jdk_branches_are_three_different_tasks(rules: Any) -> None:
    conv = _convert(PARALLEL_TOOLS, rules)
    assert conv.status == "converted", conv.reasons
    t = _tasks(conv)
    assert t["java8"].env["JAVA_HOME"] == "/opt/jdk8" and t["java8"].env["PATH+JDK"] == "/opt/jdk8/bin"
    assert t["java11"].env["JAVA_HOME"] == "/opt/jdk11"
    assert "JAVA_HOME" not in t["java21"].env and t["java21"].executor == "fargate"
    docs = _docs(conv)
    assert docs[t["java21"].uses.name].spec.image == "eclipse-temurin:21-jdk"
    assert docs[t["java8"].uses.name].spec.type == "shell"  # the same command: one shared shell task for 8 and 11
    assert t["java8"].uses == t["java11"].uses != t["java21"].uses


def test_three_parallel_label_branches_get_their_queue_pool_or_image(rules: Any) -> None:
    text = PARALLEL_TOOLS.replace("tools { jdk 'JDK 8' } ", "agent { label 'jdk8' }") \
        .replace("tools { jdk 'JDK 11' }", "agent { label 'jdk11' }").replace("tools { jdk 'JDK 21' }",
                                                                               "agent { label 'jdk21' }")
    conv = _convert(text, rules)
    assert conv.status == "converted", conv.reasons
    t = _tasks(conv)
    assert (t["java8"].queue, t["java8"].pool, t["java8"].executor) == ("java8", "", "local")
    assert (t["java11"].queue, t["java11"].pool) == ("java11", "java")
    assert t["java21"].executor == "fargate" and _docs(conv)[t["java21"].uses.name].spec.image.endswith(":21-jdk")


def test_an_unmapped_tool_runs_on_the_defaults_and_is_flagged_with_its_place() -> None:
    conv = _convert("""pipeline {
  agent any
  tools {
    jdk 'JDK 17'
  }
  stages { stage('b') { steps { sh 'java -version' } } }
}
""")
    assert conv.status == "partial"
    [approx] = conv.approximations
    assert (approx.element, str(approx.span)) == ("tool jdk", "Jenkinsfile:4:5")
    assert "tools: {installations: {jdk: {'JDK 17': {home: /path/on/the/workers}}}}" in approx.reason
    assert "JAVA_HOME" not in conv.pipeline.tasks[0].env  # it still runs, with the workers' java


def test_an_unmapped_label_runs_on_the_default_queue_and_is_flagged(rules: Any) -> None:
    conv = _convert("pipeline { agent { label 'gpu' }\n stages { stage('b') { steps { sh 'train' } } } }\n", rules)
    assert conv.status == "partial" and conv.pipeline.tasks[0].queue == ""
    [approx] = conv.approximations
    assert approx.element == "agent label" and "`agents: {labels: {'gpu': {queue: QUEUE}}}`" in approx.reason
    assert str(approx.span) == "Jenkinsfile:1:12"


def test_a_label_expression_is_one_key_whitespace_collapsed(rules: Any) -> None:
    conv = _convert("node('linux &&\tdocker') { stage('b') { sh 'make' } }\n", rules)
    assert conv.status == "converted" and conv.pipeline.tasks[0].queue == "docker"
    other = _convert("node('docker && linux') { stage('b') { sh 'make' } }\n", rules)
    assert other.status == "partial" and other.pipeline.tasks[0].queue == ""  # not evaluated: another key


def test_a_default_rule_maps_every_label_to_a_queue_of_its_name(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("agents: {default: {queue: 'ci-{label}'}}\n", encoding="utf-8")
    conv = _convert("node('big') { stage('b') { sh 'make' } }\n", load_rules([tmp_path]))
    assert conv.status == "converted" and conv.pipeline.tasks[0].queue == "ci-big"


def test_a_stage_agent_replaces_the_pipeline_agent(rules: Any) -> None:
    conv = _convert("""pipeline {
  agent { label 'jdk11' }
  stages {
    stage('a') { steps { sh 'a' } }
    stage('b') { agent { label 'jdk8' } steps { sh 'b' } }
  }
}
""", rules)
    t = _tasks(conv)
    assert (t["a"].queue, t["a"].pool) == ("java11", "java") and (t["b"].queue, t["b"].pool) == ("java8", "")


def test_tool_step_values_withmaven_and_system_installations(rules: Any) -> None:
    conv = _convert("""node {
  stage('b') {
    def mvnHome = tool 'M3'
    env.JAVA_HOME = tool name: 'JDK 11', type: 'hudson.model.JDK'
    sh "${mvnHome}/bin/mvn -v"
    withMaven(jdk: 'JDK 8', maven: 'M3', mavenOpts: '-Xmx1g') { sh 'mvn package' }
    withMaven(maven: 'M3', mavenLocalRepo: '.repo') { sh 'mvn install' }
  }
}
""", rules)
    first, second, third = conv.pipeline.tasks
    assert "mvnHome" not in first.env and first.env["JAVA_HOME"] == "/opt/jdk11"  # a Groovy value, pasted:
    assert next(d for d in conv.tasks if d.name == first.uses.name).spec.command == "/opt/maven/bin/mvn -v"
    assert second.env["JAVA_HOME"] == "/opt/jdk8" and second.env["MAVEN_OPTS"] == "-Xmx1g"
    assert second.env["PATH+MAVEN"] == "/opt/maven/bin" and second.env["MAVEN_CONFIG"] == "/etc/m2"
    assert third.env["JAVA_HOME"] == "/opt/jdk11"  # env.JAVA_HOME still holds
    [approx] = conv.approximations
    assert approx.element == "step withMaven mavenLocalRepo" and str(approx.span) == "Jenkinsfile:7:5"
    waived = {e.element for e in conv.ledger if e.outcome == "waived"}
    assert "step withMaven" in waived  # its reports stay CI-side, said so


def _freestyle(jdk: str, builder: str) -> bytes:
    return f"""<project>
  <jdk>{jdk}</jdk>
  <assignedNode>jdk11</assignedNode>
  <builders>
{builder}
  </builders>
</project>""".encode()


MAVEN_BUILDER = """    <hudson.tasks.Maven>
      <targets>clean verify</targets>
      <mavenName>M3</mavenName>
      <pom>sub/pom.xml</pom>
      <jvmOptions>-Xmx2g</jvmOptions>
      <properties>skipTests=true
env=ci</properties>
      <usePrivateRepository>false</usePrivateRepository>
    </hudson.tasks.Maven>"""


def test_freestyle_jdk_label_and_maven_builder(rules: Any) -> None:
    conv = convert_job(parse_config_xml(_freestyle("JDK 11", MAVEN_BUILDER), "config.xml", "mvn"), rules)
    assert conv.status == "converted", conv.reasons
    [task] = conv.pipeline.tasks
    assert task.queue == "java11" and task.pool == "java"
    assert task.env["JAVA_HOME"] == "/opt/jdk11" and task.env["M2_HOME"] == "/opt/maven"
    assert task.env["MAVEN_OPTS"] == "-Xmx2g"
    assert conv.tasks[0].spec.command == "mvn clean verify -f sub/pom.xml -DskipTests=true -Denv=ci"
    mapped = {e.element: str(e.span) for e in conv.ledger if e.outcome == "mapped"}
    assert mapped["tool jdk"] == "config.xml:2:1" and mapped["agent label"] == "config.xml:3:1"


def test_freestyle_system_jdk_is_waived_and_unused_builder_fields_are_flagged(rules: Any) -> None:
    builder = MAVEN_BUILDER.replace("false</usePrivateRepository>", "true</usePrivateRepository>")
    conv = convert_job(parse_config_xml(_freestyle("(System)", builder), "config.xml", "mvn"), rules)
    assert ("tool jdk", "waived") in {(e.element, e.outcome) for e in conv.ledger}
    [approx] = conv.approximations
    assert approx.element == "builder hudson.tasks.Maven usePrivateRepository" and "'true'" in approx.reason


def test_maven_moduleset_mavenopts_and_installation(rules: Any) -> None:
    xml = b"""<maven2-moduleset>
  <jdk>JDK 8</jdk>
  <rootPOM>app/pom.xml</rootPOM>
  <goals>-B deploy</goals>
  <mavenName>M3</mavenName>
  <mavenOpts>-Xmx1g -Dfile.encoding=UTF-8</mavenOpts>
  <aggregatorStyleBuild>true</aggregatorStyleBuild>
  <ignoreUpstremChanges>true</ignoreUpstremChanges>
  <settings class="jenkins.mvn.DefaultSettingsProvider"/>
  <globalSettings class="jenkins.mvn.DefaultGlobalSettingsProvider"/>
  <runPostStepsIfResult><name>SUCCESS</name></runPostStepsIfResult>
</maven2-moduleset>"""
    conv = convert_job(parse_config_xml(xml, "config.xml", "mod"), rules)
    assert conv.status == "converted", conv.reasons  # Maven's default settings ask for nothing
    [task] = conv.pipeline.tasks
    assert task.env["MAVEN_OPTS"] == "-Xmx1g -Dfile.encoding=UTF-8"
    assert task.env["JAVA_HOME"] == "/opt/jdk8" and task.env["MAVEN_HOME"] == "/opt/maven"
    assert conv.tasks[0].spec.command == "mvn -B deploy -f app/pom.xml"
    own = xml.replace(b'<settings class="jenkins.mvn.DefaultSettingsProvider"/>',
                      b'<settings class="jenkins.mvn.FilePathSettingsProvider"><path>ci/settings.xml</path></settings>')
    flagged = convert_job(parse_config_xml(own, "config.xml", "mod"), rules)
    [approx] = flagged.approximations
    assert approx.element.endswith(" settings") and "FilePathSettingsProvider" in approx.reason


def test_mappings_with_an_unknown_key_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("agents: {labels: {linux: {queu: x}}}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"agents.labels.linux has unknown key 'queu'. Did you mean 'queue'\?"):
        load_rules([tmp_path])
    (tmp_path / "bad.yaml").write_text("tools: {installations: {jdk: {'JDK 8': {hom: /x}}}}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"has unknown key 'hom'"):
        load_rules([tmp_path])


def test_user_installations_merge_into_the_defaults(rules: Any) -> None:
    table = rules.table("tools")
    assert table["types"]["jdk"]["env"]["JAVA_HOME"] == "{home}"  # the default types are kept
    assert set(table["installations"]["jdk"]) == {"JDK 8", "JDK 11", "JDK 21"}

"""The property each golden case of issue 12's classes 7, 9, 11, 12 and 13 is about (tests/convert/golden: env_*,
notify_*, scm_*, run_*, schedule_*), read through the golden harness's convert_case."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert.context import FALLBACK_TASK
from jenkins2flow.schedule.cron import resolve
from tests.convert.test_golden import convert_case


def _tasks(conv: Any) -> dict[str, Any]:
    return {t.id: t for t in conv.pipeline.tasks}


def _spec(conv: Any, task: Any) -> Any:
    return {d.name: d.spec for d in conv.tasks}[task.uses.name]


def test_env_parallel_jdks_gives_each_branch_its_jdk() -> None:
    conv = convert_case("env_parallel_jdks")
    t = _tasks(conv)
    assert [t[b].env.get("JAVA_HOME") for b in ("jdk8", "jdk11", "jdk21")] == ["/opt/jdk8", "/opt/jdk11", None]
    assert _spec(conv, t["jdk21"]).image == "eclipse-temurin:21-jdk" and t["jdk21"].executor == "fargate"
    assert all(t[b].env["PATH+MAVEN"] == "/opt/maven/bin" for b in ("jdk8", "jdk11", "jdk21"))


def test_env_labels_and_unmapped() -> None:
    t = _tasks(convert_case("env_labels"))
    assert [(t[s].queue, t[s].pool) for s in ("build", "old", "new")] == [("docker", ""), ("java8", ""),
                                                                         ("java11", "java")]
    unmapped = convert_case("env_unmapped")
    assert unmapped.status == "partial"
    assert sorted(str(e.span) for e in unmapped.approximations) == [
        "env_unmapped.Jenkinsfile:3:3", "env_unmapped.Jenkinsfile:5:5", "env_unmapped.Jenkinsfile:6:5"]


def test_env_freestyle_and_moduleset_builders() -> None:
    mvn = convert_case("env_freestyle_maven")
    [task] = mvn.pipeline.tasks
    assert (task.queue, task.env["JAVA_HOME"], task.env["MAVEN_OPTS"]) == ("java11", "/opt/jdk11", "-Xmx2g")
    assert mvn.tasks[0].spec.command == "mvn clean verify -f app/pom.xml -DskipTests=true"
    mod = convert_case("env_maven_moduleset")
    assert mod.pipeline.tasks[0].env["MAVEN_OPTS"] == "-Xmx1g -Dfile.encoding=UTF-8"
    assert mod.status == "converted"


def test_notify_cases() -> None:
    triggers = convert_case("notify_emailext_triggers")
    assert [(n.on, n.condition) for n in triggers.pipeline.notifications] == [
        ("failure", "first_failure"), ("failure", "still_failing"), ("success", "fixed")]
    assert triggers.pipeline.notifications[0].to == ["oncall@example.com", "data@example.com"]
    defaults = convert_case("notify_emailext_defaults")
    first = defaults.pipeline.notifications[0]
    assert first.to == ["data-team@example.com", "ops@example.com"] and defaults.status == "converted"
    assert first.subject == "[CI] notify_emailext_defaults #${AIRFLOW_BUILD_NUMBER}: ${AIRFLOW_BUILD_STATUS}"
    assert [(n.on, n.condition) for n in defaults.pipeline.notifications] == [("failure", ""), ("always", "changed")]
    mailer = convert_case("notify_mailer")
    assert [(n.on, n.condition) for n in mailer.pipeline.notifications] == [("failure", ""), ("success", "fixed")]
    slack = convert_case("notify_slack")
    assert sorted((n.on, n.condition) for n in slack.pipeline.notifications) == [("failure", ""),
                                                                                  ("success", "fixed")]
    assert [e.element.rsplit(" ", 1)[-1] for e in slack.approximations] == ["startNotification"]
    steps = convert_case("notify_steps")
    assert {n.condition for n in steps.pipeline.notifications} == {"", "fixed"}


def _sends(conv: Any) -> dict[str, Any]:
    """The notification tasks of a conversion (`mail`, `slackSend`... outside the pipeline's post), by id."""
    return {t.id: t for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"}


def test_notify_in_catch_is_a_task_after_the_catch_gate_not_a_callback() -> None:
    conv = convert_case("notify_in_catch")
    t = _tasks(conv)
    assert conv.status == "converted" and conv.pipeline.notifications == []
    [send] = _sends(conv).values()
    assert _spec(conv, send).callable == "jenkins2flow_runtime.notify:send_step"
    gate = t[send.depends_on[0]]
    assert (gate.uses.name, gate.bindings["runs_on"], gate.bindings["body_tasks"]) == (
        "airflow.block-gate", "failure", ["build"])  # reached only when the try body failed
    assert send.bindings["notification"] == {"channel": "email", "to": ["team@example.com"], "body": "make failed",
                                             "subject": "FAILED: notify_in_catch #${AIRFLOW_BUILD_NUMBER}"}
    assert t["publish"].depends_on == ["build_end"] and t["publish"].trigger_rule == "all_success"


def test_notify_in_a_gated_stage_and_an_if_branch_waits_for_the_gate() -> None:
    conv = convert_case("notify_when_stage")
    t, sends = _tasks(conv), _sends(conv)
    assert conv.status == "converted" and conv.pipeline.notifications == []
    assert sorted(sends) == ["announce_notify", "deploy_notify"]
    assert sends["deploy_notify"].depends_on == ["deploy"] and t["deploy"].depends_on == ["deploy_gate"]
    assert t["deploy_gate"].bindings["condition"]["op"] == "branch"
    gate = t[sends["announce_notify"].depends_on[0]]
    assert gate.uses.name == "airflow.when-gate" and gate.bindings["condition"]["args"][0]["param"] == "ANNOUNCE"
    assert sends["announce_notify"].bindings["notification"]["channel"] == "slack"


def test_notify_in_a_stage_post_runs_on_the_stages_outcome_the_pipeline_post_mail_is_a_task_too() -> None:
    conv = convert_case("notify_stage_post")
    t, sends = _tasks(conv), _sends(conv)
    assert conv.status == "converted"
    assert {i: t[s.depends_on[0]].bindings["runs_on"] for i, s in sends.items()} == {
        "build_post_success_notify": "success", "build_post_failure_notify": "failure",
        "post_post_failure_notify": "failure"}
    # success after failure (Jenkins' order): its gate also judges the failure block's task
    stage = {i: s for i, s in sends.items() if i.startswith("build_")}
    assert {i: t[s.depends_on[0]].bindings["body_tasks"] for i, s in stage.items()} == {
        "build_post_failure_notify": ["build"], "build_post_success_notify": ["build", "build_post_failure_notify"]}
    assert set(stage) <= set(t["build_end"].depends_on) and t["test"].depends_on == ["build_end"]
    # the pipeline's post mail: Jenkins fails the build when it cannot send, which a callback cannot do
    assert conv.pipeline.notifications == [] and sends["post_post_failure_notify"].bindings["fail_on_error"] is True


def test_scm_cases() -> None:
    git = convert_case("scm_freestyle_git")
    checkout, build = git.pipeline.tasks
    command = _spec(git, checkout).command
    assert "--no-tags --depth=1" in command and "git submodule update --init --recursive" in command
    assert build.depends_on == [checkout.id]
    assert [(s.env, s.field) for s in _spec(git, checkout).secrets] == [
        ("JENKINS2FLOW_GIT_USER", "login"), ("JENKINS2FLOW_GIT_PASSWORD", "password")]
    provided = convert_case("scm_provided")
    assert [t.id for t in provided.pipeline.tasks] == ["build"] and provided.status == "converted"
    steps = convert_case("scm_checkout_steps")
    lib = next(d.spec for d in steps.tasks if "lib" in d.spec.command)
    assert lib.ssh_agent == ["JENKINS2FLOW_SSH_KEY_1"] and "origin +refs/tags/v2.1:refs/tags/v2.1\n" in lib.command
    assert convert_case("scm_svn").status == "jenkins_only"


def test_run_cases() -> None:
    bat = convert_case("run_bat")
    assert bat.status == "jenkins_only" and [t.uses.name for t in bat.pipeline.tasks] == [FALLBACK_TASK]
    windows = convert_case("run_windows")
    assert windows.status == "converted" and [d.spec.shell for d in windows.tasks] == ["bat", "powershell"]
    builds = convert_case("run_build_job").pipeline.tasks
    assert [(t.bindings["wait"], t.bindings.get("propagate", True)) for t in builds] == [
        (True, True), (False, True), (True, False)]
    assert convert_case("run_sshagent").tasks[0].spec.ssh_agent == ["JENKINS2FLOW_SSH_KEY_1"]
    ws = convert_case("run_custom_workspace")
    [approx] = ws.approximations
    assert approx.element == "step ws" and str(approx.span) == "run_custom_workspace.Jenkinsfile:6:31"


def test_schedule_cases() -> None:
    tz = convert_case("schedule_tz").pipeline.schedule
    assert (tz.timezone, tz.cron) == ("Europe/Paris", resolve("H 6 * * 1-5", "schedule_tz").cron)
    two = convert_case("schedule_two_zones")
    assert two.pipeline.schedule.timezone == "Europe/Paris" and two.status == "partial"

"""Edge cases of convert.regions beside the golden cases: what a region leaves for the steps after it when it adds
nothing, rules shared by parallel branches, values only the build knows, and the order of clock, gate and entry."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile


def _convert(text: str) -> Conversion:
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", "team/edge"))


def _tasks(conv: Conversion) -> dict[str, Any]:
    assert conv.pipeline is not None
    return {t.id: t for t in conv.pipeline.draft_tasks or conv.pipeline.tasks}


def _ledger(conv: Conversion, key: str) -> list[tuple[str, str]]:
    return [(e.outcome, e.reason) for e in conv.ledger if e.key == key]


def test_post_with_no_task_adds_nothing_and_keeps_the_rule_after_an_if() -> None:
    conv = _convert("""pipeline { agent any
      parameters { booleanParam(name: 'X', defaultValue: false) }
      stages {
        stage('A') { steps { sh 'a' } }
        stage('B') { steps { script { if (params.X) { sh 'b' } } }
                     post { unstable { mail to: 'ops@example.com', subject: 'B unstable' } } }
        stage('C') { steps { sh 'c' } }
      } }""")
    tasks = _tasks(conv)
    assert sorted(tasks) == ["a", "b", "b_gate", "c"]  # no entry, gate or end for a post with no task
    assert tasks["c"].trigger_rule == "none_failed_min_one_success" and sorted(tasks["c"].depends_on) == ["a", "b"]
    assert {d.name for d in conv.tasks} == {t.uses.name for t in tasks.values()}


def test_a_stage_post_mail_is_a_task_after_the_blocks_gate_not_a_callback() -> None:
    conv = _convert("""pipeline { agent any
      parameters { booleanParam(name: 'X', defaultValue: false) }
      stages {
        stage('A') { steps { sh 'a' } }
        stage('B') { steps { script { if (params.X) { sh 'b' } } }
                     post { failure { mail to: 'ops@example.com', subject: 'B failed' } } }
        stage('C') { steps { sh 'c' } }
      } }""")
    tasks = _tasks(conv)
    assert conv.pipeline is not None and conv.pipeline.notifications == []
    mail = tasks["b_post_failure_notify"]
    assert mail.uses.name == "airflow.notify" and mail.depends_on == ["b_post_failure_gate"]
    assert mail.bindings["notification"] == {"channel": "email", "to": ["ops@example.com"], "subject": "B failed"}
    assert tasks["b_post_failure_gate"].bindings["runs_on"] == "failure"
    assert tasks["c"].depends_on == ["b_end"] and "b_post_failure_notify" in tasks["b_end"].depends_on


def test_every_parallel_branch_starts_with_the_rule_after_a_skippable_stage() -> None:
    conv = _convert("""pipeline { agent any
      stages {
        stage('Maybe') { when { branch 'main' } steps { sh 'maybe' } }
        stage('Both') { parallel {
          stage('L') { steps { sh 'l' } }
          stage('R') { steps { sh 'r' } }
        } }
      } }""")
    tasks = _tasks(conv)
    # a skipped `Maybe` must not skip either branch: both first tasks wait with none_failed
    assert tasks["l"].trigger_rule == tasks["r"].trigger_rule == "none_failed"


def test_scripted_parallel_branches_share_the_rule_too() -> None:
    conv = _convert("""node {
      if (params.X) { sh 'x' }
      parallel one: { sh 'one' }, two: { sh 'two' }
    }""")
    tasks = _tasks(conv)
    assert tasks["one"].trigger_rule == tasks["two"].trigger_rule  # was: only the first branch got it


def test_try_with_an_empty_finally_leaves_the_bodys_rule() -> None:
    conv = _convert("""node {
      sh 'first'
      try { if (params.X) { sh 'x' } } finally { cleanWs() }
      sh 'after'
    }""")
    tasks = _tasks(conv)
    after = next(t for t in tasks.values() if "after" in t.uses.name)
    assert after.trigger_rule == "none_failed_min_one_success"
    assert not any(t.uses.name.startswith(("airflow.block", "airflow.enter")) for t in tasks.values())


def test_values_only_the_build_knows_are_flagged_and_set_no_limit() -> None:
    conv = _convert("""node {
      timeout(time: params.MINUTES) { sh 'a' }
      timeout(time: 5, unit: 'FORTNIGHTS') { sh 'b' }
      retry(params.TRIES) { sh 'c' }
      catchError(buildResult: params.RESULT) { sh 'd' }
    }""")
    tasks = _tasks(conv)
    assert all(t.timeout_seconds is None and t.deadlines == [] for t in tasks.values())
    assert [o for o, _ in _ledger(conv, "timeout")] == ["approximated", "approximated"]
    assert "unknown unit 'FORTNIGHTS'" in _ledger(conv, "timeout")[1][1]
    assert _ledger(conv, "retry")[0][0] == "approximated" and all(t.retries is None for t in tasks.values()
                                                                   if "sh.c" in t.uses.name)
    assert _ledger(conv, "catchError")[0][0] == "approximated"


def test_a_stages_clock_comes_before_its_when_gate_and_the_gate_is_its_entry() -> None:
    conv = _convert("""pipeline { agent any
      stages {
        stage('A') { steps { sh 'a' } }
        stage('B') {
          when { branch 'main' }
          options { timeout(time: 10, unit: 'MINUTES') }
          steps { sh 'b1'; sh 'b2' }
          post { always { sh 'b_post' } }
        }
      } }""")
    tasks = _tasks(conv)
    assert tasks["b_timeout"].depends_on == ["a"] and tasks["b_gate"].depends_on == ["b_timeout"]
    assert tasks["b_post_always_gate"].bindings["entry_task"] == "b_gate"
    assert [d.clock for d in tasks["b_post_always"].deadlines] == ["b_timeout"]  # the post runs inside the limit
    assert tasks["b_end"].deadlines == []


def test_a_rethrow_outside_a_catch_is_still_not_converted() -> None:
    conv = _convert("""node {
      def e = new Exception('x')
      throw e
    }""")
    assert conv.status == "jenkins_only"  # `e` was not caught: the thrown value is Groovy's

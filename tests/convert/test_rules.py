from __future__ import annotations

from pathlib import Path

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.registry import HANDLERS
from jenkins2flow.convert.rules import did_you_mean, load_rules
from jenkins2flow.errors import UsageError
from tests.convert.helpers import job, sh, stage, step


def test_default_rules_load_and_name_known_handlers() -> None:
    rules = load_rules(handlers=HANDLERS)
    assert rules.rule("steps", "sh").handler == "shell"  # type: ignore[union-attr]
    assert rules.rule("plugins", "hudson.tasks.Shell").get("field") == "command"  # type: ignore[union-attr]
    assert rules.rule("options", "timestamps").waive  # type: ignore[union-attr]


def test_unknown_step_is_a_placeholder_with_did_you_mean_and_a_fallback_task() -> None:
    conv = convert_job(job(stage("Build", step("shh", "make"))))
    assert conv.status == "jenkins_only"
    [entry] = conv.placeholders
    assert "Did you mean 'sh'?" in entry.reason
    assert str(entry.span) == "Jenkinsfile:1:1"
    callables = sorted(t.spec.callable for t in conv.tasks if t.spec.type == "python")
    assert callables == ["jenkins2flow_runtime.fallback:not_converted", "jenkins2flow_runtime.fallback:run_jenkins_job"]
    [task] = conv.pipeline.tasks  # type: ignore[union-attr]
    assert task.bindings == {"jenkins_job": "team/etl", "jenkins_parameters": {}}
    [draft] = conv.pipeline.draft_tasks  # type: ignore[union-attr]
    assert draft.bindings["element"] == "step shh" and draft.bindings["at"] == "Jenkinsfile:1:1"


def test_did_you_mean() -> None:
    assert did_you_mean("withCredential", ["withCredentials", "sh"]) == " Did you mean 'withCredentials'?"
    assert did_you_mean("zzz", ["sh"]) == ""


def test_user_mappings_add_a_shared_library_step(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "steps:\n  deployTable: {handler: command, template: 'python -m wh.deploy {table}', shell: sh}\n"
        "  notifyTeam: {waive: 'our chat bot is CI-side'}\n", encoding="utf-8")
    rules = load_rules([tmp_path], handlers=HANDLERS)
    conv = convert_job(job(stage("Deploy", step("deployTable", table="sales"), step("notifyTeam"))), rules)
    assert conv.status == "converted"
    assert conv.tasks[0].spec.command == "python -m wh.deploy sales"
    assert any(e.outcome == "waived" and e.reason == "our chat bot is CI-side" for e in conv.ledger)


def test_unknown_handler_in_user_mappings_says_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("steps:\n  foo: {handler: shel}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="Did you mean 'shell'"):
        load_rules([tmp_path], handlers=HANDLERS)


def test_unknown_registry_says_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("step:\n  foo: {handler: shell}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="Did you mean 'steps'"):
        load_rules([tmp_path], handlers=HANDLERS)


def my_hook(node, ctx, scope, rule) -> None:  # type: ignore[no-untyped-def]
    ctx.emit("hook", {"type": "shell", "command": f"echo hooked {node.name}", "shell": "sh"}, scope)


def test_python_hook_rule(tmp_path: Path) -> None:
    (tmp_path / "hook.yaml").write_text("steps:\n  magic: {hook: 'tests.convert.test_rules:my_hook'}\n",
                                        encoding="utf-8")
    rules = load_rules([tmp_path], handlers=HANDLERS)
    conv = convert_job(job(stage("S", step("magic"))), rules)
    assert conv.tasks[0].spec.command == "echo hooked magic"
    assert conv.status == "converted"


def test_hook_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hook.yaml").write_text("steps:\n  magic: {hook: 'tests.convert.test_rules:my_hok'}\n",
                                        encoding="utf-8")
    with pytest.raises(UsageError, match="Did you mean 'my_hook'"):
        load_rules([tmp_path], handlers=HANDLERS)


def test_identical_steps_across_jobs_share_one_content_named_task() -> None:
    a = convert_job(job(stage("Load", sh("python load.py --all")), name="a"))
    b = convert_job(job(stage("Other", sh("python load.py --all")), name="folder/b"))
    assert a.tasks[0].name == b.tasks[0].name
    assert a.tasks[0].name.startswith("sh.python-load.py-all-")

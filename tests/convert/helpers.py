"""Hand-built IR for converter tests."""

from __future__ import annotations

from typing import Any

from jenkins2flow.ir import Job, Span, Stage, Step

SPAN = Span("Jenkinsfile", 1, 1)


def sp(line: int) -> Span:
    return Span("Jenkinsfile", line, 1)


def sh(script: Any, line: int = 1, name: str = "sh") -> Step:
    return Step(name, sp(line), args=(script,))


def step(name: str, *args: Any, line: int = 1, body: tuple[Step, ...] | None = None, **kwargs: Any) -> Step:
    return Step(name, sp(line), args=args, kwargs=tuple(kwargs.items()), body=body)


def stage(name: str, *steps: Step, line: int = 1, **kw: Any) -> Stage:
    return Stage(name, sp(line), steps=steps, **kw)


def job(*stages: Stage, name: str = "team/etl", **kw: Any) -> Job:
    kw.setdefault("flavor", "declarative")
    return Job(full_name=name, kind="pipeline", span=SPAN, stages=stages, **kw)


def work(conv: Any) -> list[Any]:
    """The converted tasks of a conversion: its tasks, or its draft when the job runs on Jenkins (jenkins_only)."""
    return list(conv.pipeline.draft_tasks if conv.status == "jenkins_only" else conv.pipeline.tasks)


OWN_PROVIDED = {"provided": "the test's Jenkinsfile needs no file of its repository"}


def own_provided(rules: Any = None) -> Any:
    """`rules` (default: the default rules) plus `scm.own.provided`: for a test about something else than the
    implicit checkout of a declarative Jenkinsfile's own repository (convert.checkout), which is otherwise flagged."""
    from jenkins2flow.convert.job import default_rules
    from jenkins2flow.convert.rules import Rules, deep_merge

    base = rules or default_rules()
    tables = {**base.tables, "scm": deep_merge(base.tables["scm"], {"own": OWN_PROVIDED})}
    return Rules(tables=tables, origins=[*base.origins, "tests/convert/helpers.py"])

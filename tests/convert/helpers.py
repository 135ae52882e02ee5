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

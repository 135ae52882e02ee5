"""Orchestration jobs: MultiJob phases and Build Flow DSL scripts become trigger tasks of converted pipelines.

Both kinds only start other jobs, so each `build` of a job becomes an `airflow.trigger-pipeline` task that waits for
the triggered pipeline; phases and `parallel` fan out, sequences chain, and continuation conditions become the next
task's trigger rule. A MultiJob's phases are builders (handlers.multijob); a Build Flow's DSL converts here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.handlers.downstream import trigger_task
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Closure, Expr, GString, Job, Span, Step

MULTIJOB = "com.tikal.jenkins.plugins.multijob.MultiJobProject"
BUILDFLOW = "com.cloudbees.plugins.flow.BuildFlow"
ORCHESTRATION = {MULTIJOB: "multijob", BUILDFLOW: "buildflow"}
# Build Flow ignore(Result): failures at or better than the result do not stop the flow
IGNORED = {"UNSTABLE": "all_success", "FAILURE": "all_done", "ABORTED": "all_done"}


def buildflow(job: Job, dsl: str, ctx: Ctx, scope: Scope) -> None:
    """Convert a Build Flow job's `dsl` script; statements other than the flow's own verbs become placeholders."""
    from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
    from jenkins2flow.sources.limits import check_steps

    if not dsl.strip():
        return
    path = job.source or job.span.path
    parsed = check_steps(parse_jenkinsfile(dsl, path, job.full_name))
    lines = dsl.splitlines()
    offset = max(job.span.line, 1)  # dsl spans are relative to the script; report them inside the config.xml

    def src(step: Step) -> str:
        return "\n".join(lines[max(step.span.line - 1, 0):max(step.span.end_line, step.span.line)])

    def at(step: Step) -> Span:
        return Span(job.span.path, offset, 1) if not step.span.line else replace(step.span, path=job.span.path)

    for d in parsed.diagnostics:
        ctx.note(f"Build Flow DSL: {d.message}", job.span, "warning" if d.level == "error" else d.level)
    problems = _problems(parsed.steps)
    if problems or parsed.diagnostics:
        # the flow's Groovy decides what runs: one fallback runs the whole flow in Jenkins (never part of it twice)
        what = ", ".join(f"line {line}: {name}" for line, name in problems[:8]) or "the script could not be read"
        ctx.placeholder("flow dsl", Span(job.span.path, offset, 1), f"the Build Flow script uses Groovy other than "
                        f"build, parallel, retry, guard/rescue and ignore ({what})", scope, key="flow:dsl",
                        source=dsl)
        return
    _Flow(ctx, src, at).walk(parsed.steps, replace(scope, stage=scope.stage or "flow"))


FLOW_VERBS = {"build", "parallel", "retry", "guard", "rescue", "ignore"}


def _problems(steps: tuple[Step, ...] | list[Step]) -> list[tuple[int, str]]:
    """Statements the flow converter cannot express, as (line, what), depth first."""
    out: list[tuple[int, str]] = []
    for step in steps:
        if step.name not in FLOW_VERBS:
            out.append((step.span.line, step.name))
        elif step.name == "build":
            job = step.args[0] if step.args else step.kwarg("job")
            if not isinstance(job, str) or isinstance(job, GString) or not job:
                out.append((step.span.line, "build of a computed job name"))
        elif step.name == "parallel":
            bodies = [a.body for a in step.args if isinstance(a, Closure)]
            bodies += [v.body for a in step.args if isinstance(a, dict) for v in a.values() if isinstance(v, Closure)]
            bodies += [v.body for _, v in step.kwargs if isinstance(v, Closure)]
            dynamic = [a for a in step.args if not isinstance(a, Closure | dict)]
            dynamic += [a for a in step.args if isinstance(a, dict) and not all(isinstance(v, Closure)
                                                                                for v in a.values())]
            dynamic += [v for _, v in step.kwargs if not isinstance(v, Closure)]
            if dynamic or not bodies:
                out.append((step.span.line, "parallel over branches built by Groovy"))
            for body in bodies:
                out += _problems(body)
        elif step.body is None:
            out.append((step.span.line, f"{step.name} without a block"))
        else:
            out += _problems(step.body)
    return out


class _Flow:
    def __init__(self, ctx: Ctx, src: Any, at: Any) -> None:
        self.ctx, self.src, self.at = ctx, src, at

    def walk(self, steps: tuple[Step, ...] | list[Step], scope: Scope) -> None:
        steps = list(steps)
        i = 0
        while i < len(steps):
            step = steps[i]
            rescue = steps[i + 1] if step.name == "guard" and i + 1 < len(steps) else None
            if rescue is not None and rescue.name == "rescue":
                self.guard(step, rescue, scope)
                i += 2
                continue
            self.step(step, scope)
            i += 1

    def step(self, step: Step, scope: Scope) -> None:
        ctx = self.ctx
        if step.name == "build":
            self.build(step, scope)
        elif step.name == "parallel":
            self.parallel(step, scope)
        elif step.name == "retry" and step.body is not None:
            try:
                count = int(text(step.args[0])) if step.args else 1
            except ValueError:
                count = 1
            ctx.mapped("flow retry", self.at(step), "retry", f"{count} attempts -> retries {max(count - 1, 0)}")
            self.walk(step.body, replace(scope, retries=max(count - 1, 0)))
        elif step.name in ("guard", "rescue") and step.body is not None:
            ctx.mapped(f"flow {step.name}", self.at(step), step.name, "its body runs in sequence")
            self.walk(step.body, scope)
        elif step.name == "ignore" and step.body is not None:
            result = text(step.args[0].text if step.args and isinstance(step.args[0], Expr) else
                          (step.args[0] if step.args else "FAILURE")).rsplit(".", 1)[-1].upper()
            rule = IGNORED.get(result, "all_done")
            self.walk(step.body, scope)
            ctx.pending_rule = "" if rule == "all_success" else rule
            ctx.mapped("flow ignore", self.at(step), "ignore", f"results up to {result} do not stop the flow ({rule})")
        else:
            ctx.placeholder(f"flow statement {step.name}", self.at(step), "Build Flow Groovy other than build, "
                            "parallel, retry, guard/rescue and ignore is not converted", scope, key=f"flow:{step.name}",
                            source=self.src(step))

    def build(self, step: Step, scope: Scope) -> None:
        job = text(step.args[0] if step.args else step.kwarg("job"))
        conf: dict[str, Any] = {}
        for k, v in step.kwargs:
            if isinstance(v, str | int | float | bool) and not isinstance(v, GString):
                conf[str(k)] = v
            else:
                self.ctx.approximated(f"flow build {job} parameter {k}", self.at(step), f"the value is computed by "
                                      f"Groovy ({self.src(step).strip()!r}): the pipeline is triggered without it "
                                      "(pass it in the trigger's conf by hand)", "flow:build")
        trigger_task(self.ctx, scope, job, conf, True, step.span)
        self.ctx.mapped("flow build", self.at(step), "build", f"waits for pipeline of job {job!r}")

    def parallel(self, step: Step, scope: Scope) -> None:
        ctx = self.ctx
        branches: list[tuple[str, tuple[Step, ...]]] = []
        for n, a in enumerate(step.args, 1):
            if isinstance(a, Closure):
                branches.append((f"branch{n}", a.body))
            elif isinstance(a, dict):
                branches += [(text(k), v.body) for k, v in a.items() if isinstance(v, Closure)]
        branches += [(text(k), v.body) for k, v in step.kwargs if isinstance(v, Closure)]
        ctx.mapped("flow parallel", self.at(step), "parallel", f"{len(branches)} branches fan out")
        rule_in, start, ends = ctx.pending_rule, list(ctx.frontier), []
        for name, body in branches:
            ctx.frontier, ctx.pending_rule = list(start), rule_in
            self.walk(body, replace(scope, stage=f"{scope.stage}_{name}" if scope.stage else name))
            ends += [t for t in ctx.frontier if t not in ends]
        ctx.frontier = ends

    def guard(self, guard: Step, rescue: Step, scope: Scope) -> None:
        ctx = self.ctx
        ctx.mapped("flow guard/rescue", self.at(guard), "guard", "the rescue block runs whatever the guarded block's "
                   "result (all_done); a failure in the guarded block does not fail the run after a successful rescue")
        self.walk(guard.body or (), scope)
        ctx.pending_rule = "all_done"
        self.walk(rescue.body or (), scope)

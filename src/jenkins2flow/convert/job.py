"""Convert one IR job into catalog documents: a parameter template, concrete tasks and a pipeline."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.naming import safe_name, task_id
from jenkins2flow.convert.shell import SHELL_STEPS, script_arg, to_shell
from jenkins2flow.ir import Diagnostic, GString, Job, Param, Span, Stage, Step
from jenkins2flow.schedule.cron import CronError, resolve
from jenkins2flow_runtime import model

PARAM_TYPES = {"string": "string", "text": "text", "boolean": "boolean", "choice": "choice", "password": "password"}
NOTIFY_STEPS = {"mail": "email", "emailext": "email", "slackSend": "slack"}
POST_TO_NOTIFY = {"failure": "failure", "success": "success", "always": "always", "unsuccessful": "failure"}


def convert_job(job: Job) -> Conversion:
    """Convert `job`; never raises for content problems: they become diagnostics and lower the status."""
    name = safe_name(job.full_name)
    conv = Conversion(job=job.full_name, pipeline_name=name)
    conv.diagnostics.extend(job.diagnostics)
    if conv.errors:
        conv.status = "failed"
        return conv

    template_refs = _parameters(job, name, conv)
    pipeline_tasks = list(_stage_tasks(job, name, conv))
    if not pipeline_tasks:
        conv.diagnostics.append(Diagnostic("error", "The job has no step that could be converted.", job.span))
        conv.status = "unsupported"
        return conv

    conv.pipeline = model.PipelineSpec(
        description=job.description or f"Converted from Jenkins job {job.full_name!r}.",
        schedule=_schedule(job, conv),
        parameters=model.PipelineParameters(templates=template_refs),
        tasks=pipeline_tasks,
        notifications=_notifications(job),
        tags=["jenkins2flow"],
        provenance=model.Provenance(
            job=job.full_name,
            source=job.source or job.span.path,
            config_sha256=hashlib.sha256(job.script.encode("utf-8")).hexdigest() if job.script else "",
            diagnostics=[str(d) for d in conv.diagnostics],
        ),
    )
    if any(d.level == "warning" for d in conv.diagnostics):
        conv.status = "partial"
    return conv


def _parameters(job: Job, name: str, conv: Conversion) -> list[model.Ref]:
    if not job.parameters:
        return []
    specs = [_param(p, conv) for p in job.parameters]
    doc = model.make("parameter_template", f"{name}.params", {"parameters": [s.model_dump() for s in specs]})
    conv.templates.append(doc)
    return [model.Ref(kind="parameter_template", name=doc.name, version=0)]


def _param(p: Param, conv: Conversion) -> model.ParamSpec:
    kind = PARAM_TYPES.get(p.type)
    if kind is None:
        conv.diagnostics.append(Diagnostic("warning", f"Parameter type {p.type!r} is kept as a string.", p.span))
        kind = "string"
    default = p.default.text if isinstance(p.default, GString) else p.default
    if kind == "password":
        default = None  # never copy a secret's value
    if kind == "boolean" and isinstance(default, str):
        default = default.strip().lower() == "true"
    if kind == "choice" and default is None and p.choices:
        default = p.choices[0]
    return model.ParamSpec(name=p.name, type=kind, default=default, choices=list(p.choices), description=p.description)


def _walk_sequential(stages: tuple[Stage, ...]) -> Iterator[Stage]:
    for stage in stages:
        if stage.stages:
            yield from _walk_sequential(stage.stages)
        else:
            yield stage


def _stage_tasks(job: Job, name: str, conv: Conversion) -> Iterator[model.PipelineTask]:
    previous: list[str] = []
    used: set[str] = set()
    for stage in _walk_sequential(job.stages):
        if stage.parallel or stage.matrix is not None:
            conv.diagnostics.append(
                Diagnostic("warning", f"Stage {stage.name!r}: parallel and matrix are not converted yet.", stage.span)
            )
            continue
        shell_steps = [s for s in _flat_steps(stage.steps, conv) if s.name in SHELL_STEPS]
        for index, step in enumerate(shell_steps, start=1):
            tid = task_id(stage.name) + (f"_{index}" if len(shell_steps) > 1 else "")
            while tid in used:
                tid += "_"
            used.add(tid)
            task = _shell_task(step, f"{name}.{tid}", conv)
            conv.tasks.append(task)
            yield model.PipelineTask(
                id=tid,
                uses=model.Ref(kind="concrete_task", name=task.name, version=0),
                depends_on=list(previous),
            )
            previous = [tid]


def _flat_steps(steps: tuple[Step, ...], conv: Conversion) -> Iterator[Step]:
    for step in steps:
        if step.name in SHELL_STEPS:
            yield step
        elif step.name == "script" and step.body is not None:
            yield from _flat_steps(step.body, conv)
        else:
            conv.diagnostics.append(
                Diagnostic("warning", f"Step {step.name!r} is not converted yet; it is left out.", step.span)
            )


def _shell_task(step: Step, task_name: str, conv: Conversion) -> model.Document:
    script, unresolved = to_shell(script_arg(step))
    for expr in unresolved:
        conv.diagnostics.append(
            Diagnostic("warning", f"Groovy expression ${{{expr}}} cannot be evaluated outside Jenkins.", step.span)
        )
    spec = {"type": "shell", "command": script, "shell": SHELL_STEPS[step.name]}
    return model.make("concrete_task", task_name, spec)


def _schedule(job: Job, conv: Conversion) -> model.Schedule | None:
    specs = [t for t in job.triggers if t.kind == "cron" and t.spec.strip()]
    if not specs:
        return None
    text = "\n".join(t.spec for t in specs)
    try:
        resolved = resolve(text, job.full_name)
    except CronError as exc:
        span = specs[0].span
        conv.diagnostics.append(
            Diagnostic("warning", f"Cron spec {text!r}: {exc}", Span(span.path, span.line + exc.line - 1, span.col))
        )
        return None
    return model.Schedule(
        cron=resolved.cron, timezone=resolved.timezone, jenkins_spec=text, and_dom_dow=resolved.and_dom_dow
    )


def _notifications(job: Job) -> list[model.Notification]:
    out: list[model.Notification] = []
    for block in job.post:
        on = POST_TO_NOTIFY.get(block.condition)
        for step in block.steps:
            channel = NOTIFY_STEPS.get(step.name)
            if channel is None or on is None:
                continue
            to = step.kwarg("to") or step.kwarg("channel") or ""
            subject = step.kwarg("subject") or ""
            out.append(
                model.Notification(
                    on=on,  # type: ignore[arg-type]
                    channel=channel,  # type: ignore[arg-type]
                    to=[t.strip() for t in _text(to).split(",") if t.strip()],
                    subject=_text(subject),
                )
            )
    return out


def _text(value: object) -> str:
    if isinstance(value, GString):
        return value.text
    return value if isinstance(value, str) else ""

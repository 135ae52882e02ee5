"""Pipelines whose Jenkinsfile lives in SCM (flow-definition with CpsScmFlowDefinition, multibranch projects).

With `--workspace DIR` (the jobs' source checkout) the Jenkinsfile at `DIR/<scriptPath>` is read and merged with
the job's config.xml: the job keeps its full name, description, SCM, properties, wrappers, publishers and unknown
elements; parameters from both are kept (the Jenkinsfile's win on a name clash, as `properties([...])` does in
Jenkins), and triggers from both (a trigger in both is converted once: convert.triggers.merge).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from jenkins2flow.ir import Diagnostic, Job

DEFAULT_SCRIPT = "Jenkinsfile"
MAX_BYTES = 2_000_000
WORKSPACE_HINT = "convert with --workspace DIR (the repository checkout holding {path!r}) to convert the Jenkinsfile"


def script_in_scm(job: Job) -> str | None:
    """The Jenkinsfile path of a job whose script lives in SCM, or None when the job carries its own steps."""
    if job.script or job.stages or job.steps:
        return None
    if job.kind == "multibranch":
        return (job.scm.script_path if job.scm is not None else "") or DEFAULT_SCRIPT
    if job.kind == "pipeline" and job.scm is not None and job.scm.script_path:
        return job.scm.script_path
    return None


def load(job: Job, script_path: str, workspace: Path) -> tuple[Job | None, str]:
    """(the job with the Jenkinsfile's pipeline, "") or (None, why it stays with Jenkins). Never raises."""
    from jenkins2flow.sources.files import read_jenkinsfile

    root = workspace.resolve()
    target = (root / script_path).resolve()
    if not target.is_relative_to(root):
        return None, f"the script path {script_path!r} leads outside the workspace {str(workspace)!r}: refused"
    if not target.is_file():
        return None, f"{script_path!r} is not a file in the workspace {str(workspace)!r}: check --workspace"
    try:
        data = target.read_bytes()[:MAX_BYTES + 1]
    except OSError as exc:
        return None, f"{str(target)!r} could not be read ({exc.strerror or exc})"
    if len(data) > MAX_BYTES:
        return None, f"{str(target)!r} is larger than {MAX_BYTES} bytes"
    parsed = read_jenkinsfile(data, str(target), job.full_name)  # encodings checked, the step limit applied
    errors = [d for d in parsed.diagnostics if d.level == "error"]
    if errors:
        return None, f"the Jenkinsfile {str(target)!r} could not be parsed: {errors[0]}"
    return merge(job, parsed, str(target)), ""


def merge(job: Job, jenkinsfile: Job, path: str) -> Job:
    """The Jenkinsfile's pipeline under the config.xml job's identity, parameters and triggers merged."""
    names = {p.name for p in jenkinsfile.parameters}
    params = tuple(p for p in job.parameters if p.name not in names) + jenkinsfile.parameters
    triggers = job.triggers + jenkinsfile.triggers  # the same trigger in both is merged by convert.triggers.merge
    note = Diagnostic("info", f"The pipeline is converted from the Jenkinsfile {path!r} in the workspace.", job.span,
                      "jenkinsfile-from-scm")
    # Everything else the config.xml says stays too (properties such as the build discarder, throttling or
    # disabled concurrent builds, wrappers, publishers, unknown elements), so nothing is dropped on the way.
    return replace(jenkinsfile, full_name=job.full_name, name_guessed=job.name_guessed, kind="pipeline",
                   source=job.source or job.span.path, root_tag=job.root_tag,
                   description=job.description or jenkinsfile.description, scm=job.scm, parameters=params,
                   triggers=triggers, disabled=job.disabled or jenkinsfile.disabled,
                   properties=job.properties + jenkinsfile.properties, wrappers=job.wrappers + jenkinsfile.wrappers,
                   publishers=job.publishers + jenkinsfile.publishers,
                   concurrent_build=job.concurrent_build and jenkinsfile.concurrent_build,
                   quiet_period=job.quiet_period if job.quiet_period is not None else jenkinsfile.quiet_period,
                   assigned_node=job.assigned_node or jenkinsfile.assigned_node, settings=job.settings,
                   unknown=job.unknown + jenkinsfile.unknown,
                   diagnostics=job.diagnostics + jenkinsfile.diagnostics + (note,))

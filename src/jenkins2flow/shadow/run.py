"""One shadow run, start to end: load the pipeline, get the Jenkins baseline (and an optional second one for noise),
run the Airflow candidate with the same parameters in shadow mode, compare every declared output, store the result.

`run_shadow` never raises for things that can go wrong in the field (Jenkins or Airflow down, timeouts, missing
builds or artifacts): it returns a result whose verdict is `error` and whose reason says what happened.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from jenkins2flow_runtime.antglob import AntGlob
from jenkins2flow_runtime.model.shadow import ArtifactsOutput, ShadowConfig, shadow_config
from pydantic import ValidationError

from jenkins2flow.shadow.baseline import LiveJenkins, recorded_baseline
from jenkins2flow.shadow.candidate import LocalAirflow, RestAirflow, local_env
from jenkins2flow.shadow.compare import compare_all
from jenkins2flow.shadow.errors import CannotRun
from jenkins2flow.shadow.outcome import ShadowResult, SideRun, decide
from jenkins2flow.shadow.results import ResultsStore

AUTO_KINDS = {".csv": "csv", ".json": "json"}


@dataclass(slots=True)
class ShadowRequest:
    pipeline: str
    store: str
    job: str = ""  # Jenkins job full name; default: the pipeline's provenance, else the pipeline name
    params: dict[str, Any] = field(default_factory=dict)  # overrides; a recorded build brings its own
    # baseline: a recorded build under a JENKINS_HOME, or a live Jenkins (triggered, or an existing build)
    jenkins_home: Path | None = None
    build: str | None = None  # number or permalink; live: an existing build number instead of triggering
    noise_build: str | None = None  # a second Jenkins run measuring Jenkins' own noise ("trigger" on live Jenkins)
    jenkins_url: str = ""
    jenkins_user: str | None = None
    jenkins_token: str | None = None
    # candidate: Airflow REST API, else a local dag.test() run
    airflow_url: str = ""
    airflow_user: str | None = None
    airflow_password: str | None = None
    airflow_token: str | None = None
    candidate_workspace_root: Path | None = None
    state_dir: Path = Path(".jenkins2flow")
    outputs_file: Path | None = None  # YAML/JSON list of shadow outputs, instead of the pipeline's
    timeout: float = 1800
    poll: float = 2.0
    save: bool = True
    run_id: str = ""


def new_run_id(pipeline: str) -> str:
    return f"shadow-{pipeline}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def load_pipeline(store: str, name: str) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """The pipeline's shadow_outputs, Jenkins job name and parameter defaults, from the published version."""
    from jenkins2flow_runtime.store import NotFoundError, StoreMissing, open_store

    try:
        with open_store(store) as st:
            doc = st.get("pipeline", name, "published")
            spec: Any = doc.spec
            defaults: dict[str, Any] = {}
            for ref in spec.parameters.templates:
                template: Any = st.get("parameter_template", ref.name, ref.version or "latest").spec
                for p in template.parameters:
                    defaults[p.name] = p.default
            for p in spec.parameters.overrides:
                defaults[p.name] = p.default
            return list(spec.shadow_outputs), spec.provenance.job or name, defaults
    except NotFoundError as exc:
        raise CannotRun(f"No published pipeline {name!r} in the store {store}: {exc}") from exc
    except StoreMissing as exc:
        raise CannotRun(str(exc)) from exc


def read_outputs_file(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CannotRun(f"{path}: cannot read the shadow outputs: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("shadow_outputs", data.get("outputs"))
    if not isinstance(data, list):
        raise CannotRun(f"{path}:1:1: expected a list of shadow outputs (or a mapping with `shadow_outputs`).")
    return data


def config_for(entries: list[dict[str, Any]], source: str) -> ShadowConfig:
    try:
        return shadow_config(entries)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise CannotRun(f"{source}: invalid shadow_outputs: {problems}") from exc


def with_auto_outputs(config: ShadowConfig, baseline: SideRun) -> ShadowConfig:
    """Expand `artifacts` entries into one comparison per archived file of the baseline, kind by extension.

    With no file, SQL, S3 or log output declared at all, every archived artifact is compared.
    """
    files = _archived(baseline)
    declared = [o for o in config.outputs if o.kind != "status"]
    if not declared:
        extra = [{"kind": AUTO_KINDS.get(Path(rel).suffix.lower(), "text"), "path": rel} for rel in files]
        return ShadowConfig(outputs=list(config.outputs) + list(shadow_config(extra).outputs[1:]),
                            defaults=config.defaults)
    explicit = {o.path for o in declared if o.kind in ("csv", "json", "text")}
    outputs: list[Any] = []
    for output in config.outputs:
        if not isinstance(output, ArtifactsOutput):
            outputs.append(output)
            continue
        glob = AntGlob(tuple(output.patterns()))
        matched = [rel for rel in files if rel not in explicit and glob.matches(rel)]
        if not matched:  # keep one entry so a missing artifact is reported, not silently dropped
            matched = output.patterns()
        for rel in matched:
            entry = {"kind": AUTO_KINDS.get(Path(rel).suffix.lower(), "text"), "path": rel,
                     "required": output.required,
                     "normalizers": output.normalizers.model_dump(by_alias=True, exclude_unset=True)}
            outputs.extend(shadow_config([entry]).outputs[1:])
    return ShadowConfig(outputs=outputs, defaults=config.defaults)


def _archived(baseline: SideRun) -> list[str]:
    if not baseline.files_root:
        return []
    root = Path(baseline.files_root)
    return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]


def get_baseline(req: ShadowRequest, job: str, params: dict[str, Any], which: str | None, side: str) -> SideRun:
    if req.jenkins_home is not None:
        return recorded_baseline(req.jenkins_home, job, which, side=side)
    if req.jenkins_url:
        live = LiveJenkins(req.jenkins_url, req.jenkins_user, req.jenkins_token, timeout=req.timeout, poll=req.poll)
        number = int(which) if which and which.isdigit() else None
        return live.baseline(job, params, number, side=side, workdir=req.state_dir.resolve() / "shadow-jenkins")
    raise CannotRun("No Jenkins baseline: give --jenkins-home DIR (a recorded build) or --jenkins-url URL.")


def get_candidate(req: ShadowRequest, params: dict[str, Any]) -> SideRun:
    if req.airflow_url:
        rest = RestAirflow(req.airflow_url, username=req.airflow_user, password=req.airflow_password,
                           token=req.airflow_token, workspace_root=req.candidate_workspace_root,
                           timeout=req.timeout, poll=req.poll)
        return rest.run(req.pipeline, params)
    return LocalAirflow(local_env(req.state_dir, req.store), timeout=req.timeout).run(req.pipeline, params)


PHASES = ("reading the pipeline", "Jenkins baseline", "Jenkins noise baseline", "Airflow candidate",
          "comparing outputs", "storing the result")


def run_shadow(req: ShadowRequest, on_phase: Callable[[str], None] | None = None) -> ShadowResult:
    """Run both sides and compare; `on_phase` is told each phase of PHASES as it starts (one that does not apply,
    a noise baseline nobody asked for, is passed over)."""
    phase = on_phase or (lambda _: None)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    result = ShadowResult(run_id=req.run_id or new_run_id(req.pipeline), pipeline=req.pipeline, verdict="error",
                          started_at=started)
    try:
        phase(PHASES[0])
        declared, job, defaults = load_pipeline(req.store, req.pipeline)
        if req.outputs_file is not None:
            declared = read_outputs_file(req.outputs_file)
        config = config_for(declared, str(req.outputs_file or f"pipeline {req.pipeline!r}"))
        params = {**{k: v for k, v in defaults.items() if v is not None}, **req.params}
        job = req.job or job
        phase(PHASES[1])
        result.baseline = get_baseline(req, job, params, req.build, "baseline")
        if req.jenkins_home is not None:  # a recorded build ran with its own parameters: replay exactly those
            params = {**result.baseline.params, **req.params}
        if req.noise_build:
            phase(PHASES[2])
            which = None if req.noise_build == "trigger" else req.noise_build
            result.noise_baseline = get_baseline(req, job, params, which, "noise")
        phase(PHASES[3])
        result.candidate = get_candidate(req, params)
        phase(PHASES[4])
        config = with_auto_outputs(config, result.baseline)
        result.outputs = compare_all(config, result.baseline, result.candidate, result.noise_baseline)
        result.verdict, result.reason = decide(result.outputs)
    except CannotRun as exc:
        result.verdict, result.reason = "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - a shadow run reports, it does not crash CI with a traceback
        result.verdict, result.reason = "error", f"Unexpected {type(exc).__name__}: {exc}"
    result.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    if req.save:
        phase(PHASES[5])
        try:
            with ResultsStore(req.store, create=True) as results:
                results.save(result)
        except Exception as exc:  # noqa: BLE001
            if str(exc) != result.reason:  # a missing catalog is said once
                result.reason += f" (the result could not be stored: {exc})"
    return result

"""The baseline side of a shadow run: a Jenkins build, recorded under a JENKINS_HOME or run on a live Jenkins.

The recorded-build reader here is a small one of our own (build.xml, log, archive/, permalinks, flowNodeStore
stages) because `jenkins2flow.sources` had not landed when the shadow harness was written; it returns the shared
`ir.builds.Build`, so swapping in the sources reader changes only `read_recorded_build`.
"""

from __future__ import annotations

import gzip
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jenkins2flow.ir.builds import Artifact, Build, StageResult
from jenkins2flow.parse.job_xml import safe_fromstring
from jenkins2flow.shadow.compare.status import status_of
from jenkins2flow.shadow.errors import CannotRun
from jenkins2flow.shadow.outcome import SideRun

CONSOLE_NOTE = re.compile(r"\x1b\[8mha:[^\x1b]*\x1b\[0m")
STAGE_STEP = "org.jenkinsci.plugins.workflow.support.steps.StageStep"
PERMALINKS = ("lastSuccessfulBuild", "lastStableBuild", "lastCompletedBuild", "lastBuild", "lastFailedBuild",
              "lastUnstableBuild", "lastUnsuccessfulBuild")


# ---- recorded builds -------------------------------------------------------------------------------------------


def job_dir(home: Path, job: str) -> Path:
    """jobs/a/jobs/b/jobs/c for the full name a/b/c."""
    path = home
    for part in job.split("/"):
        path = path / "jobs" / part
    return path


def resolve_build_number(jdir: Path, build: str | int | None) -> int:
    """A build number, or a permalink name (default lastSuccessfulBuild) resolved from builds/permalinks."""
    ref = "lastSuccessfulBuild" if build in (None, "") else str(build)
    if ref.isdigit():
        return int(ref)
    if ref not in PERMALINKS:
        raise CannotRun(f"{ref!r} is neither a build number nor a permalink ({', '.join(PERMALINKS)}).")
    links: dict[str, int] = {}
    permalinks = jdir / "builds" / "permalinks"
    if permalinks.is_file():
        for line in permalinks.read_text(encoding="utf-8").splitlines():
            name, _, number = line.partition(" ")
            if number.strip().lstrip("-").isdigit():
                links[name] = int(number)
    legacy = jdir / "builds" / ref
    if ref not in links and legacy.is_symlink():  # before Jenkins 2.185
        target = legacy.readlink().name
        links[ref] = int(target) if target.lstrip("-").isdigit() else -1
    number = links.get(ref, -1)
    if number < 0:
        raise CannotRun(f"{jdir}: the job has no {ref} (builds/permalinks says {number}).")
    return number


def _text(el: Any, path: str, default: str = "") -> str:
    found = el.find(path)
    return found.text.strip() if found is not None and found.text else default


def read_log(bdir: Path) -> str | None:
    for name, opener in (("log", open), ("log.gz", gzip.open)):
        path = bdir / name
        if path.is_file():
            with opener(path, "rt", encoding="utf-8", errors="replace") as f:  # type: ignore[operator]
                return CONSOLE_NOTE.sub("", f.read())
    return None


def read_stages(bdir: Path, result: str | None) -> tuple[StageResult, ...]:
    """Stages from workflow-completed/flowNodeStore.xml (or workflow/*.xml): StageStep start nodes with their name,
    FAILURE when their end node carries an ErrorAction, SKIPPED when tagged STAGE_STATUS SKIPPED_*."""
    files = [bdir / "workflow-completed" / "flowNodeStore.xml"]
    if not files[0].is_file():
        files = sorted((bdir / "workflow").glob("*.xml"))
    tags: list[Any] = []
    for f in files:
        if not f.is_file():
            continue
        root, _ = safe_fromstring(f.read_bytes(), str(f))
        if root is None:
            continue
        tags += [root] if root.tag == "Tag" else list(root.iter("Tag"))
    stages: dict[str, dict[str, Any]] = {}
    ends: dict[str, Any] = {}
    for tag in tags:
        node = tag.find("node")
        if node is None:
            continue
        nid = _text(node, "id")
        if "StepStartNode" in node.get("class", "") and _text(node, "descriptorId") == STAGE_STEP:
            name = ""
            for entry in tag.iter("entry"):
                kids = list(entry)
                if len(kids) == 2 and kids[0].text == "name":
                    name = kids[1].text or ""
            if name:
                start = _text(tag, ".//startTime")
                stages[nid] = {"name": name, "id": nid, "start": int(start) if start.isdigit() else None,
                               "skipped": any("SKIPPED" in (v.text or "") for v in tag.iter("string"))}
        elif "StepEndNode" in node.get("class", ""):
            ends[_text(node, "startId")] = tag
    out = []
    for nid, st in sorted(stages.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        # A stage's body start node (id+1) ends in its own end node; either end may carry the ErrorAction.
        end_tags = [t for k, t in ends.items() if k in (nid, str(int(nid) + 1) if nid.isdigit() else nid)]
        failed = any(t.find(".//wf.a.ErrorAction") is not None or t.find(".//ErrorAction") is not None
                     for t in end_tags)
        status = "SKIPPED" if st["skipped"] else "FAILURE" if failed else "SUCCESS" if end_tags else (
            "IN_PROGRESS" if result is None else "NOT_EXECUTED")
        out.append(StageResult(st["name"], status, id=nid, start_ms=st["start"]))
    return tuple(out)


def read_recorded_build(home: Path, job: str, build: str | int | None = None) -> Build:
    jdir = job_dir(home, job)
    if not (jdir / "config.xml").is_file():
        raise CannotRun(f"{jdir}: no job {job!r} under JENKINS_HOME {home} (jobs/<name>/config.xml is missing).")
    number = resolve_build_number(jdir, build)
    bdir = jdir / "builds" / str(number)
    build_xml = bdir / "build.xml"
    if not build_xml.is_file():
        raise CannotRun(f"{build_xml}: build {number} of {job!r} is not recorded.")
    root, notes = safe_fromstring(build_xml.read_bytes(), str(build_xml))
    if root is None:
        raise CannotRun(str(notes[0]) if notes else f"{build_xml}: unreadable.")
    params: list[tuple[str, Any]] = []
    for pa in root.iter("hudson.model.ParametersAction"):
        for value in pa.find("parameters") if pa.find("parameters") is not None else []:
            params.append((_text(value, "name"), _text(value, "value")))
    result = _text(root, "result") or None
    archive = bdir / "archive"
    artifacts = tuple(
        Artifact(p.relative_to(archive).as_posix(), p.stat().st_size, str(p))
        for p in sorted(archive.rglob("*")) if p.is_file()
    ) if archive.is_dir() else ()
    duration = _text(root, "duration")
    timestamp = _text(root, "timestamp") or _text(root, "startTime")
    return Build(
        job=job, number=number, result=result,
        timestamp_ms=int(timestamp) if timestamp.isdigit() else 0,
        duration_ms=int(duration) if duration.isdigit() else 0,
        built_on=_text(root, "builtOn"), parameters=tuple(params), artifacts=artifacts,
        stages=read_stages(bdir, result), log=read_log(bdir), source=str(bdir),
    )


# ---- Build -> SideRun ------------------------------------------------------------------------------------------


def side_from_build(build: Build, *, side: str, source: str, files_root: str, url: str = "") -> SideRun:
    started = datetime.fromtimestamp(build.timestamp_ms / 1000, UTC).isoformat() if build.timestamp_ms else ""
    return SideRun(
        side=side, source=source, id=f"{build.job}#{build.number}", status=status_of(build.result),
        raw_status=build.result or "", url=url or build.source,
        stages=[{"name": s.name, "status": status_of(s.status)} for s in build.stages],
        params={k: v for k, v in build.parameters}, files_root=files_root,
        run_tokens=[f"#{build.number}", f"jenkins-{build.job.replace('/', '-')}-{build.number}"],
        started_at=started, duration_s=build.duration_ms / 1000 if build.duration_ms else None, log=build.log or "",
    )


def recorded_baseline(home: Path, job: str, build: str | int | None, *, side: str = "baseline") -> SideRun:
    b = read_recorded_build(home.resolve(), job, build)
    archive = Path(b.source) / "archive"
    return side_from_build(b, side=side, source="jenkins-recorded", files_root=str(archive) if archive.is_dir() else "")


# ---- live Jenkins ----------------------------------------------------------------------------------------------


class LiveJenkins:
    """Trigger (or pick) a build through python-jenkins, wait for it within `timeout` seconds, fetch its outputs."""

    def __init__(self, url: str, username: str | None = None, password: str | None = None, *,
                 timeout: float = 3600, poll: float = 2.0, server: Any = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import jenkins

        self.url = url
        self.timeout = timeout
        self.poll = poll
        self.sleep = sleep
        self.server = server or jenkins.Jenkins(url, username=username, password=password, timeout=30)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import jenkins
        import requests

        try:
            return fn(*args, **kwargs)
        except (jenkins.JenkinsException, requests.RequestException, OSError, ValueError) as exc:
            raise CannotRun(f"Jenkins at {self.url} failed to {what}: {type(exc).__name__}: {exc}") from exc

    def _get(self, path: str) -> Any:
        import requests

        return self.server.jenkins_request(requests.Request("GET", self.url.rstrip("/") + "/" + path))

    def trigger(self, job: str, params: dict[str, Any]) -> int:
        """Queue a build and wait for it to leave the queue; its build number."""
        deadline = time.monotonic() + self.timeout
        # build_job(parameters={}) posts to /build, which a parameterized job rejects; None means "no parameters".
        queue_id = self._call("queue a build of " + repr(job), self.server.build_job, job, params or None)
        while True:
            item = self._call(f"read queue item {queue_id}", self.server.get_queue_item, queue_id)
            if item.get("cancelled"):
                raise CannotRun(f"Jenkins cancelled the queued build of {job!r} (queue item {queue_id}).")
            executable = item.get("executable") or {}
            if executable.get("number") is not None:
                return int(executable["number"])
            if time.monotonic() > deadline:
                why = item.get("why") or "no reason given"
                raise CannotRun(f"The build of {job!r} stayed queued for {self.timeout:g} s ({why}); gave up.")
            self.sleep(self.poll)

    def wait(self, job: str, number: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            info: dict[str, Any] = self._call(f"read build {job}#{number}", self.server.get_build_info, job, number)
            if not info.get("building") and info.get("result") is not None:
                return info
            if time.monotonic() > deadline:
                raise CannotRun(f"Build {job}#{number} was still running after {self.timeout:g} s; gave up.")
            self.sleep(self.poll)

    def fetch(self, job: str, number: int, info: dict[str, Any], dest: Path, *, side: str) -> SideRun:
        log = self._call(f"read the console of {job}#{number}", self.server.get_build_console_output, job, number)
        job_path = "/".join("job/" + quote(p) for p in job.split("/"))
        stages: list[StageResult] = []
        try:
            described = self._get(f"{job_path}/{number}/wfapi/describe").json()
            stages = [StageResult(s.get("name", ""), s.get("status", "")) for s in described.get("stages", [])]
        except Exception:  # noqa: BLE001, S110 - freestyle jobs and Jenkins without pipeline-stage-view have no wfapi
            stages = []
        dest.mkdir(parents=True, exist_ok=True)
        artifacts = []
        for art in info.get("artifacts", []):
            rel = art.get("relativePath", "")
            target = (dest / rel).resolve()
            if not rel or not target.is_relative_to(dest.resolve()):
                continue
            body = self._call(f"download artifact {rel!r}", self._get,
                              f"{job_path}/{number}/artifact/{quote(rel)}").content
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            artifacts.append(Artifact(rel, len(body), str(target)))
        params = []
        for action in info.get("actions", []) or []:
            for p in (action or {}).get("parameters", []) or []:
                params.append((p.get("name", ""), p.get("value")))
        build = Build(
            job=job, number=number, result=info.get("result"), timestamp_ms=int(info.get("timestamp") or 0),
            duration_ms=int(info.get("duration") or 0), parameters=tuple(params), artifacts=tuple(artifacts),
            stages=tuple(stages), log=CONSOLE_NOTE.sub("", log or ""), source=info.get("url", ""),
        )
        return side_from_build(build, side=side, source="jenkins-live", files_root=str(dest), url=info.get("url", ""))

    def baseline(self, job: str, params: dict[str, Any], build: int | None = None, *, side: str = "baseline",
                 workdir: Path | None = None) -> SideRun:
        number = build if build is not None else self.trigger(job, params)
        info = self.wait(job, number)
        dest = (workdir or Path(tempfile.mkdtemp(prefix="j2f-jenkins-"))) / f"{side}-{number}"
        return self.fetch(job, number, info, dest, side=side)

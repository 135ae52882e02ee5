"""The baseline side of a shadow run: a Jenkins build, recorded under a JENKINS_HOME or run on a live Jenkins.

Reading is `jenkins2flow.sources`' (recorded builds, live Jenkins through python-jenkins with retries); this module
picks the build (permalinks, triggering and waiting with a deadline), fetches its artifacts, and turns the shared
`ir.builds.Build` into a `SideRun`. Every failure becomes `CannotRun` with a sentence saying what happened.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jenkins2flow.ir.builds import Build
from jenkins2flow.shadow.compare.status import status_of
from jenkins2flow.shadow.errors import CannotRun
from jenkins2flow.shadow.outcome import SideRun
from jenkins2flow.sources.builds import read_build, read_permalinks
from jenkins2flow.sources.jenkins_home import job_directory
from jenkins2flow.sources.live import LiveError
from jenkins2flow.sources.live import LiveJenkins as SourceJenkins

PERMALINKS = ("lastSuccessfulBuild", "lastStableBuild", "lastCompletedBuild", "lastBuild", "lastFailedBuild",
              "lastUnstableBuild", "lastUnsuccessfulBuild")


# ---- recorded builds -------------------------------------------------------------------------------------------


def resolve_build_number(jdir: Path, build: str | int | None) -> int:
    """A build number, or a permalink name (default lastSuccessfulBuild)."""
    ref = "lastSuccessfulBuild" if build in (None, "") else str(build)
    if ref.isdigit():
        return int(ref)
    if ref not in PERMALINKS:
        raise CannotRun(f"{ref!r} is neither a build number nor a permalink ({', '.join(PERMALINKS)}).")
    number = read_permalinks(jdir).get(ref)
    if number is None:
        raise CannotRun(f"{jdir}: the job has no {ref} (builds/permalinks).")
    return number


def read_recorded_build(home: Path, job: str, build: str | int | None = None) -> Build:
    jdir = job_directory(home, job)
    if jdir is None:
        raise CannotRun(f"{home}: no job {job!r} under this JENKINS_HOME (jobs/<name>/config.xml).")
    number = resolve_build_number(jdir, build)
    bdir = jdir / "builds" / str(number)
    if not (bdir / "build.xml").is_file():
        raise CannotRun(f"{bdir / 'build.xml'}: build {number} of {job!r} is not recorded.")
    b = read_build(bdir, job)
    errors = [d for d in b.diagnostics if d.level == "error"]
    if errors:
        raise CannotRun(str(errors[0]))
    return b


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
    """Trigger (or pick) a build on a live Jenkins, wait for it within `timeout` seconds, fetch its outputs."""

    def __init__(self, url: str, username: str | None = None, password: str | None = None, *,
                 timeout: float = 3600, poll: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.timeout = timeout
        self.poll = poll
        self.sleep = sleep
        try:
            self.source = SourceJenkins(url, username, password, attempts=3, sleep=sleep)
        except LiveError as exc:
            raise CannotRun(str(exc)) from exc

    def baseline(self, job: str, params: dict[str, Any], build: int | None = None, *, side: str = "baseline",
                 workdir: Path | None = None) -> SideRun:
        try:
            return self._baseline(job, params, build, side, workdir)
        except LiveError as exc:
            raise CannotRun(f"Jenkins baseline: {exc}") from exc

    def _baseline(self, job: str, params: dict[str, Any], build: int | None, side: str,
                  workdir: Path | None) -> SideRun:
        deadline = time.monotonic() + self.timeout
        if build is None:
            queue_id = self.source.trigger(job, params)
            build = self.source.wait_for_build(queue_id, timeout=self.timeout, poll=self.poll)
        while True:
            info = self.source.build_info(job, build)
            if not info.get("building") and info.get("result") is not None:
                break
            if time.monotonic() > deadline:
                raise CannotRun(f"Build {job}#{build} was still running after {self.timeout:g} s; gave up.")
            self.sleep(self.poll)
        b = self.source.build(job, build)
        dest = (workdir or Path(tempfile.mkdtemp(prefix="j2f-jenkins-"))) / f"{side}-{b.number}"
        dest.mkdir(parents=True, exist_ok=True)
        for art in b.artifacts:
            target = (dest / art.relative_path).resolve()
            if not target.is_relative_to(dest.resolve()):
                continue  # a relativePath escaping the download folder is not written
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.source.artifact(job, b.number, art.relative_path))
        return side_from_build(b, side=side, source="jenkins-live", files_root=str(dest), url=b.source)

"""Recorded Jenkins builds: what one run of a job did, read from JENKINS_HOME or from a live Jenkins.

Frozen like the job IR. Times are epoch milliseconds, durations milliseconds, as Jenkins stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from jenkins2flow.ir.nodes import Diagnostic, Value


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a build started. `kind`: user, upstream, timer, scm, remote, replay, other; `cls` the Java class."""

    kind: str
    cls: str
    user_id: str = ""
    user_name: str = ""
    upstream_project: str = ""
    upstream_build: int | None = None
    description: str = ""  # Jenkins' short description, when a live server gives one
    extra: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True, slots=True)
class Artifact:
    """An archived file: `relative_path` under the build's archive (posix), `location` a local path or URL."""

    relative_path: str
    size: int | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class StageResult:
    """A pipeline stage's outcome. `status`: SUCCESS, FAILURE, UNSTABLE, ABORTED, SKIPPED, IN_PROGRESS, NOT_EXECUTED
    (wfapi's FAILED is normalized to FAILURE)."""

    name: str
    status: str
    id: str = ""
    start_ms: int | None = None
    duration_ms: int | None = None
    error: str = ""
    parent: str = ""  # name of the enclosing stage for nested / parallel stages


@dataclass(frozen=True, slots=True)
class Build:
    """One build of a job. `result` is None while it runs (SUCCESS | UNSTABLE | FAILURE | NOT_BUILT | ABORTED)."""

    job: str
    number: int
    result: str | None
    timestamp_ms: int = 0
    duration_ms: int = 0
    building: bool = False
    built_on: str = ""
    parameters: tuple[tuple[str, Value], ...] = ()
    causes: tuple[Cause, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    stages: tuple[StageResult, ...] = ()
    log: str | None = None  # console text with console notes stripped; None when not read
    source: str = ""  # build directory or URL
    diagnostics: tuple[Diagnostic, ...] = ()

    def parameter(self, name: str, default: Value = None) -> Value:
        for k, v in self.parameters:
            if k == name:
                return v
        return default

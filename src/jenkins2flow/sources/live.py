"""A live Jenkins through python-jenkins: jobs (recursively through folders), config.xml, builds, console text,
artifacts, pipeline stages (wfapi), and triggering builds.

Credentials: URL + user + API token, from arguments or JENKINS_URL / JENKINS_USER / JENKINS_TOKEN. python-jenkins
fetches the CSRF crumb itself when the server issues one. Every call is retried with exponential backoff on 5xx
answers, timeouts and dropped connections, a bounded number of times; other errors (401, 404...) are not retried.

Every answer is read under a byte cap (`max_bytes`, 10 MiB) while it streams in, and every request has a deadline
(`deadline` seconds, or JENKINS2FLOW_LIVE_DEADLINE): a job whose config.xml is too big or too slow to come fails
with an error saying which, and the walk goes on (see `sources.bounded_http`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import quote

import jenkins
import requests

from jenkins2flow.ir.builds import Artifact, Build, Cause, StageResult
from jenkins2flow.ir.nodes import Diagnostic, Job, Span
from jenkins2flow.sources import Peek, unread_job
from jenkins2flow.sources.bounded_http import DEADLINE_SECONDS, MAX_RESPONSE_BYTES, bound
from jenkins2flow.sources.builds import cause_from_fields
from jenkins2flow.sources.content import read_config_xml, xml_problem

T = TypeVar("T")
_SERVER_ERROR = re.compile(r"\[5\d\d\]|Error communicating with server")
_WF_STATUS = {"FAILED": "FAILURE", "SUCCESS": "SUCCESS", "UNSTABLE": "UNSTABLE", "ABORTED": "ABORTED",
              "IN_PROGRESS": "IN_PROGRESS", "PAUSED_PENDING_INPUT": "IN_PROGRESS", "NOT_EXECUTED": "NOT_EXECUTED",
              "SKIPPED": "SKIPPED"}
FOLDERISH = ("Folder", "MultiBranchProject", "OrganizationFolder")


class LiveError(Exception):
    """A live Jenkins call failed for good (after its retries, or with an error retrying cannot fix)."""


def retryable(exc: BaseException) -> bool:
    """5xx answers, timeouts and connection failures are worth another try; 4xx and the rest are not."""
    if isinstance(exc, jenkins.TimeoutException | requests.Timeout | requests.ConnectionError):
        return True
    if isinstance(exc, requests.HTTPError):
        return exc.response is not None and exc.response.status_code >= 500
    if isinstance(exc, jenkins.NotFoundException):
        return False
    if isinstance(exc, jenkins.JenkinsException):
        return bool(_SERVER_ERROR.search(str(exc)))
    return False


def job_path(full_name: str) -> str:
    """`a/b/c` -> `job/a/job/b/job/c/` (each name URL-encoded, as Jenkins expects)."""
    return "".join(f"job/{quote(part, safe='')}/" for part in full_name.split("/") if part)


class LiveJenkins:
    def __init__(self, url: str, user: str | None = None, token: str | None = None, *, timeout: float = 30.0,
                 attempts: int = 4, backoff: float = 0.5, max_backoff: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep, max_bytes: int = MAX_RESPONSE_BYTES,
                 deadline: float = DEADLINE_SECONDS) -> None:
        if not url:
            raise LiveError("No Jenkins URL: pass --jenkins-url or set JENKINS_URL.")
        self.url = url if url.endswith("/") else url + "/"
        self.attempts, self.backoff, self.max_backoff, self._sleep = max(1, attempts), backoff, max_backoff, sleep
        self.server = jenkins.Jenkins(self.url, username=user or None, password=token or None, timeout=timeout)
        bound(self.server._session, max_bytes, deadline)

    @classmethod
    def from_env(cls, url: str | None = None, user: str | None = None, token: str | None = None,
                 **kwargs: Any) -> LiveJenkins:
        if "deadline" not in kwargs and os.environ.get("JENKINS2FLOW_LIVE_DEADLINE"):
            try:
                kwargs["deadline"] = float(os.environ["JENKINS2FLOW_LIVE_DEADLINE"])
            except ValueError:
                raise LiveError(f"JENKINS2FLOW_LIVE_DEADLINE must be a number of seconds, not "
                                f"{os.environ['JENKINS2FLOW_LIVE_DEADLINE']!r}.") from None
        return cls(url or os.environ.get("JENKINS_URL", ""), user or os.environ.get("JENKINS_USER"),
                   token or os.environ.get("JENKINS_TOKEN"), **kwargs)

    # ---- plumbing ------------------------------------------------------------------------------------------------

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one python-jenkins call with bounded retries and exponential backoff."""
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not retryable(exc) or attempt == self.attempts:
                    tries = f" after {attempt} attempts" if attempt > 1 else ""
                    raise LiveError(f"{self.url}: {what} failed{tries}: {exc}") from exc
                self._sleep(min(delay, self.max_backoff))
                delay *= 2
        raise AssertionError("unreachable")

    def _get(self, path: str, what: str) -> requests.Response:
        req = requests.Request("GET", self.url + path)
        return self.call(what, self.server.jenkins_request, req)

    def _json(self, path: str, what: str) -> Any:
        return self._get(path, what).json()

    # ---- jobs ------------------------------------------------------------------------------------------------------

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every item, recursively through folders: dicts with `fullname`, `url`, `_class`."""
        return self.call("listing jobs", self.server.get_all_jobs)

    def job_config(self, full_name: str) -> bytes:
        return self._get(job_path(full_name) + "config.xml", f"reading config.xml of {full_name!r}").content

    def read_job(self, full_name: str, children: tuple[str, ...] = (), peek: Peek | None = None) -> Job:
        source = self.url + job_path(full_name) + "config.xml"
        try:
            data = self.job_config(full_name)
        except LiveError as exc:
            diag = Diagnostic("error", str(exc), Span(source), code="live-error")
            return Job(full_name, "unsupported", Span(source), source=source, diagnostics=(diag,))
        problem = xml_problem(data)
        if problem:
            diag = Diagnostic("error", f"The server's answer for this config.xml is not a job: {problem}.",
                              Span(source), code="live-error")
            return Job(full_name, "unsupported", Span(source), source=source, diagnostics=(diag,))
        if peek is not None and (why := peek(full_name, source, data)) is not None:
            job = unread_job(full_name, source, why)
        else:
            job = read_config_xml(data, source, full_name)
        return replace(job, children=children) if children else job

    def iter_jobs(self, peek: Peek | None = None) -> Iterator[Job]:
        items = self.list_jobs()
        kids: dict[str, list[str]] = {}
        for item in items:
            parent = item["fullname"].rpartition("/")[0]
            if parent:
                kids.setdefault(parent, []).append(item["fullname"])
        for item in items:
            yield self.read_job(item["fullname"], tuple(kids.get(item["fullname"], ())), peek)

    # ---- builds ----------------------------------------------------------------------------------------------------

    def build_info(self, full_name: str, number: int | str) -> dict[str, Any]:
        return self._json(f"{job_path(full_name)}{number}/api/json", f"reading build {full_name} #{number}")

    def console_text(self, full_name: str, number: int | str) -> str:
        return self._get(f"{job_path(full_name)}{number}/consoleText", f"reading the log of {full_name} #{number}").text

    def artifact(self, full_name: str, number: int | str, relative_path: str) -> bytes:
        path = "/".join(quote(p, safe="") for p in relative_path.split("/"))
        return self._get(f"{job_path(full_name)}{number}/artifact/{path}",
                         f"downloading {relative_path!r} of {full_name} #{number}").content

    def stages(self, full_name: str, number: int | str) -> tuple[StageResult, ...]:
        """Stage results from wfapi/describe; () for jobs that are not pipelines (404)."""
        try:
            data = self._json(f"{job_path(full_name)}{number}/wfapi/describe", f"reading stages of {full_name}")
        except LiveError as exc:
            if isinstance(exc.__cause__, jenkins.NotFoundException):
                return ()
            raise
        out = []
        for s in data.get("stages", []):
            err = s.get("error") or {}
            out.append(StageResult(
                str(s.get("name", "")), _WF_STATUS.get(str(s.get("status")), str(s.get("status"))),
                id=str(s.get("id", "")), start_ms=s.get("startTimeMillis"), duration_ms=s.get("durationMillis"),
                error=str(err.get("message", "")) if isinstance(err, dict) else str(err),
            ))
        return tuple(out)

    def build(self, full_name: str, number: int | str, *, with_log: bool = True,
              with_stages: bool = True) -> Build:
        info = self.build_info(full_name, number)
        build_url = info.get("url") or f"{self.url}{job_path(full_name)}{info.get('number', number)}/"
        params: list[tuple[str, Any]] = []
        causes: list[Cause] = []
        for action in info.get("actions") or []:
            if not isinstance(action, dict):
                continue
            cls = action.get("_class", "")
            if cls == "hudson.model.ParametersAction" or "parameters" in action:
                params += [(p.get("name", ""), p.get("value")) for p in action.get("parameters", [])]
            if cls == "hudson.model.CauseAction" or "causes" in action:
                causes += [cause_from_fields(c.get("_class", ""), c) for c in action.get("causes", [])]
        artifacts = tuple(Artifact(a["relativePath"], None, build_url + "artifact/" + a["relativePath"])
                          for a in info.get("artifacts") or [] if "relativePath" in a)
        real = int(info.get("number", number))
        return Build(
            full_name, real, info.get("result"), timestamp_ms=int(info.get("timestamp") or 0),
            duration_ms=int(info.get("duration") or 0), building=bool(info.get("building")),
            built_on=str(info.get("builtOn") or ""), parameters=tuple(params), causes=tuple(causes),
            artifacts=artifacts, stages=self.stages(full_name, real) if with_stages else (),
            log=self.console_text(full_name, real) if with_log else None, source=build_url,
        )

    # ---- triggering (for shadow runs) ---------------------------------------------------------------------------

    def trigger(self, full_name: str, parameters: dict[str, Any] | None = None) -> int:
        """Queue a build; returns the queue item number. Empty parameters use /build (not /buildWithParameters)."""
        return self.call(f"triggering {full_name!r}", self.server.build_job, full_name, parameters or None)

    def queue_item(self, number: int) -> dict[str, Any]:
        return self._json(f"queue/item/{number}/api/json", f"reading queue item {number}")

    def wait_for_build(self, queue_number: int, *, timeout: float = 600.0, poll: float = 1.0) -> int:
        """The build number a queue item became, polling until it leaves the queue (or `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.queue_item(queue_number)
            if item.get("cancelled"):
                raise LiveError(f"{self.url}: queue item {queue_number} was cancelled.")
            executable = item.get("executable") or {}
            if "number" in executable:
                return int(executable["number"])
            if time.monotonic() > deadline:
                raise LiveError(f"{self.url}: queue item {queue_number} did not start within {timeout:.0f}s "
                                f"(Jenkins says: {item.get('why')!r}).")
            self._sleep(poll)

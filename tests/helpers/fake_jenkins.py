"""A small fake Jenkins: an http.server on 127.0.0.1 (random port, own thread) answering the REST endpoints
python-jenkins calls, with the JSON shapes of a real Jenkins (see shared/reference/jenkins.md).

Data-driven: `jobs` maps a full name (`folder/sub/job`) to a FakeJob with its config.xml and builds; folders are
implied by the names. Faults can be injected per path: `fail(path_substring, status, times)` answers that status
the next `times` matching requests, `delay(path_substring, seconds)` sleeps before answering, and
`stream(path_substring, size, piece, pause)` answers a generated body of `size` bytes (None: endless), written in
pieces with a pause between them (a huge answer, or one drip-fed a byte at a time); `streamed` counts the bytes of
such a body that were written before the client hung up. Every request is
logged in `requests` as (method, path). Triggering a build (POST build / buildWithParameters) creates a queue
item that becomes a build at once, made by `on_build(job, params) -> FakeBuild` (default: SUCCESS).

    with FakeJenkins(jobs={"etl/nightly": FakeJob(config_xml=...)}, user="u", token="t") as fj:
        server = jenkins.Jenkins(fj.url, "u", "t")
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class FakeBuild:
    number: int
    result: str | None = "SUCCESS"
    duration: int = 1000
    timestamp: int = 1_700_000_000_000
    parameters: dict[str, Any] = field(default_factory=dict)
    causes: list[dict[str, Any]] = field(default_factory=lambda: [
        {"_class": "hudson.model.Cause$UserIdCause", "shortDescription": "Started by user admin",
         "userId": "admin", "userName": "admin"}])
    console: str = ""
    artifacts: dict[str, bytes] = field(default_factory=dict)
    stages: list[dict[str, Any]] | None = None  # wfapi stages; None = not a pipeline (404 on wfapi)
    built_on: str = ""

    @property
    def building(self) -> bool:
        return self.result is None


@dataclass
class FakeJob:
    config_xml: str = "<project/>"
    builds: dict[int, FakeBuild] = field(default_factory=dict)
    job_class: str = "hudson.model.FreeStyleProject"
    color: str = "blue"


FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"


class FakeJenkins:
    def __init__(self, jobs: dict[str, FakeJob] | None = None, *, user: str = "", token: str = "",
                 crumb: bool = True, version: str = "2.440.3",
                 on_build: Callable[[str, dict[str, Any]], FakeBuild] | None = None) -> None:
        self.jobs: dict[str, FakeJob] = dict(jobs or {})
        self.user, self.token, self.crumb, self.version = user, token, crumb, version
        self.on_build = on_build
        self.requests: list[tuple[str, str]] = []
        self.queue: dict[int, dict[str, Any]] = {}
        self._faults: list[list[Any]] = []  # [substring, status, remaining]
        self._delays: list[tuple[str, float]] = []
        self._streams: list[tuple[str, int | None, int, float]] = []
        self.streamed: dict[str, int] = {}
        self._lock = threading.Lock()
        self._next_queue = 100
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- control ------------------------------------------------------------------------------------------------

    def fail(self, path_substring: str, status: int = 503, times: int = 1) -> None:
        with self._lock:
            self._faults.append([path_substring, status, times])

    def delay(self, path_substring: str, seconds: float) -> None:
        with self._lock:
            self._delays.append((path_substring, seconds))

    def stream(self, path_substring: str, size: int | None, piece: int = 64 * 1024, pause: float = 0.0) -> None:
        with self._lock:
            self._streams.append((path_substring, size, piece, pause))

    def _stream_for(self, path: str) -> tuple[int | None, int, float] | None:
        with self._lock:
            return next(((size, piece, pause) for sub, size, piece, pause in self._streams if sub in path), None)

    def start(self) -> FakeJenkins:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-jenkins", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeJenkins:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    # ---- model -----------------------------------------------------------------------------------------------------

    def folders(self) -> set[str]:
        out = set()
        for name in self.jobs:
            parts = name.split("/")
            out.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return out

    def job_url(self, name: str) -> str:
        from urllib.parse import quote

        return self.url + "".join(f"job/{quote(p, safe='')}/" for p in name.split("/"))

    def _children(self, folder: str) -> list[dict[str, Any]]:
        prefix = folder + "/" if folder else ""
        names: dict[str, bool] = {}
        for full in list(self.jobs) + sorted(self.folders()):
            if full.startswith(prefix) and full != folder:
                rest = full[len(prefix):]
                if rest and "/" not in rest:
                    names[rest] = full in self.folders()
        out = []
        for short, is_folder in sorted(names.items()):
            full = prefix + short
            entry: dict[str, Any] = {"name": short, "url": self.job_url(full), "fullName": full}
            if is_folder:
                entry["_class"] = FOLDER_CLASS
                entry["jobs"] = self._children(full)
            else:
                job = self.jobs[full]
                entry["_class"] = job.job_class
                entry["color"] = job.color
            out.append(entry)
        return out

    def build_json(self, name: str, b: FakeBuild) -> dict[str, Any]:
        actions: list[dict[str, Any]] = [{"_class": "hudson.model.CauseAction", "causes": b.causes}]
        if b.parameters:
            actions.insert(0, {"_class": "hudson.model.ParametersAction", "parameters": [
                {"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
                for k, v in b.parameters.items()]})
        return {
            "_class": "hudson.model.FreeStyleBuild", "number": b.number, "id": str(b.number), "result": b.result,
            "building": b.building, "duration": b.duration, "timestamp": b.timestamp, "builtOn": b.built_on,
            "url": f"{self.job_url(name)}{b.number}/", "fullDisplayName": f"{name} #{b.number}",
            "actions": actions,
            "artifacts": [{"displayPath": p.rsplit("/", 1)[-1], "fileName": p.rsplit("/", 1)[-1], "relativePath": p}
                          for p in sorted(b.artifacts)],
        }

    def trigger(self, name: str, params: dict[str, Any]) -> int:
        with self._lock:
            qid = self._next_queue
            self._next_queue += 1
            job = self.jobs[name]
            number = max(job.builds, default=0) + 1
            build = self.on_build(name, params) if self.on_build else FakeBuild(number, parameters=params)
            build.number = number
            if params and not build.parameters:
                build.parameters = params
            job.builds[number] = build
            self.queue[qid] = {
                "_class": "hudson.model.Queue$LeftItem", "id": qid, "why": None, "cancelled": False,
                "task": {"name": name.rsplit("/", 1)[-1], "url": self.job_url(name)},
                "executable": {"number": number, "url": f"{self.job_url(name)}{number}/"},
            }
            return qid

    def _fault_for(self, path: str) -> tuple[int | None, float]:
        with self._lock:
            delay = sum(s for sub, s in self._delays if sub in path)
            for f in self._faults:
                if f[0] in path and f[2] > 0:
                    f[2] -= 1
                    return f[1], delay
        return None, delay


def _split_job_path(parts: list[str]) -> tuple[str, list[str]]:
    """`["job","a","job","b","3","api","json"]` -> ("a/b", ["3","api","json"])."""
    names = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "job":
        names.append(unquote(parts[i + 1]))
        i += 2
    return "/".join(names), parts[i:]


def _handler_for(fake: FakeJenkins) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes | str | dict[str, Any] | list[Any] = b"",
                  ctype: str = "text/plain", headers: dict[str, str] | None = None) -> None:
            if isinstance(body, dict | list):
                body, ctype = json.dumps(body).encode(), "application/json"
            elif isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Jenkins", fake.version)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, path: str, size: int | None, piece: int, pause: float) -> None:
            """A body of `size` bytes (None: endless) in chunked encoding, `piece` bytes at a time."""
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"<project>" + b"x" * max(0, piece - 9)
            sent = 0
            try:
                while size is None or sent < size:
                    data = block[: piece if size is None else min(piece, size - sent)]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                    sent += len(data)
                    fake.streamed[path] = sent
                    if pause:
                        time.sleep(pause)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:  # the client hung up: what it took is in `streamed`
                self.close_connection = True

        def _authorized(self) -> bool:
            if not fake.user:
                return True
            want = "Basic " + base64.b64encode(f"{fake.user}:{fake.token}".encode()).decode()
            return self.headers.get("Authorization") == want

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
            self._route("POST")

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            fake.requests.append((method, url.path + (f"?{url.query}" if url.query else "")))
            status, delay = fake._fault_for(url.path)
            if delay:
                time.sleep(delay)
            if status is not None:
                self._send(status, f"injected {status}")
                return
            streamed = fake._stream_for(url.path)
            if streamed is not None:
                self._stream(url.path, *streamed)
                return
            if not self._authorized():
                self._send(401, "Unauthorized", headers={"WWW-Authenticate": 'Basic realm="Jenkins"'})
                return
            parts = [p for p in url.path.split("/") if p]
            query = parse_qs(url.query)
            try:
                self._dispatch(method, parts, query)
            except KeyError as exc:
                self._send(404, f"not found: {exc}")

        def _dispatch(self, method: str, parts: list[str], query: dict[str, list[str]]) -> None:
            if method == "POST" and fake.crumb and self.headers.get("Jenkins-Crumb") != "fake-crumb":
                self._send(403, "No valid crumb was included in the request")
                return
            if parts in ([], ["api", "json"]):
                self._send(200, {"_class": "hudson.model.Hudson", "jobs": fake._children(""),
                                 "url": fake.url, "nodeName": "", "useCrumbs": fake.crumb})
                return
            if parts == ["crumbIssuer", "api", "json"]:
                if not fake.crumb:
                    raise KeyError("crumbIssuer")
                self._send(200, {"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": "fake-crumb",
                                 "crumbRequestField": "Jenkins-Crumb"})
                return
            if parts == ["me", "api", "json"]:
                self._send(200, {"id": fake.user or "anonymous", "fullName": fake.user or "anonymous"})
                return
            if parts[:2] == ["queue", "item"] and len(parts) >= 3:
                self._send(200, fake.queue[int(parts[2])])
                return
            name, rest = _split_job_path(parts)
            if not name:
                raise KeyError(self.path)
            if name in fake.folders() and name not in fake.jobs:
                if rest == ["api", "json"]:
                    self._send(200, {"_class": FOLDER_CLASS, "name": name.rsplit("/", 1)[-1], "fullName": name,
                                     "jobs": fake._children(name), "url": fake.job_url(name)})
                    return
                if rest == ["config.xml"]:
                    self._send(200, "<com.cloudbees.hudson.plugins.folder.Folder/>", "application/xml")
                    return
                raise KeyError(name)
            job = fake.jobs[name]
            if method == "POST" and rest and rest[0] in ("build", "buildWithParameters"):
                params = {k: v[-1] for k, v in parse_qs(getattr(self, "_body", b"").decode()).items()}
                params.update({k: v[-1] for k, v in query.items() if k not in ("token", "delay")})
                qid = fake.trigger(name, params)
                self._send(201, "", headers={"Location": f"{fake.url}queue/item/{qid}/"})
                return
            if rest == ["config.xml"]:
                self._send(200, job.config_xml, "application/xml")
                return
            if rest == ["api", "json"]:
                builds = sorted(job.builds, reverse=True)
                self._send(200, {
                    "_class": job.job_class, "name": name.rsplit("/", 1)[-1], "fullName": name, "color": job.color,
                    "url": fake.job_url(name), "buildable": True,
                    "builds": [{"number": n, "url": f"{fake.job_url(name)}{n}/"} for n in builds],
                    "lastBuild": {"number": builds[0]} if builds else None,
                    "nextBuildNumber": (builds[0] + 1) if builds else 1,
                })
                return
            if not rest:
                raise KeyError(name)
            number = self._build_number(job, rest[0])
            build = job.builds[number]
            tail = rest[1:]
            if tail == ["api", "json"]:
                self._send(200, fake.build_json(name, build))
            elif tail == ["consoleText"]:
                self._send(200, build.console)
            elif tail[:1] == ["artifact"] and len(tail) > 1:
                self._send(200, build.artifacts["/".join(unquote(p) for p in tail[1:])], "application/octet-stream")
            elif tail == ["wfapi", "describe"]:
                if build.stages is None:
                    raise KeyError("wfapi")
                self._send(200, {"id": str(number), "name": f"#{number}", "status": _wf(build.result),
                                 "startTimeMillis": build.timestamp, "durationMillis": build.duration,
                                 "stages": build.stages})
            else:
                raise KeyError("/".join(rest))

        def _build_number(self, job: FakeJob, ref: str) -> int:
            if ref.isdigit():
                return int(ref)
            done = [n for n, b in job.builds.items() if not b.building]
            picks = {
                "lastBuild": list(job.builds),
                "lastCompletedBuild": done,
                "lastSuccessfulBuild": [n for n in done if job.builds[n].result in ("SUCCESS", "UNSTABLE")],
                "lastFailedBuild": [n for n in done if job.builds[n].result == "FAILURE"],
            }
            if ref not in picks or not picks[ref]:
                raise KeyError(ref)
            return max(picks[ref])

    return Handler


def _wf(result: str | None) -> str:
    return {"SUCCESS": "SUCCESS", "FAILURE": "FAILED", "ABORTED": "ABORTED", "UNSTABLE": "UNSTABLE",
            None: "IN_PROGRESS"}.get(result, "NOT_EXECUTED")

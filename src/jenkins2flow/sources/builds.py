"""Recorded builds under JENKINS_HOME: `jobs/NAME/builds/N/` -> `Build`.

Reads build.xml (root `build`, `flow-build`, `matrix-build`...: result, duration, timestamp, parameters, causes),
the console log (`log` or `log.gz`, console notes stripped), archived artifacts, the permalinks (the `permalinks`
file and the legacy symlinks), and pipeline stage results from the flow nodes (`workflow/*.xml` or
`workflow-completed/flowNodeStore.xml`). A broken file gives a Build with an error diagnostic, never an exception.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jenkins2flow.ir.builds import Artifact, Build, Cause, StageResult
from jenkins2flow.ir.nodes import Diagnostic, Span, Value
from jenkins2flow.parse.job_xml import safe_fromstring

_CONSOLE_NOTE = re.compile(rb"\x1b\[8mha:[^\x1b]*\x1b\[0m")
_PERMALINKS = ("lastBuild", "lastStableBuild", "lastSuccessfulBuild", "lastFailedBuild", "lastUnstableBuild",
               "lastUnsuccessfulBuild", "lastCompletedBuild")
_STAGE_STEP = "org.jenkinsci.plugins.workflow.support.steps.StageStep"


def unmangle(tag: str) -> str:
    """XStream element names back to Java names: `_-` -> `$`, `__` -> `_`."""
    return tag.replace("_-", "$").replace("__", "_")


def strip_console_notes(data: bytes) -> str:
    """A console log as text, without the `ESC[8mha:////...ESC[0m` console notes Jenkins embeds."""
    return _CONSOLE_NOTE.sub(b"", data).decode("utf-8", "replace")


def read_log(build_dir: Path) -> str | None:
    plain, packed = build_dir / "log", build_dir / "log.gz"
    if plain.is_file():
        return strip_console_notes(plain.read_bytes())
    if packed.is_file():
        with gzip.open(packed, "rb") as fh:
            return strip_console_notes(fh.read())
    return None


# ---- causes and parameters ----------------------------------------------------------------------------------------

CAUSE_KINDS: dict[str, str] = {
    "hudson.model.Cause$UserIdCause": "user",
    "hudson.model.Cause$UserCause": "user",
    "hudson.model.Cause$UpstreamCause": "upstream",
    "hudson.model.Cause$RemoteCause": "remote",
    "hudson.triggers.TimerTrigger$TimerTriggerCause": "timer",
    "hudson.triggers.SCMTrigger$SCMTriggerCause": "scm",
    "com.cloudbees.jenkins.GitHubPushCause": "scm",
    "org.jenkinsci.plugins.workflow.cps.replay.ReplayCause": "replay",
    "jenkins.branch.BranchIndexingCause": "scm",
    "jenkins.branch.BranchEventCause": "scm",
}


def cause_from_fields(cls: str, fields: dict[str, Any]) -> Cause:
    """A Cause from its class and fields (build.xml element children or a live `causes[]` JSON entry)."""
    kind = CAUSE_KINDS.get(cls, "other")
    number = fields.get("upstreamBuild")
    try:
        upstream_build = int(number) if number not in (None, "") else None
    except (TypeError, ValueError):
        upstream_build = None
    known = {"userId", "userName", "authenticationName", "upstreamProject", "upstreamBuild", "shortDescription",
             "_class"}
    extra = tuple((k, v) for k, v in fields.items() if k not in known and isinstance(v, str | int | float | bool))
    return Cause(
        kind, cls, user_id=str(fields.get("userId") or fields.get("authenticationName") or ""),
        user_name=str(fields.get("userName") or ""), upstream_project=str(fields.get("upstreamProject") or ""),
        upstream_build=upstream_build, description=str(fields.get("shortDescription") or ""), extra=extra,
    )


def _leaves(el: Any) -> dict[str, str]:
    return {c.tag: (c.text or "") for c in el if isinstance(c.tag, str) and len(c) == 0}


def _causes(action: Any) -> list[Cause]:
    out: list[Cause] = []
    for entry in action.iterfind("causeBag/entry"):
        kids = [c for c in entry if isinstance(c.tag, str)]
        if not kids:
            continue
        count = 1
        if len(kids) > 1 and kids[-1].tag == "int":
            try:
                count = max(1, int(kids[-1].text or "1"))
            except ValueError:
                count = 1
        cause = cause_from_fields(unmangle(kids[0].tag), _leaves(kids[0]))
        out.extend([cause] * count)
    for old in action.iterfind("causes/*"):  # before Jenkins 1.5xx: a plain list
        if isinstance(old.tag, str):
            out.append(cause_from_fields(unmangle(old.tag), _leaves(old)))
    return out


_VALUE_TYPES = {"hudson.model.BooleanParameterValue": "bool", "hudson.model.PasswordParameterValue": "secret"}


def _parameters(action: Any) -> list[tuple[str, Value]]:
    out: list[tuple[str, Value]] = []
    for pv in action.iterfind("parameters/*"):
        if not isinstance(pv.tag, str):
            continue
        name = (pv.findtext("name") or "").strip()
        value: Value = pv.findtext("value")
        kind = _VALUE_TYPES.get(unmangle(pv.tag))
        if kind == "bool":
            value = (value or "").strip() == "true"
        elif kind == "secret":
            value = "****"
        elif value is None and unmangle(pv.tag).endswith("RunParameterValue"):
            value = pv.findtext("runId")
        out.append((name, value))
    return out


# ---- flow nodes -> stages -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    id: str
    cls: str
    parents: list[str]
    descriptor: str = ""
    start_id: str = ""
    name: str = ""
    label: str = ""
    start_ms: int | None = None
    error: str = ""
    warning: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def _node_from_tag(tag_el: Any) -> _Node | None:
    node_el = tag_el.find("node")
    if node_el is None:
        return None
    node = _Node(
        id=(node_el.findtext("id") or "").strip(), cls=node_el.get("class") or "",
        parents=[(p.text or "").strip() for p in node_el.iterfind("parentIds/*")],
        descriptor=(node_el.findtext("descriptorId") or "").strip(),
        start_id=(node_el.findtext("startId") or "").strip(),
    )
    for action in tag_el.iterfind("actions/*"):
        if not isinstance(action.tag, str):
            continue
        kind = action.tag.rsplit(".", 1)[-1]
        if kind == "ArgumentsActionImpl":
            for entry in action.iterfind("arguments/entry"):
                kids = [c for c in entry if isinstance(c.tag, str)]
                if len(kids) == 2 and (kids[0].text or "") == "name":
                    node.name = kids[1].text or ""
        elif kind == "LabelAction":
            node.label = action.findtext("displayName") or ""
        elif kind == "TimingAction":
            try:
                node.start_ms = int(action.findtext("startTime") or "")
            except ValueError:
                pass
        elif kind == "ErrorAction":
            err = action.find("error")
            cls = (err.get("class") or "") if err is not None else ""
            message = (err.findtext("detailMessage") or "") if err is not None else ""
            node.error = f"{cls}: {message}".strip(": ") or "error"
        elif kind == "WarningAction":
            node.warning = (action.findtext("result/name") or action.findtext("result") or "UNSTABLE").strip()
        elif kind == "TagsAction":
            for entry in action.iterfind("tags/entry"):
                kids = [c for c in entry if isinstance(c.tag, str)]
                if len(kids) == 2:
                    node.tags[kids[0].text or ""] = kids[1].text or ""
    return node if node.id else None


def _flow_nodes(build_dir: Path, notes: list[Diagnostic]) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    store = build_dir / "workflow-completed" / "flowNodeStore.xml"
    files = [store] if store.is_file() else sorted((build_dir / "workflow").glob("*.xml"))
    for f in files:
        root, diags = safe_fromstring(f.read_bytes(), str(f))
        if root is None:
            notes.extend(diags)
            continue
        tags = [root] if root.tag == "Tag" else [e for e in root.iterfind("entry/Tag")]
        for t in tags:
            node = _node_from_tag(t)
            if node is not None:
                nodes[node.id] = node
    return nodes


def _status(error: str, warning: str, tags: dict[str, str], ended: bool) -> str:
    if tags.get("STAGE_STATUS", "").startswith("SKIPPED"):
        return "SKIPPED"
    if error:
        return "ABORTED" if "FlowInterruptedException" in error else "FAILURE"
    if warning:
        return warning
    return "SUCCESS" if ended else "IN_PROGRESS"


def read_stages(build_dir: Path, notes: list[Diagnostic] | None = None) -> tuple[StageResult, ...]:
    """Stage results from the flow nodes: a StageStep start node (name from its ArgumentsAction or LabelAction),
    its body node (TagsAction STAGE_STATUS = skipped), its end nodes (ErrorAction = failure, TimingAction)."""
    notes = notes if notes is not None else []
    nodes = _flow_nodes(build_dir, notes)
    if not nodes:
        return ()
    ends: dict[str, list[_Node]] = {}
    children: dict[str, list[_Node]] = {}
    for n in nodes.values():
        if n.start_id:
            ends.setdefault(n.start_id, []).append(n)
        for p in n.parents:
            children.setdefault(p, []).append(n)
    starts = [n for n in nodes.values() if n.cls.endswith("StepStartNode") and n.descriptor == _STAGE_STEP
              and not n.label]
    # A stage's body start node is the StepStartNode child of the step start node.
    stage_of_body = {}
    for s in starts:
        for c in children.get(s.id, []):
            if c.cls.endswith("StepStartNode") and c.descriptor == _STAGE_STEP:
                stage_of_body[c.id] = s.id
    out = []
    by_id = {s.id: s for s in starts}
    for s in sorted(starts, key=lambda n: _id_key(n.id)):
        bodies = [nodes[b] for b, st in stage_of_body.items() if st == s.id]
        name = s.name or next((b.label for b in bodies if b.label), "")
        tags = {k: v for b in [s, *bodies] for k, v in b.tags.items()}
        end_nodes = ends.get(s.id, []) + [e for b in bodies for e in ends.get(b.id, [])]
        error = next((e.error for e in end_nodes if e.error), "")
        warning = next((w for w in [e.warning for e in end_nodes] + [b.warning for b in bodies] if w), "")
        end_ms = max((e.start_ms for e in end_nodes if e.start_ms is not None), default=None)
        duration = end_ms - s.start_ms if end_ms is not None and s.start_ms is not None else None
        parent = _enclosing_stage(s, nodes, by_id, stage_of_body)
        out.append(StageResult(name, _status(error, warning, tags, bool(end_nodes)), id=s.id, start_ms=s.start_ms,
                               duration_ms=duration, error=error, parent=parent))
    return tuple(out)


def _id_key(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (1 << 62, node_id)


def _enclosing_stage(node: _Node, nodes: dict[str, _Node], starts: dict[str, _Node], bodies: dict[str, str]) -> str:
    """Walk parents up to the nearest stage body that is still open: its stage encloses this one."""
    seen: set[str] = set()
    current = node.parents[0] if node.parents else ""
    depth = 0
    while current and current not in seen and depth < 10000:
        seen.add(current)
        if current in bodies:
            return starts[bodies[current]].name or nodes[current].label
        n = nodes.get(current)
        if n is None:
            return ""
        if n.start_id:  # an end node: skip over the whole block it closes
            current = n.start_id
            start = nodes.get(current)
            current = start.parents[0] if start is not None and start.parents else ""
        else:
            current = n.parents[0] if n.parents else ""
        depth += 1
    return ""


# ---- build directories ---------------------------------------------------------------------------------------------


def read_artifacts(build_dir: Path) -> tuple[Artifact, ...]:
    archive = build_dir / "archive"
    if not archive.is_dir():
        return ()
    out = []
    for dirpath, _dirs, files in os.walk(archive):
        for name in files:
            p = Path(dirpath) / name
            out.append(Artifact(p.relative_to(archive).as_posix(), p.stat().st_size, str(p)))
    return tuple(sorted(out, key=lambda a: a.relative_path))


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def read_build(build_dir: str | os.PathLike[str], job: str = "", *, with_log: bool = True) -> Build:
    """One recorded build directory. The number comes from the directory name (or `<number>` in old files)."""
    bdir = Path(build_dir)
    path = str(bdir / "build.xml")
    notes: list[Diagnostic] = []
    number = _int(bdir.name, 0)
    try:
        data = (bdir / "build.xml").read_bytes()
    except OSError as exc:
        return Build(job, number, None, source=str(bdir),
                     diagnostics=(Diagnostic("error", f"Cannot read build.xml: {exc}.", Span(path), "io-error"),))
    root, diags = safe_fromstring(data, path)
    notes.extend(diags)
    if root is None:
        return Build(job, number, None, source=str(bdir), diagnostics=tuple(notes))
    if not number:
        number = _int(root.findtext("number"), 0)
    params: list[tuple[str, Value]] = []
    causes: list[Cause] = []
    for action in root.iterfind("actions/*"):
        if not isinstance(action.tag, str):
            continue
        cls = unmangle(action.tag)
        if cls == "hudson.model.ParametersAction":
            params.extend(_parameters(action))
        elif cls == "hudson.model.CauseAction":
            causes.extend(_causes(action))
    result = (root.findtext("result") or "").strip() or None
    completed = (root.findtext("completed") or "").strip()
    stages: tuple[StageResult, ...] = ()
    if root.tag == "flow-build" or (bdir / "workflow").is_dir() or (bdir / "workflow-completed").is_dir():
        stages = read_stages(bdir, notes)
    return Build(
        job, number, result, timestamp_ms=_int(root.findtext("timestamp")) or _int(root.findtext("startTime")),
        duration_ms=_int(root.findtext("duration")), building=result is None and completed != "true",
        built_on=(root.findtext("builtOn") or "").strip(), parameters=tuple(params), causes=tuple(causes),
        artifacts=read_artifacts(bdir), stages=stages, log=read_log(bdir) if with_log else None, source=str(bdir),
        diagnostics=tuple(notes),
    )


def build_numbers(job_dir: str | os.PathLike[str]) -> list[int]:
    """Build numbers recorded under `job_dir/builds`, ascending (numbered directories or legacy number symlinks)."""
    builds = Path(job_dir) / "builds"
    if not builds.is_dir():
        return []
    return sorted(int(p.name) for p in builds.iterdir() if p.name.isdigit() and (p / "build.xml").is_file())


def read_permalinks(job_dir: str | os.PathLike[str]) -> dict[str, int]:
    """lastSuccessfulBuild & co: the `builds/permalinks` file (since 2.185, `-1` = none) or the old symlinks
    (`builds/lastSuccessfulBuild -> 42`, or `job/lastSuccessful -> builds/lastSuccessfulBuild`)."""
    jdir = Path(job_dir)
    out: dict[str, int] = {}
    file = jdir / "builds" / "permalinks"
    if file.is_file():
        for line in file.read_text("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in _PERMALINKS and parts[1].lstrip("-").isdigit():
                if int(parts[1]) > 0:
                    out[parts[0]] = int(parts[1])
    for name in _PERMALINKS:
        if name in out:
            continue
        link = jdir / "builds" / name
        if link.is_symlink():
            target = os.readlink(link)
            if target.lstrip("-").isdigit() and int(target) > 0:
                out[name] = int(target)
    return out


def iter_builds(job_dir: str | os.PathLike[str], job: str = "", *, with_log: bool = True) -> Iterator[Build]:
    for n in build_numbers(job_dir):
        yield read_build(Path(job_dir) / "builds" / str(n), job, with_log=with_log)

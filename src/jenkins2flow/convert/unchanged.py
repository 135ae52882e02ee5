"""When a re-run of `convert` may leave a job alone: nothing its conversion depends on changed since the last one.

The last conversion of each job is recorded next to the catalog (`jenkins2flow_runtime.records.JobState`). A job is
not read again (its bytes are hashed, not parsed) when all of these hold:

| what | compared with |
|---|---|
| the job's bytes (config.xml or Jenkinsfile) | their sha256 then |
| where it is read from | the same source, spelled the same (the provenance records it) |
| the converter (version and code), the rules (mappings, hooks' code), --classify, --timezone, publishing | one
  fingerprint of them then |
| what the conversion read of other jobs: its upstream links, the asset events its downstreams wait for, whether each
  job it names is in the estate, the kind of each credential its `credentials('id')` binds | the same, in this estate |
| the stored pipeline | still the version saved then, by this job, not retired; published when publishing |

Any difference and the job is read and converted as usual (a job that has not changed saves no new version
anyway). Never left alone: a job of a run with --workspace (its SQL files or Jenkinsfile may have changed, and they
are not among its bytes), and every job of a run with --force. A job left alone still counts in the totals and the
report, from its last conversion.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from jenkins2flow_runtime.records import JobState
from jenkins2flow_runtime.store import PipelineHead

from jenkins2flow.convert.estate import ConvertOptions
from jenkins2flow.convert.job import default_rules
from jenkins2flow.convert.links import Links
from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.rules import Rule, Rules

UNCHANGED = "unchanged since its last conversion (same input, rules, options and links): not read again"
NOT_SELECTED = "not selected by --only"


@functools.cache
def converter_digest() -> str:
    """The converter's version and code: every source and rules file of the toolkit and of the runtime's model."""
    import jenkins2flow_runtime
    from jenkins2flow_runtime import model

    import jenkins2flow

    h = hashlib.sha256(f"{jenkins2flow.__version__} {jenkins2flow_runtime.__version__}".encode())
    for root in (Path(jenkins2flow.__file__).parent, Path(model.__file__).parent):
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml", ".j2") and p.is_file()):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def rules_digest(rules: Rules) -> str:
    """The rules as loaded (every table, where each rule came from) and the code of the hooks they name."""
    h = hashlib.sha256(json.dumps(rules.tables, sort_keys=True, default=_plain).encode())
    hooks = sorted({r.hook.partition(":")[0] for table in rules.tables.values() for r in table.values()
                    if isinstance(r, Rule) and r.hook})
    for module in hooks:
        file = getattr(sys.modules.get(module) or importlib.import_module(module), "__file__", None)
        h.update(module.encode() + b"\0" + (Path(file).read_bytes() if file else b""))
    return h.hexdigest()


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else repr(value)


def context_fingerprint(options: ConvertOptions, *, publish: bool) -> str:
    """What, beside a job's own bytes, its conversion and what is saved of it depend on."""
    data = {"converter": converter_digest(), "rules": rules_digest(options.rules or default_rules()),
            "classify": sorted(options.overrides.items()), "timezone": options.timezone, "publish": publish}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass
class Unchanged:
    """The `sources.Peek` of a re-run: notes the sha256 of every job's bytes (`inputs`), and says which jobs need not
    be read (the module's rules). `enabled` False: every job is read (--force, --workspace), the hashes still noted."""

    state_of: Callable[[str], JobState | None]  # a job's last state (Records.job_state)
    head_of: Callable[[str], PipelineHead | None]  # a stored pipeline's head (from Store.pipeline_heads)
    context: str
    links: Links
    publish: bool
    job_name: str = ""
    only: str = ""  # --only: the other jobs' hashes are not noted
    enabled: bool = True
    inputs: dict[tuple[str, str], str] = field(default_factory=dict)  # (full name, source) -> sha256, until taken
    left: dict[str, JobState] = field(default_factory=dict)  # the states of the jobs left alone, until taken

    def __call__(self, full_name: str, source: str, data: bytes) -> str | None:
        name = self.job_name.strip("/") or full_name
        if self.only and not fnmatch.fnmatchcase(name, self.only):
            return NOT_SELECTED  # left out by convert.estate.picked: no need to parse it
        sha = hashlib.sha256(data).hexdigest()
        self.inputs[name, source] = sha
        state = self.state_of(name) if self.enabled else None
        if state is None or not self.same(state, name, source, sha):
            return None
        self.left[name] = state
        return UNCHANGED

    def same(self, state: JobState, name: str, source: str, sha: str) -> bool:
        if state.input != sha or state.context != self.context or state.source != source:
            return False  # a source spelled otherwise is recorded in the provenance: converted again
        try:
            read = json.loads(state.links)
            asked, ids = [str(n) for n, _ in read[2]], [str(i) for i, _ in read[3]]
        except (ValueError, TypeError, IndexError):
            return False
        if state.links != self.links.read_by(safe_name(name), asked, name, ids):
            return False
        if not state.pipeline:
            return True
        head = self.head_of(state.pipeline)
        return (head is not None and head.latest == state.version and not head.retired and head.job == name
                and head.source == source and (not self.publish or head.published == state.version))

    def take(self, name: str, source: str) -> str:
        """The sha256 noted for a job's bytes ("" when its bytes were not seen: a job that could not be read)."""
        return self.inputs.pop((name, source), "")

    def take_state(self, name: str) -> JobState:
        """The state of a job left alone (its stub has come through)."""
        return self.left.pop(name)


__all__ = ["NOT_SELECTED", "UNCHANGED", "Unchanged", "context_fingerprint", "converter_digest", "rules_digest"]

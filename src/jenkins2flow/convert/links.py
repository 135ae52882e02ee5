"""Links between pipelines of one estate (Jenkins upstream/downstream triggers) as Airflow assets.

| Jenkins | side | asset link |
|---|---|---|
| `ReverseBuildTrigger`, `triggers { upstream(upstreamProjects:, threshold:) }` | downstream | `Schedule.upstream` |
| `hudson.tasks.BuildTrigger` (childProjects, threshold) | upstream | the downstream's `Schedule.upstream` |
| parameterized-trigger `BuildTrigger` without parameters | upstream | as above |
| parameterized `BuildTrigger` with parameters, FAILED / UNSTABLE_OR_WORSE | upstream | a `trigger_pipeline` task |

Threshold -> asset: SUCCESS and UNSTABLE (Airflow has no UNSTABLE) -> `success`; FAILURE, FAILED_OR_BETTER, ALWAYS
-> `done` (whatever the result). The upstream pipeline gets `asset_events` so its marker tasks update the asset.
Parameters are passed only by `trigger_pipeline` (explicit trigger with `conf`), and so is a downstream job that is not
in the estate being converted (a single-job conversion keeps the explicit trigger).

The links also carry the kinds of the estate's credentials (`sources.credentials`): what a job's `credentials('id')`
binds depends on them, so a conversion notes each kind it asks for, as it notes the names it asks about.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.values import as_list, split_names, text
from jenkins2flow.ir import Job, Plugin
from jenkins2flow.sources.credentials import CredentialKinds

BUILD_TRIGGERS = ("hudson.tasks.BuildTrigger", "hudson.plugins.parameterizedtrigger.BuildTrigger")
ASSET_ON = {"SUCCESS": "success", "UNSTABLE": "success", "UNSTABLE_OR_BETTER": "success",
            "FAILURE": "done", "FAILED_OR_BETTER": "done", "ALWAYS": "done"}


def asset_on(threshold: object) -> str | None:
    """The asset event a Jenkins threshold/condition maps to; None when only a failure triggers (no asset)."""
    name = threshold.get("name") if isinstance(threshold, dict) else threshold
    return ASSET_ON.get(text(name or "SUCCESS").strip().upper())


def trigger_configs(pl: Plugin) -> list[tuple[list[str], str, object]]:
    """(projects, condition, parameters) of a BuildTrigger publisher, for both plugin flavours."""
    configs = as_list(pl.field("configs")) or [{"projects": pl.field("childProjects"),
                                               "condition": pl.field("threshold") or "SUCCESS"}]
    out = []
    for cfg in configs:
        if isinstance(cfg, dict):
            cond = cfg.get("condition") or "SUCCESS"
            cond = cond.get("name", "SUCCESS") if isinstance(cond, dict) else cond
            out.append((split_names(cfg.get("projects")), text(cond).upper(), cfg.get("parameters")))
    return out


class Asked(AbstractSet[str]):
    """The estate's pipeline names, noting each name a conversion asks about (and the answer): what a job's
    conversion read of the other jobs, so that a re-run knows when that changed (convert.unchanged)."""

    def __init__(self, names: AbstractSet[str]) -> None:
        self.names = names
        self.asked: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        found = name in self.names
        if isinstance(name, str):
            self.asked[name] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class AskedKinds:
    """The estate's credential kinds, noting each id a conversion asks about (and the answer)."""

    def __init__(self, kinds: CredentialKinds) -> None:
        self.kinds = kinds
        self.asked: dict[str, str] = {}

    def kind(self, job: str, credentials_id: str) -> str:
        found = self.asked[credentials_id] = self.kinds.kind(job, credentials_id)
        return found


@dataclass
class Links:
    """What the whole estate says about pipeline links, computed before any job is converted."""

    pipelines: AbstractSet[str] = field(default_factory=set)
    upstream: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # downstream -> [(upstream, on)]
    produces: dict[str, set[str]] = field(default_factory=dict)  # upstream -> asset events
    credentials: CredentialKinds | AskedKinds = field(default_factory=CredentialKinds)
    contested: AbstractSet[str] | None = None  # the names a first look read for more than one job (identity.claim)

    def view(self) -> Links:
        """The same links, for one job's conversion: its `pipelines` and `kinds` note what the conversion asks
        (`Asked`, `AskedKinds`)."""
        kinds = self.credentials.kinds if isinstance(self.credentials, AskedKinds) else self.credentials
        return Links(Asked(self.pipelines), self.upstream, self.produces, AskedKinds(kinds))

    def read_by(self, pipeline: str, asked: Iterable[str], job: str = "", ids: Iterable[str] = ()) -> str:
        """What the conversion of `pipeline` (job `job`) read of these links, as text to compare between runs: its
        upstream links, the asset events downstreams wait for, the answer for each name it asked about, and the
        kind of each credential id it asked for."""
        kinds = self.credentials.kinds if isinstance(self.credentials, AskedKinds) else self.credentials
        return json.dumps([self.upstream.get(pipeline, []), sorted(self.produces.get(pipeline, set())),
                           sorted((name, name in self.pipelines) for name in asked),
                           sorted((i, kinds.kind(job, i)) for i in set(ids))])

    def link(self, up: str, down: str, on: str) -> None:
        if (up, on) not in self.upstream.setdefault(down, []):
            self.upstream[down].append((up, on))
        self.produces.setdefault(up, set()).add(on)


def estate_links(jobs: Iterable[Job], credentials: CredentialKinds | None = None) -> Links:
    """The links of an estate, read from its jobs in one pass that keeps only each job's name and links, with the
    kinds of its credentials (read by the caller, `sources.credentials`)."""
    names: set[str] = set()
    found: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = []
    for job in jobs:
        me = safe_name(job.full_name)
        names.add(me)
        ups = [(safe_name(up.strip("/")), on) for trig in job.triggers if trig.kind == "upstream"
               and (on := asset_on(trig.threshold)) is not None for up in trig.upstream]
        downs = [(safe_name(down.strip("/")), on) for pl in job.publishers if pl.cls in BUILD_TRIGGERS
                 for projects, cond, params in trigger_configs(pl) if (on := asset_on(cond)) and not as_list(params)
                 for down in projects]
        if ups or downs:
            found.append((me, ups, downs))
    links = Links(pipelines=names, credentials=credentials or CredentialKinds())
    for me, ups, downs in found:
        for up, on in ups:
            links.link(up, me, on)
        for down, on in downs:
            if down in names:
                links.link(me, down, on)
    return links

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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jenkins2flow.convert.naming import safe_name
from jenkins2flow.convert.values import as_list, split_names, text
from jenkins2flow.ir import Job, Plugin

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


@dataclass
class Links:
    """What the whole estate says about pipeline links, computed before any job is converted."""

    pipelines: set[str] = field(default_factory=set)
    upstream: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # downstream -> [(upstream, on)]
    produces: dict[str, set[str]] = field(default_factory=dict)  # upstream -> asset events

    def link(self, up: str, down: str, on: str) -> None:
        if (up, on) not in self.upstream.setdefault(down, []):
            self.upstream[down].append((up, on))
        self.produces.setdefault(up, set()).add(on)


def estate_links(jobs: Iterable[Job]) -> Links:
    jobs = list(jobs)
    links = Links(pipelines={safe_name(j.full_name) for j in jobs})
    for job in jobs:
        me = safe_name(job.full_name)
        for trig in job.triggers:
            on = asset_on(trig.threshold) if trig.kind == "upstream" else None
            if on is None:
                continue
            for up in trig.upstream:
                links.link(safe_name(up.strip("/")), me, on)
        for pl in job.publishers:
            if pl.cls not in BUILD_TRIGGERS:
                continue
            for projects, cond, params in trigger_configs(pl):
                on = asset_on(cond)
                for down in projects:
                    if on and not as_list(params) and safe_name(down.strip("/")) in links.pipelines:
                        links.link(me, safe_name(down.strip("/")), on)
    return links

"""What a shadow run produces: both sides' runs, one result per compared output, and the verdict.

Plain dataclasses with `to_dict` / `from_dict` so results round-trip through the results table and JSON reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["equivalent", "different", "error"]
OutputStatus = Literal["equal", "different", "error", "skipped"]
EXIT_CODES: dict[str, int] = {"equivalent": 0, "different": 1, "error": 2}
MAX_DIFFERENCES = 200  # kept per output; counts stay exact


@dataclass(slots=True)
class SideRun:
    """One run of either side. `status` is normalized: success | unstable | failed | aborted | running | not run."""

    side: str  # baseline | candidate | noise
    source: str  # jenkins-recorded | jenkins-live | airflow-local | airflow-rest
    id: str = ""
    status: str = "not run"
    raw_status: str = ""
    url: str = ""
    stages: list[dict[str, str]] = field(default_factory=list)  # [{name, status}] stages or tasks, in order
    params: dict[str, Any] = field(default_factory=dict)
    files_root: str = ""  # Jenkins archive dir (or a download of it) / Airflow run workspace
    run_tokens: list[str] = field(default_factory=list)
    started_at: str = ""
    duration_s: float | None = None
    error: str = ""
    log: str = field(default="", repr=False)  # full console / task logs; not stored
    log_chars: int = 0  # the log's length, kept when the log itself is dropped

    def to_dict(self, *, with_log: bool = False) -> dict[str, Any]:
        data = asdict(self)
        data["log_chars"] = max(len(self.log), self.log_chars)
        if not with_log:
            del data["log"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SideRun:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(slots=True)
class Difference:
    location: str  # where, stable across runs (used to match noise): "key=north column=total", "line 3", "$.a[2]"
    kind: str  # changed | missing | extra | status | header
    baseline: str | None = None
    candidate: str | None = None
    detail: str = ""
    noise: bool = False  # also differs between two Jenkins runs: not counted

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Difference:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(slots=True)
class OutputResult:
    name: str
    kind: str
    status: OutputStatus = "equal"
    summary: str = ""
    compared: int = 0  # rows, lines, objects, markers, stages compared
    differences: list[Difference] = field(default_factory=list)
    total_differences: int = 0  # beyond noise, including those not kept
    noise: int = 0
    error: str = ""
    explanation: str = ""  # deepdiff's / difflib's own account, when it helps a reader

    def add(self, diff: Difference) -> None:
        self.total_differences += 1
        if len(self.differences) < MAX_DIFFERENCES:
            self.differences.append(diff)

    def finish(self) -> OutputResult:
        if self.status not in ("error", "skipped"):
            self.status = "different" if self.total_differences else "equal"
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputResult:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["differences"] = [Difference.from_dict(d) for d in known.get("differences", [])]
        return cls(**known)


@dataclass(slots=True)
class ShadowResult:
    run_id: str
    pipeline: str
    verdict: Verdict
    reason: str = ""
    started_at: str = ""
    finished_at: str = ""
    baseline: SideRun | None = None
    candidate: SideRun | None = None
    noise_baseline: SideRun | None = None
    outputs: list[OutputResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def counts(self) -> dict[str, int]:
        out = {"equal": 0, "different": 0, "error": 0, "skipped": 0}
        for o in self.outputs:
            out[o.status] = out.get(o.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": self.counts,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "candidate": self.candidate.to_dict() if self.candidate else None,
            "noise_baseline": self.noise_baseline.to_dict() if self.noise_baseline else None,
            "outputs": [o.to_dict() for o in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShadowResult:
        def side(key: str) -> SideRun | None:
            return SideRun.from_dict(data[key]) if data.get(key) else None

        return cls(
            run_id=data["run_id"], pipeline=data["pipeline"], verdict=data["verdict"], reason=data.get("reason", ""),
            started_at=data.get("started_at", ""), finished_at=data.get("finished_at", ""),
            baseline=side("baseline"), candidate=side("candidate"), noise_baseline=side("noise_baseline"),
            outputs=[OutputResult.from_dict(o) for o in data.get("outputs", [])],
        )


def decide(outputs: list[OutputResult]) -> tuple[Verdict, str]:
    """The verdict over every output: any error -> error, any difference -> different, else equivalent."""
    errors = [o for o in outputs if o.status == "error"]
    if errors:
        return "error", "; ".join(f"{o.name}: {o.error}" for o in errors)
    different = [o for o in outputs if o.status == "different"]
    if different:
        return "different", ", ".join(f"{o.name} ({o.total_differences})" for o in different) + " differ"
    return "equivalent", f"all {len(outputs)} outputs match"

"""Parse a Jenkins cron spec the way Jenkins does (hudson/scheduler/CronTabList, BaseParser).

`resolve(spec, full_name)` turns every H into the numbers Jenkins would pick for that job, keeps the timezone of a
leading `TZ=` line, expands the @ aliases and merges multi-line specs. The result lists five-field expressions
that mean the same in Airflow, plus the flag `and_dom_dow` when Jenkins' AND of day-of-month and day-of-week
differs from the POSIX OR that Airflow's cron uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jenkins2flow.schedule.jenkins_hash import JenkinsHash

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
LOWER = (0, 0, 1, 1, 0)
UPPER = (59, 23, 31, 12, 7)
HASH_UPPER = (59, 23, 28, 12, 6)  # bare H: day-of-month 1-28, day-of-week 0-6

ALIASES = {
    "@yearly": "H H H H *",
    "@annually": "H H H H *",
    "@monthly": "H H H * *",
    "@weekly": "H H * * H",
    "@daily": "H H * * *",
    "@midnight": "H H(0-2) * * *",
    "@hourly": "H * * * *",
}

_H = re.compile(r"^H(?:\((\d+)-(\d+)\))?(?:/(\d+))?$")
_PLAIN = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")


class CronError(ValueError):
    """A cron spec Jenkins would refuse; `line` counts from 1 within the spec."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class CronLine:
    expression: str  # five fields, H resolved
    values: tuple[frozenset[int], ...]  # the set of values each field matches (dow 7 folded to 0)
    restricted: tuple[bool, ...]  # False where the field was `*` (matches all)
    source: str  # the line as written


@dataclass(frozen=True, slots=True)
class Schedule:
    lines: tuple[CronLine, ...]
    timezone: str = "UTC"
    spec: str = ""
    notes: tuple[str, ...] = field(default=())
    tz_line: bool = False  # the timezone comes from the spec's `TZ=` line (else: the default time zone given)

    @property
    def cron(self) -> list[str]:
        return [line.expression for line in self.lines]

    @property
    def and_dom_dow(self) -> bool:
        """True when some line restricts both day-of-month and day-of-week (Jenkins ANDs them, Airflow ORs)."""
        return any(line.restricted[2] and line.restricted[4] for line in self.lines)

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` fire times strictly after `after`, with Jenkins semantics, in the spec's timezone."""
        tz = ZoneInfo(self.timezone)
        t = after.astimezone(tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
        out: list[datetime] = []
        limit = t + timedelta(days=366 * 5)
        while len(out) < count and t < limit and self.lines:
            if any(_matches_day(line, t) for line in self.lines):
                hit = [m for m in _minutes_of_day(self.lines, t) if m >= t.hour * 60 + t.minute]
                for m in hit:
                    when = t.replace(hour=m // 60, minute=m % 60)
                    out.append(when)
                    if len(out) == count:
                        break
            t = (t + timedelta(days=1)).replace(hour=0, minute=0)
        return out


def _matches_day(line: CronLine, t: datetime) -> bool:
    dow = (t.isoweekday()) % 7
    return t.month in line.values[3] and t.day in line.values[2] and dow in line.values[4]


def _minutes_of_day(lines: tuple[CronLine, ...], t: datetime) -> list[int]:
    found: set[int] = set()
    for line in lines:
        if _matches_day(line, t):
            found.update(h * 60 + m for h in line.values[1] for m in line.values[0])
    return sorted(found)


def resolve(spec: str, full_name: str, default_timezone: str = "UTC") -> Schedule:
    """Resolve a Jenkins cron spec for the job `full_name`. Raises CronError for what Jenkins would refuse.

    A spec without a `TZ=` first line runs in Jenkins' default time zone (its JVM's), given as `default_timezone`."""
    hash_ = JenkinsHash(full_name)  # one Random shared across all lines, as in CronTabList.create
    timezone = default_timezone
    from_tz_line = False
    lines: list[CronLine] = []
    notes: list[str] = []
    for number, raw in enumerate(spec.splitlines() or [""], start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("TZ="):  # Jenkins reads TZ= on the spec's very first line only (CronTabList.create)
            if number != 1:
                raise CronError("TZ= is only allowed on the first line of a spec (Jenkins refuses it after a "
                                "comment or a blank line too).", number)
            timezone, from_tz_line = text.replace("TZ=", ""), True  # as Jenkins: "TZ= Europe/Paris" is refused
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise CronError(f"Unknown timezone {timezone!r}.", number) from exc
            continue
        if text.startswith("@") and from_tz_line:
            notes.append(f"{text.split()[0]} after TZ={timezone}: kept in {timezone}. Jenkins' alias path may reset "
                         "the spec timezone (suspected quirk, unverified); check the job's next runs in Jenkins.")
        text = ALIASES.get(text.split()[0], text) if text.startswith("@") else text
        if text.startswith("@"):
            raise CronError(f"Unknown alias {text.split()[0]!r}; Jenkins knows {', '.join(ALIASES)}.", number)
        lines.append(_parse_line(text, raw.strip(), hash_, number))
    if not lines:
        notes.append("The spec has no schedule line: the job never fires on a timer.")
    return Schedule(lines=tuple(lines), timezone=timezone, spec=spec, notes=tuple(notes), tz_line=from_tz_line)


_HASHED = re.compile(r"(?:^|[\s,])H(?:$|[\s(/,])|^@")


def uses_hash(spec: str) -> bool:
    """True when a spec line uses `H` (or an @ alias, which is made of H): its times depend on the job's name."""
    return any(_HASHED.search(line.strip()) for line in spec.splitlines()
               if line.strip() and not line.strip().startswith(("#", "TZ=")))


def _parse_line(text: str, source: str, hash_: JenkinsHash, number: int) -> CronLine:
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"A cron line has five fields (minute hour day month weekday), not {len(parts)}: {source!r}.",
                        number)
    exprs: list[str] = []
    values: list[frozenset[int]] = []
    restricted: list[bool] = []
    for index, part in enumerate(parts):
        expr, vals = _parse_field(part, index, hash_, number)
        exprs.append(expr)
        values.append(vals)
        restricted.append(part != "*")
    return CronLine(" ".join(exprs), tuple(values), tuple(restricted), source)


def _parse_field(part: str, index: int, hash_: JenkinsHash, number: int) -> tuple[str, frozenset[int]]:
    out_terms: list[str] = []
    vals: set[int] = set()
    for term in part.split(","):
        h = _H.match(term)
        if h:
            lo, hi, step = h.group(1), h.group(2), h.group(3)
            s = int(lo) if lo is not None else LOWER[index]
            e = int(hi) if hi is not None else HASH_UPPER[index]
            _range_check(s, index, number)
            _range_check(e, index, number)
            n = int(step) if step else 1
            if n <= 0 or n > e - s + 1:
                raise CronError(f"Step {n} is out of range for {FIELDS[index]} in {term!r}.", number)
            picked = list(range(s + hash_.next(n), e + 1, n)) if n > 1 else [s + hash_.next(e + 1 - s)]
            out_terms.append(",".join(str(v) for v in picked))
            vals.update(picked)
            continue
        p = _PLAIN.match(term)
        if not p:
            raise CronError(f"Cannot read {term!r} in the {FIELDS[index]} field.", number)
        base, step = p.group(1), p.group(2)
        if base == "*":
            s, e = LOWER[index], UPPER[index]
        elif "-" in base:
            s, e = (int(x) for x in base.split("-"))
        else:
            s = e = int(base)
            if step:
                e = UPPER[index]
        _range_check(s, index, number)
        _range_check(e, index, number)
        if s > e:
            raise CronError(f"Range {term!r} runs backwards in the {FIELDS[index]} field.", number)
        n = int(step) if step else 1
        if n <= 0:
            raise CronError(f"Step must be positive in {term!r}.", number)
        vals.update(range(s, e + 1, n))
        out_terms.append("0" if index == 4 and term == "7" else term)
    if index == 4 and 7 in vals:
        vals.discard(7)
        vals.add(0)
    return ",".join(out_terms), frozenset(vals)


def _range_check(v: int, index: int, number: int) -> None:
    if not LOWER[index] <= v <= UPPER[index]:
        raise CronError(
            f"{v} is out of range for {FIELDS[index]} (allowed {LOWER[index]}-{UPPER[index]}).", number
        )

"""A pipeline's schedule in words, and its next run times (Jenkins' AND of day-of-month and day-of-week kept)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jenkins2flow_runtime.model import Schedule
from jenkins2flow_runtime.model.cron import DAYS, MONTHS

DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
ALIASES = {
    "@hourly": "every hour, at minute 0",
    "@daily": "every day at 00:00",
    "@midnight": "every day at 00:00",
    "@weekly": "every Sunday at 00:00",
    "@monthly": "on day 1 of every month at 00:00",
    "@yearly": "every 1 January at 00:00",
    "@annually": "every 1 January at 00:00",
    "@once": "once",
    "@continuous": "continuously, a new run as soon as one ends",
}


def _number(text: str, names: list[str], offset: int) -> int:
    return names.index(text.upper()) + offset if text.upper() in names else int(text)


def _values(part: str, names: list[str], offset: int, label: list[str] | None) -> str | None:
    """One cron field in words; None for `*` (every value)."""
    if part in ("*", "?"):
        return None
    words = []
    for item in part.split(","):
        rng, _, step = item.partition("/")
        if rng in ("*", "?"):
            text = f"every {step}" if step else "every"
        elif "-" in rng:
            lo, hi = (_number(x, names, offset) for x in rng.split("-", 1))
            shown_lo, shown_hi = (label[lo] if label else str(lo)), (label[hi] if label else str(hi))
            text = f"{shown_lo} to {shown_hi}" + (f", every {step}" if step else "")
        else:
            n = _number(rng, names, offset)
            text = (label[n] if label else str(n)) + (f" and every {step} after" if step else "")
        words.append(text)
    return ", ".join(words)


def _single(part: str) -> int | None:
    return int(part) if part.isdigit() else None


def _time(minute: str, hour: str) -> str:
    m, h = _single(minute), _single(hour)
    if m is not None and h is not None:
        return f"at {h:02d}:{m:02d}"
    if m is not None and hour.replace(",", "").isdigit():
        return "at " + ", ".join(f"{int(x):02d}:{m:02d}" for x in hour.split(","))
    if minute.startswith("*/") and hour == "*":
        return f"every {minute[2:]} minutes"
    if minute == "*" and hour == "*":
        return "every minute"
    if m is not None and hour == "*":
        return f"every hour at minute {m}"
    if m is not None and hour.startswith("*/"):
        return f"every {hour[2:]} hours at minute {m}"
    minutes = _values(minute, [], 0, None) or "every minute"
    hours = _values(hour, [], 0, None) or "every hour"
    return f"at minute {minutes} of hour {hours}"


def describe_cron(expr: str, and_dom_dow: bool = False) -> str:
    """`23 2 * * 1-5` -> `at 02:23, Monday to Friday`."""
    text = expr.strip()
    if text.startswith("@"):
        return ALIASES.get(text, text)
    minute, hour, dom, month, dow = text.split()
    parts = [_time(minute, hour)]
    days = _values(dom, [], 0, None)
    weekdays = _values(dow, DAYS, 0, DAY_NAMES)
    if days and weekdays:
        joiner = "and" if and_dom_dow else "or"
        note = " (both must match, as in Jenkins)" if and_dom_dow else ""
        parts.append(f"on day {days} of the month {joiner} on {weekdays}{note}")
    elif days:
        parts.append(f"on day {days} of the month")
    elif weekdays:
        parts.append(f"on {weekdays}")
    else:
        parts.append("every day")
    months = _values(month, MONTHS, 1, ["", *MONTH_NAMES])
    if months:
        parts.append(f"in {months}")
    return ", ".join(parts)


def describe(schedule: Schedule | None) -> str:
    """The whole schedule in words: its cron lines, timezone and upstream pipelines."""
    if schedule is None or (not schedule.cron and not schedule.upstream):
        return "No schedule: runs only when triggered."
    pieces = [describe_cron(c, schedule.and_dom_dow) for c in schedule.cron]
    out = "; and ".join(pieces)
    if schedule.cron:
        out = out[0].upper() + out[1:] + f" ({schedule.timezone})."
    if schedule.upstream:
        ups = ", ".join(f"{u.pipeline} {'succeeds' if u.on == 'success' else 'ends'}" for u in schedule.upstream)
        out = (out + " Also when " if out else "When ") + f"any of these happens: {ups}."
    return out


def next_runs(schedule: Schedule | None, count: int = 5, now: datetime | None = None) -> list[datetime]:
    """The next `count` run times (aware, in the schedule's timezone), all cron lines merged.
    Raises ImportError when croniter (installed with Airflow) is missing."""
    if schedule is None or not schedule.cron:
        return []
    from croniter import croniter

    tz = ZoneInfo(schedule.timezone)
    start = (now or datetime.now(tz)).astimezone(tz)
    found: set[datetime] = set()
    for expr in schedule.cron:
        if expr.strip() in ("@once", "@continuous"):
            continue
        it = croniter(expr, start, day_or=not schedule.and_dom_dow, max_years_between_matches=50)
        for _ in range(count):
            found.add(it.get_next(datetime))
    return sorted(found)[:count]

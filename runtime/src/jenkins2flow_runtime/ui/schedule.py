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


def ordinal(n: int) -> str:
    """2 -> `2nd`, 11 -> `11th`, 23 -> `23rd`."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _minutes(minute: str) -> str:
    """The minute field: `every 15 minutes`, `at minute 5`, `at minutes 0 and 30`, `every 10 minutes from minute 5`."""
    rng, _, step = minute.partition("/")
    every = f"every {step} minutes" if step and step != "1" else "every minute"
    if rng in ("*", "?"):
        return every
    if rng.isdigit() and not step:
        return f"at minute {int(rng)}"
    if "-" in rng and all(x.isdigit() for x in rng.split("-", 1)):
        lo, hi = (int(x) for x in rng.split("-", 1))
        return f"{every} from minute {lo} to {hi}"
    if rng.isdigit():
        return f"{every} from minute {int(rng)}"
    if all(x.isdigit() for x in minute.split(",")):
        return f"at minutes {_and([str(int(x)) for x in minute.split(',')])}"
    return f"at minute {_values(minute, [], 0, None)}"


def _hours(hour: str) -> str:
    """The hour field as a time span (`from 09:00 to 17:59`), or hours (`in the 09:00 and 17:00 hours`); "" for `*`."""
    rng, _, step = hour.partition("/")
    if hour in ("*", "?"):
        return ""
    if "-" in rng and all(x.isdigit() for x in rng.split("-", 1)):
        lo, hi = (int(x) for x in rng.split("-", 1))
        span = f"from {lo:02d}:00 to {hi:02d}:59"
        return f"in every {ordinal(int(step))} hour {span}" if step and step != "1" else span
    if rng in ("*", "?") and step.isdigit():
        return f"in every {ordinal(int(step))} hour"
    if all(x.isdigit() for x in hour.split(",")):
        hours = [f"{int(x):02d}:00" for x in hour.split(",")]
        return f"in the {_and(hours)} hour" + ("s" if len(hours) > 1 else "")
    return f"in hour {_values(hour, [], 0, None)}"


def _time(minute: str, hour: str) -> str:
    m, h = _single(minute), _single(hour)
    if m is not None and h is not None:
        return f"at {h:02d}:{m:02d}"
    if m is not None and hour.replace(",", "").isdigit():
        return "at " + ", ".join(f"{int(x):02d}:{m:02d}" for x in hour.split(","))
    if m is not None and hour == "*":
        return f"every hour at minute {m}"
    if m is not None and hour.startswith("*/"):
        return f"every {hour[2:]} hours at minute {m}"
    if m is not None:
        return f"at minute {m} of every hour {_hours(hour)}"
    minutes, hours = _minutes(minute), _hours(hour)
    if not hours:
        return f"{minutes} of every hour" if minutes.startswith("at ") else minutes
    return f"{minutes} {hours}"


def _days(dom: str) -> str | None:
    """The day-of-month field: `on day 1 to 7 of the month`, `every 2nd day of the month`; None for `*`."""
    rng, _, step = dom.partition("/")
    if rng in ("*", "?") and step.isdigit():
        return f"every {ordinal(int(step))} day of the month"
    days = _values(dom, [], 0, None)
    return f"on day {days} of the month" if days else None


def describe_cron(expr: str, and_dom_dow: bool = False) -> str:
    """`23 2 * * 1-5` -> `at 02:23, Monday to Friday`."""
    text = expr.strip()
    if text.startswith("@"):
        return ALIASES.get(text, text)
    minute, hour, dom, month, dow = text.split()
    parts = [_time(minute, hour)]
    days = _days(dom)
    weekdays = _values(dow, DAYS, 0, DAY_NAMES)
    if days and weekdays:
        joiner = "and" if and_dom_dow else "or"
        note = " (both must match, as in Jenkins)" if and_dom_dow else ""
        parts.append(f"{days} {joiner} on {weekdays}{note}")
    elif days:
        parts.append(days)
    elif weekdays:
        parts.append(f"on {weekdays}")
    else:
        parts.append("every day")
    rng, _, step = month.partition("/")
    months = _values(month, MONTHS, 1, ["", *MONTH_NAMES])
    if rng in ("*", "?") and step.isdigit():
        parts.append(f"every {ordinal(int(step))} month from January")
    elif months:
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

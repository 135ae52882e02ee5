"""Validation of five-field cron expressions as Airflow accepts them (Jenkins `H` must already be resolved)."""

from __future__ import annotations

ALIASES = {"@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@continuous"}
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

#: field name, low, high, names (index + low = value)
FIELDS: list[tuple[str, int, int, list[str]]] = [
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
]


def _value(text: str, field: tuple[str, int, int, list[str]]) -> int:
    name, low, high, names = field
    if text.upper() in names:
        return names.index(text.upper()) + (1 if name == "month" else 0)
    if not text.isdigit():
        hint = " (Jenkins 'H' must be resolved before it reaches the catalog)" if "H" in text else ""
        raise ValueError(f"{name} {text!r} is not a number{hint}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name} {value} is outside {low}-{high}")
    return value


def _field(text: str, field: tuple[str, int, int, list[str]]) -> None:
    name = field[0]
    for item in text.split(","):
        rng, _, step = item.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{name} step {step!r} must be a positive number")
        if rng in ("*", "?"):
            continue
        if "-" in rng:
            lo_text, _, hi_text = rng.partition("-")
            lo, hi = _value(lo_text, field), _value(hi_text, field)
            if lo > hi:
                raise ValueError(f"{name} range {rng!r} runs backwards")
        else:
            _value(rng, field)


def check_cron(expr: str) -> None:
    """Raise ValueError with a sentence naming the bad field of `expr`."""
    text = expr.strip()
    if text.startswith("@"):
        if text not in ALIASES:
            raise ValueError(f"unknown cron alias {text!r}; use one of {', '.join(sorted(ALIASES))}")
        return
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"cron {expr!r} has {len(parts)} fields, expected 5 (minute hour day month weekday)")
    for part, field in zip(parts, FIELDS, strict=True):
        _field(part, field)

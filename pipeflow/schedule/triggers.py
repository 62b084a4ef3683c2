"""Checking cron expressions and time zones; computing fire times comes with `serve`."""

from __future__ import annotations

import functools
import zoneinfo
from difflib import get_close_matches

CRON_HINT = (
    "5 fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12), "
    "day of week (0-6, Sunday is 0), e.g. `0 6 * * 1-5`"
)

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_NAMES = {
    3: ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    4: ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}


def cron_problem(expression: str) -> str | None:
    """Why a 5-field cron expression is invalid, or None when it is valid."""
    from croniter import croniter  # imported only when a config has a cron schedule

    fields = expression.split()
    if len(fields) != 5:
        return (
            f"`{expression}` has {len(fields)} fields; a cron expression has 5: "
            "minute hour day-of-month month day-of-week, e.g. `0 6 * * 1-5`"
        )
    for index, text in enumerate(fields):
        field_problem = _field_problem(index, text)
        if field_problem:
            return f"`{expression}` is not a valid cron expression: {field_problem}"
    if not croniter.is_valid(expression):
        return f"`{expression}` is not a valid cron expression"
    return None


def _field_problem(index: int, text: str) -> str | None:
    """A value out of its field's range, said in words (croniter only says "out of range")."""
    name, low, high = _FIELDS[index]
    names = _NAMES.get(index, ())
    for item in text.replace("/", ",").replace("-", ",").split(","):
        if item in ("*", "?", "") or item.lower() in names:
            continue
        if not item.isdigit():
            return f"the {name} field `{text}` is not a number, a range or `*`"
        if not low <= int(item) <= high:
            shown = high if index != 4 else 6
            return f"the {name} field `{text}` is out of range ({low}-{shown})"
    return None


def timezone_problem(name: str) -> tuple[str, str | None] | None:
    """(message, hint) when a time zone name is unknown, or None."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = get_close_matches(name, _zones(), n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "use an IANA name such as `UTC`"
        return f"unknown time zone `{name}`", hint
    return None


@functools.lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())

"""How a duration a config gets wrong is explained: what a duration looks like, and the
spelling meant by one written in words (`10 minutes` -> `10m`)."""

from __future__ import annotations

import re
from collections.abc import Callable

DURATION_WORDS = "a duration such as `30s`, `15m`, `1h30m` or a number of seconds"
DURATION_HINT = "write a number and a unit (ms, s, m, h, d), e.g. `500ms`, `30s`, `15m`, `1h30m`"
_UNITS = {
    "ms": "ms",
    "millisecond": "ms",
    "msec": "ms",
    "s": "s",
    "sec": "s",
    "second": "s",
    "m": "m",
    "min": "m",
    "minute": "m",
    "h": "h",
    "hr": "h",
    "hour": "h",
    "d": "d",
    "day": "d",
}
_WEEK = ("w", "wk", "week")  # written as days: seven each
# No fixed length: which one a user means cannot be said (`M` is a month to some, a minute to
# others: suggesting `3m` for `3M` would turn three months into three minutes).
_CALENDAR = {"M": "month", "mo": "month", "mon": "month", "month": "month"} | {
    "y": "year",
    "yr": "year",
    "year": "year",
}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*(?:,|and\b)?")


def duration_suggestion(value: str, *, cron: Callable[[str], str] | None = None) -> str | None:
    """'did you mean `10m`?' for '10 minutes', '1 hour 30 mins', '2 secs'; `14d` for '2 weeks';
    for a month or a year, which has no fixed length, how to write one in days (and, given
    `cron`, which spells a `cron:` setting as the config writes it, for a schedule's
    `interval`: how to fire on a date each month or year instead)."""
    parts: dict[str, float] = {}  # unit -> amount, in the order written (weeks join the days)
    position = 0
    text = value.strip()
    while position < len(text):
        found = _DURATION_PART.match(text, position)
        if found is None or found.end() == position:
            return None
        number, written = float(found.group(1)), found.group(2)
        word = written if written == "M" else written.lower()
        calendar = _CALENDAR.get(word) or _CALENDAR.get(word.removesuffix("s"))
        if calendar is not None:
            days, expression = (
                ("30d", "0 6 1 * *") if calendar == "month" else ("365d", "0 6 1 1 *")
            )
            advice = f"a {calendar} has no fixed length: write days (`{days}`)"
            if cron is not None:
                advice += f", or, to run on a date each {calendar}, `{cron(expression)}` instead"
            return advice
        if word in _WEEK or word.removesuffix("s") in _WEEK:
            unit, number = "d", number * 7
        else:
            found_unit = _UNITS.get(word) or _UNITS.get(word.removesuffix("s"))
            if found_unit is None:
                return None
            unit = found_unit
        parts[unit] = parts.get(unit, 0.0) + number
        position = found.end()
    spelled = "".join(f"{_number(amount)}{unit}" for unit, amount in parts.items())
    return f"did you mean `{spelled}`?" if parts else None


def _number(amount: float) -> str:
    """`7`, `10.5`: as written, without a float's `.0` or an exponent."""
    return f"{amount:.6f}".rstrip("0").rstrip(".")

"""How a duration a config gets wrong is explained: what a duration looks like, and the
spelling meant by one written in words (`10 minutes` -> `10m`)."""

from __future__ import annotations

import re

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
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*(?:,|and\b)?")


def duration_suggestion(value: str) -> str | None:
    """'did you mean `10m`?' for '10 minutes', '1 hour 30 mins', '2 secs'."""
    parts = []
    position = 0
    text = value.strip()
    while position < len(text):
        found = _DURATION_PART.match(text, position)
        if found is None or found.end() == position:
            return None
        word = found.group(2).lower()
        unit = _UNITS.get(word) or _UNITS.get(word.removesuffix("s"))
        if unit is None:
            return None
        parts.append(found.group(1) + unit)
        position = found.end()
    return f"did you mean `{''.join(parts)}`?" if parts else None

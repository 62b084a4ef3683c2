"""Durations such as `30s`, `500ms`, `15m`, `1h`, `1d` or `1h30m`, in seconds."""

from __future__ import annotations

import re

# The longest duration a config may give (`timeout`, `retry_delay`, a schedule's `interval`):
# far below what time arithmetic, datetimes and thread waits (`threading.TIMEOUT_MAX`) take.
LONGEST = 365 * 86400.0
LONGEST_TEXT = "365d"
# The last year a schedule's `start` or `end` may fall in (UTC): a year before the last one
# datetimes hold, so a fire time an interval later, in any zone, still is one.
LAST_YEAR = 9997
# The first year one may fall in (UTC): a year after the first one datetimes hold, so the same
# moment on any zone's clock still is one.
FIRST_YEAR = 2
# The shortest interval a schedule may fire at (fire times are computed to the microsecond).
SHORTEST_INTERVAL = 1.0

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: str | float | int) -> float:
    """Seconds in a duration; a bare number counts as seconds. Raises ValueError with advice."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as `30s`, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        kind = type(value).__name__
        raise ValueError(f"expected a duration such as `30s` or a number of seconds, got a {kind}")
    text = value.strip().replace(" ", "")
    position = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        from pipeflow.model.duration_words import DURATION_HINT, duration_suggestion

        raise ValueError(
            f"`{value}` is not a duration; {duration_suggestion(value) or DURATION_HINT}"
        )
    return total


def format_duration(seconds: float) -> str:
    """A short human form: `0.25s`, `1m05s`, `2h00m`."""
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"

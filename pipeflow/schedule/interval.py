"""Interval triggers: every so many seconds of elapsed time, counted from an anchor."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeflow.records import record
from pipeflow.schedule.zones import UTC, aware


@record
class IntervalTrigger:
    """Fires at `anchor + k * seconds` for k = 0, 1, 2, ... and never after `end`.

    The anchor is the schedule's `start`, or, without one, the moment the caller chose
    (`pipeflow serve`: when it starts). Time is elapsed time: `1d` is 24 hours, so across a
    daylight-saving switch the local clock time moves by an hour (use cron for "06:00 daily").
    """

    seconds: float
    anchor: datetime  # aware; itself a fire time
    zone: ZoneInfo  # for showing times; the arithmetic is in UTC
    end: datetime | None = None  # aware; the last instant a fire may happen at

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"an interval must be longer than zero, got {self.seconds!r}")
        aware(self.anchor, "anchor")

    @property
    def step(self) -> timedelta:
        """The interval, to the microsecond."""
        return timedelta(microseconds=round(self.seconds * 1_000_000))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after `moment` (aware, in `zone`), or None after `end`."""
        anchor = self.anchor.astimezone(UTC)
        after = aware(moment).astimezone(UTC)
        try:
            if after < anchor:
                candidate = anchor
            else:
                candidate = anchor + ((after - anchor) // self.step + 1) * self.step
            if self.end is not None and candidate > self.end:
                return None
            return candidate.astimezone(self.zone)
        except OverflowError:  # the next fire is past the last moment a datetime holds
            return None


def duration_text(seconds: float) -> str:
    """An interval as the config writes it: `15m`, `1h`, `1h30m`, `1d`, `500ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    rest = seconds - int(seconds) + whole
    if rest:
        parts.append(f"{rest:g}s")
    return "".join(parts)

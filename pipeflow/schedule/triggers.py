"""Triggers: when a schedule fires, for `pipeflow schedule` now and `pipeflow serve` later.

`trigger_for(schedule)` turns a `model.pipeline.Schedule` into a `Trigger`, whose
`next_after(moment)` is the first fire strictly after an aware moment (None once `end` has
passed). Cron expressions are read on the wall clock of the schedule's `timezone` (UTC by
default) under the daylight-saving rules of `zones.py`; intervals count elapsed time from
`start`, or from an anchor the caller passes. Also here: the checks `config` runs on a
schedule's cron expression and time zone.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timedelta
from difflib import get_close_matches
from typing import Protocol

from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.cron import CronTrigger
from pipeflow.schedule.interval import IntervalTrigger, duration_text
from pipeflow.schedule.zones import aware, parse_moment, zone_for

__all__ = [
    "CRON_HINT",
    "CronTrigger",
    "IntervalTrigger",
    "Trigger",
    "cron_problem",
    "describe",
    "next_at_or_after",
    "next_times",
    "timezone_problem",
    "trigger_for",
]


class Trigger(Protocol):
    """When a schedule fires. Both kinds are frozen dataclasses, safe to share."""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The schedule's time zone: fire times are returned in it."""
        ...

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after the aware `moment`, or None when there is none."""
        ...


def trigger_for(schedule: Schedule, *, anchor: datetime | None = None) -> Trigger:
    """The trigger of a validated schedule.

    `anchor` is where an interval without `start` counts from (`serve` passes the moment it
    starts; the anchor itself is a fire time); it is ignored when the schedule has `start`
    and for cron. Raises ValueError for a schedule validation would have refused, or for an
    interval without `start` and without an anchor.
    """
    zone = zone_for(schedule.timezone)
    start = parse_moment(schedule.start, zone) if schedule.start else None
    end = parse_moment(schedule.end, zone) if schedule.end else None
    if schedule.cron is not None:
        problem = cron_problem(schedule.cron)
        if problem:
            raise ValueError(problem)
        return CronTrigger(" ".join(schedule.cron.split()), zone, start=start, end=end)
    if schedule.interval is None:
        raise ValueError("a schedule needs `cron` or `interval`")
    if start is None:
        if anchor is None:
            raise ValueError(
                "an interval without `start` counts from an anchor: pass `anchor=` "
                "(for `serve`, the moment it starts)"
            )
        start = aware(anchor, "anchor")
    return IntervalTrigger(schedule.interval, start, zone, end=end)


def next_times(trigger: Trigger, after: datetime, count: int) -> list[datetime]:
    """Up to `count` fire times strictly after `after`, in order (fewer once `end` is reached)."""
    found: list[datetime] = []
    moment: datetime | None = aware(after)
    while len(found) < count and moment is not None:
        moment = trigger.next_after(moment)
        if moment is not None:
            found.append(moment)
    return found


def next_at_or_after(trigger: Trigger, moment: datetime) -> datetime | None:
    """The first fire at `moment` or later (an interval's anchor is a fire time itself)."""
    return trigger.next_after(aware(moment) - timedelta(microseconds=1))


def describe(schedule: Schedule) -> str:
    """One line for people: "cron `0 6 * * 1-5` in Europe/Berlin", "every 1h"."""
    if schedule.cron is not None:
        text = f"cron `{schedule.cron}` in {schedule.timezone or 'UTC'}"
    else:
        text = f"every {duration_text(schedule.interval or 0)}"
        if schedule.timezone:
            text += f" ({schedule.timezone})"
    if schedule.start:
        text += f", from {schedule.start}"
    if schedule.end:
        text += f", until {schedule.end}"
    return text


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

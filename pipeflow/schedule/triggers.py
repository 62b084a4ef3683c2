"""Triggers: when a schedule fires, for `pipeflow schedule` now and `pipeflow serve` later.

`trigger_for(schedule)` turns a `model.pipeline.Schedule` into a `Trigger`, whose
`next_after(moment)` is the first fire strictly after an aware moment (None once `end` has
passed). Cron expressions are read on the wall clock of the schedule's `timezone` (UTC by
default) under the daylight-saving rules of `zones.py`; intervals count elapsed time from
`start`, or from an anchor the caller passes. Also here: the checks `config` runs on a
schedule's time zone and `start`/`end` (the cron checks live in `cron.py`).
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from datetime import datetime, timedelta, timezone
from difflib import get_close_matches
from typing import Protocol

from pipeflow.model import jsontext
from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.cron import CRON_HINT, CronTrigger, cron_fields, cron_problem
from pipeflow.schedule.interval import IntervalTrigger, duration_text
from pipeflow.schedule.zones import aware, parse_moment, zone_for

__all__ = [
    "CRON_HINT",
    "CronTrigger",
    "IntervalTrigger",
    "Trigger",
    "cron_fields",
    "cron_problem",
    "describe",
    "keyed_schedule",
    "next_at_or_after",
    "next_times",
    "schedule_key",
    "timezone_problem",
    "trigger_for",
    "window_problem",
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
    if start is not None and end is not None:
        problem = window_problem(start, end)
        if problem:
            raise ValueError(problem)
    if schedule.cron is not None:
        found = cron_problem(schedule.cron)
        if found:
            raise ValueError(found[0])
        return CronTrigger(cron_fields(schedule.cron), zone, start=start, end=end)
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
    # In UTC, not on `moment`'s zone's clock, where a daylight-saving gap would move it.
    return trigger.next_after(aware(moment).astimezone(timezone.utc) - timedelta(microseconds=1))


def ended(schedule: Schedule, now: datetime) -> bool:
    """Whether `schedule` has no fire time left from `now` on: its `end` has passed, or
    comes before its next fire (valid, but `serve` skips it, and the exports leave it out)."""
    if not schedule.end:
        return False
    return next_at_or_after(trigger_for(schedule, anchor=now), now) is None


ENDED = "it never fires again: no fire time is left before its `end`"


def numbered(number: int, schedule: Schedule) -> str:
    """A config's schedule `number` (from 1), as serve's log and the history name it:
    "2 (every 15m)"."""
    return f"{number} ({describe(schedule)})"


def describe(schedule: Schedule) -> str:
    """One line for people: "cron `0 6 * * 1-5` in Europe/Berlin", "every 1h"."""
    if schedule.cron is not None:
        text = f"cron `{schedule.cron}` in {schedule.timezone or 'UTC'}"
    else:
        text = f"every {duration_text(schedule.interval or 0)}"
        if schedule.timezone:
            text += f" ({schedule.timezone})"
    if schedule.start:
        text += f", from {shown_moment(schedule.start, schedule.timezone)}"
    if schedule.end:
        text += f", until {shown_moment(schedule.end, schedule.timezone)}"
    return text


def schedule_key(schedule: Schedule) -> str:
    """What makes a schedule the one it is, as text: its trigger (cron or interval, zone,
    `start`, `end`), not its place in the list nor its params. `pipeflow serve` gives it to the
    runs it starts, so that a run takes the params of the schedule that fired even after the
    config's list was edited, and keys its `catch_up` record by it."""
    fields = [schedule.cron, schedule.timezone, schedule.interval, schedule.start, schedule.end]
    return jsontext.dumps(fields, separators=(",", ":"))


def keyed_schedule(key: str) -> Schedule | None:
    """The trigger of a `schedule_key` as a Schedule (no params), or None for other text."""
    try:
        cron, zone, interval, start, end = json.loads(key)
    except (ValueError, TypeError):
        return None
    return Schedule(cron=cron, timezone=zone, interval=interval, start=start, end=end)


def shown_moment(written: str, timezone: str | None) -> str:
    """A schedule's `start` or `end` as SPEC 7 prints times: ISO 8601 with its offset (in the
    schedule's zone when written without one); as written if it does not read as a time."""
    try:
        return parse_moment(written, zone_for(timezone)).isoformat()
    except ValueError:
        return written


def window_problem(start: datetime, end: datetime) -> str | None:
    """Why `end` cannot close a schedule opened at `start` (both aware), or None."""
    if end > start:
        return None
    if end == start:
        return f"`end` must come after `start`: it is the same moment, {end.isoformat()}"
    return (
        f"`end` must come after `start`: it comes before it (end {end.isoformat()}, "
        f"start {start.isoformat()})"
    )


# Zone names whose meaning is the machine's own: a schedule in one fires at other times on a
# laptop, a CI runner and a server (`right/...` zones count leap seconds: another clock).
_MACHINE_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def timezone_problem(name: str) -> tuple[str, str | None] | None:
    """(message, hint) when a time zone name is unknown, or one that each machine reads its
    own way; None when it is fine."""
    if name in _MACHINE_ZONES or name.startswith("right/"):
        return (
            f"time zone `{name}` means what each machine's own files say: the schedule would "
            "fire at other times on another machine (a CI runner, a server)",
            "name the zone, such as `Europe/Berlin`, or use `UTC`",
        )
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

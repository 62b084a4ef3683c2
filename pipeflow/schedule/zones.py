"""Time zones: wall-clock times to instants (the daylight-saving rules), and a zone's offsets.

The rules, used by every trigger and by `start`/`end`:

- a wall-clock time that occurs twice (clocks go back) means its FIRST occurrence;
- a wall-clock time that does not occur (clocks go forward) means the first instant after the
  gap: 02:30 on the spring-forward day in Europe/Berlin is 03:00 local (01:00 UTC).
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import date, datetime, timedelta, timezone, tzinfo

from pipeflow.records import record

UTC = timezone.utc


def zone_for(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of a schedule's `timezone` (UTC when there is none); ValueError when unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone `{name}`") from error


def local_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The instant a naive wall-clock time in `zone` stands for, under the rules above."""
    if wall.tzinfo is not None:
        raise ValueError(f"expected a wall-clock (naive) time, got {wall.isoformat()}")
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first  # an ordinary time
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first  # occurs twice: fold=0 is the first occurrence
    # In a gap: the two folds read the time with the offsets before and after the jump, so
    # the jump lies between the two instants; the first instant after it is the answer.
    low, high = sorted((first.astimezone(UTC), second.astimezone(UTC)))
    return _transition(zone, low, high).astimezone(zone)


def _transition(zone: tzinfo, low: datetime, high: datetime) -> datetime:
    """The first whole second in (low, high] whose UTC offset in `zone` differs from low's."""
    before = low.astimezone(zone).utcoffset()
    low_s, high_s = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low_s = middle
        else:
            high_s = middle
    return datetime.fromtimestamp(high_s, UTC)


def aware(moment: datetime, what: str = "moment") -> datetime:
    """`moment` itself, or ValueError when it has no time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the {what} must be an aware datetime (with a time zone), got {moment}")
    return moment


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date or time (`start`, `end`); one without an offset is read in `zone`.

    A date alone means midnight at its start. ValueError when `text` is not ISO 8601.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return local_instant(moment, zone)
    return moment


@record
class OffsetPeriod:
    """A stretch of time during which a zone keeps one UTC offset."""

    offset: timedelta
    start: datetime  # aware, in the zone
    end: datetime  # aware, in the zone; the first instant with another offset (or the horizon)
    dst: bool  # daylight-saving (summer) time


def offset_periods(zone: tzinfo, since: datetime, days: int = 365) -> list[OffsetPeriod]:
    """The offsets `zone` uses from `since` for `days` days, in order, with when each applies."""
    since = aware(since, "start").astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    horizon = since + timedelta(days=days)
    periods: list[OffsetPeriod] = []
    start = since
    offset = since.astimezone(zone).utcoffset()
    moment = since
    while moment < horizon:
        following = moment + timedelta(hours=1)
        now_offset = following.astimezone(zone).utcoffset()
        if now_offset != offset:
            change = _transition(zone, moment, following)
            periods.append(_period(zone, start, change))
            start, offset = change, now_offset
        moment = following
    periods.append(_period(zone, start, horizon))
    return periods


def _period(zone: tzinfo, start: datetime, end: datetime) -> OffsetPeriod:
    local = start.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    return OffsetPeriod(offset, local, end.astimezone(zone), bool(local.dst()))


def offset_text(offset: timedelta) -> str:
    """`+01:00`, `-04:00`, `+05:30`."""
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def describe_dates(periods: list[OffsetPeriod], offset: timedelta) -> str:
    """When `offset` applies, in dates: `until 2026-03-29, from 2026-10-25`."""
    first_start = periods[0].start
    last_end = periods[-1].end
    parts = []
    for period in periods:
        if period.offset != offset:
            continue
        opens = period.start != first_start
        closes = period.end != last_end
        start, end = _day(period.start), _day(period.end)
        if opens and closes:
            parts.append(f"{start} to {end}")
        elif opens:
            parts.append(f"from {start}")
        elif closes:
            parts.append(f"until {end}")
        else:
            parts.append("all year")
    return ", ".join(parts)


def _day(moment: datetime) -> date:
    return moment.date()

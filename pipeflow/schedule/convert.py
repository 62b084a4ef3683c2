"""Rewriting schedules as plain cron: a zone's cron in UTC, an interval as a cron expression."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta

from pipeflow.schedule.cron import days_or
from pipeflow.schedule.zones import UTC

_FULL = {0: (0, 59), 1: (0, 23), 2: (1, 31), 3: (1, 12), 4: (0, 6)}


def cron_in_utc(expression: str, offset: timedelta) -> list[str] | None:
    """The UTC cron entries that fire when `expression` fires on a clock at UTC`offset`.

    Minutes and hours move by the offset exactly (an hour whose minutes differ, as with
    +05:30, gets its own entry). When times cross midnight, the day-of-week moves with them;
    a day-of-month moves only when it stays inside 1..28 (so it cannot leave its month), and
    a restricted month cannot move at all: None then, the expression has no exact UTC form.
    """
    from croniter import croniter

    fields = expression.split()
    expanded, nth = croniter.expand(expression)
    if nth or offset.total_seconds() % 60:
        return None
    if not offset:
        return [" ".join(fields)]
    minutes, hours = _values(expanded[0], 0), _values(expanded[1], 1)
    shift = round(offset.total_seconds() / 60)
    by_carry: dict[int, dict[int, set[int]]] = {}
    for hour in hours:
        for minute in minutes:
            carry, moment = divmod(hour * 60 + minute - shift, 1440)
            by_carry.setdefault(carry, {}).setdefault(moment // 60, set()).add(moment % 60)
    by_days: dict[str, dict[int, set[int]]] = {}  # carries with the same day fields merge
    for carry, by_hour in sorted(by_carry.items()):
        days = _days(fields, expanded, carry)
        if days is None:
            return None
        for hour, hour_minutes in by_hour.items():
            by_days.setdefault(days, {}).setdefault(hour, set()).update(hour_minutes)
    entries: list[str] = []
    for days, by_hour in by_days.items():
        by_minutes: dict[frozenset[int], list[int]] = {}
        for hour, hour_minutes in sorted(by_hour.items()):
            by_minutes.setdefault(frozenset(hour_minutes), []).append(hour)
        for utc_minutes, utc_hours in by_minutes.items():
            minute_text = fields[0] if utc_minutes == minutes else render(utc_minutes, 0)
            entry = f"{minute_text} {render(utc_hours, 1)} {days}"
            if entry not in entries:
                entries.append(entry)
    return entries


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def portable(expression: str) -> str:
    """`expression` (5 fields) as every cron reads it, firing at the same times.

    croniter, and so `serve`, reads a range that runs past its field's end as wrapping
    (`22-2`: 22, 23, 0, 1, 2; `fri-mon`), and `?` as `*`; cronie, Vixie cron and GitHub
    refuse both. Such a field is written as its values (`0-2,22,23`), `?` as `*`; every
    other field is kept as written. A day-of-month is never written `*`, which would change
    how the two day fields combine (`days_or`)."""
    fields = expression.split()
    if not any(field == "?" or _wraps(field, index) for index, field in enumerate(fields)):
        return expression
    from croniter import croniter

    expanded, _ = croniter.expand(expression)
    written = []
    for index, field in enumerate(fields):
        if field == "?":
            written.append("*")
        elif _wraps(field, index) and all(isinstance(v, int) for v in expanded[index]):
            text = render(_values(expanded[index], index), index)
            low, high = _FULL[index]
            written.append(f"{low}-{high}" if text == "*" and index == 2 else text)
        else:
            written.append(field)
    return " ".join(written)


def _wraps(field: str, index: int) -> bool:
    """Whether an item of a cron field is a range whose first value is past its last."""
    names = {3: _MONTH_NAMES, 4: _DAY_NAMES}.get(index, ())
    offset = 1 if index == 3 else 0

    def value(text: str) -> int | None:
        if text.isdigit():
            return int(text)
        lowered = text.lower()
        return names.index(lowered) + offset if lowered in names else None

    for item in field.split(","):
        bounds = item.split("/")[0].split("-")
        if len(bounds) == 2:
            first, last = value(bounds[0]), value(bounds[1])
            if first is not None and last is not None and first > last:
                return True
    return False


def _values(expanded: list[int | str], index: int) -> set[int]:
    low, high = _FULL[index]
    if expanded == ["*"]:
        return set(range(low, high + 1))
    return {int(value) for value in expanded}


def _days(fields: list[str], expanded: list[list[int | str]], carry: int) -> str | None:
    """Day-of-month, month and day-of-week fields, moved by `carry` days (None: impossible)."""
    if carry == 0:
        return " ".join(fields[2:])
    if expanded[3] != ["*"]:
        return None
    if not days_or(" ".join(fields)) and "*" not in expanded[2] and "*" not in expanded[4]:
        return None  # both days must match (`*/2`); as moved lists, either one would do
    day_text = "*"
    if "*" not in expanded[2]:
        days = [int(day) + carry for day in expanded[2]]
        if not all(1 <= day <= 28 for day in days):
            return None
        day_text = render(days, 2)
    weekday_text = "*"
    if "*" not in expanded[4]:
        weekday_text = render({(int(day) + carry) % 7 for day in expanded[4]}, 4)
    return f"{day_text} {fields[3]} {weekday_text}"


def render(values: Iterable[int], index: int) -> str:
    """A cron field for a set of values: `*`, `1-23/2`, `1-5`, `0,30`, `4,6-9`."""
    low, high = _FULL[index]
    ordered = sorted(set(values))
    if ordered == list(range(low, high + 1)) and index != 4:
        return "*"
    if len(ordered) >= 3:
        steps = {b - a for a, b in itertools.pairwise(ordered)}
        if len(steps) == 1 and (step := steps.pop()) > 1:
            return f"{ordered[0]}-{ordered[-1]}/{step}"
    parts: list[str] = []
    run: list[int] = []
    for value in [*ordered, None]:
        if run and (value is None or value != run[-1] + 1):
            if len(run) >= 3:
                parts.append(f"{run[0]}-{run[-1]}")
            else:
                parts.extend(str(item) for item in run)
            run = []
        if value is not None:
            run.append(value)
    return ",".join(parts)


def interval_as_cron(seconds: float, anchor: datetime | None) -> str | None:
    """A UTC cron expression firing at `anchor + k * seconds`, or None when cron cannot say it.

    That takes whole minutes dividing an hour (1m ... 30m), whole hours dividing a day
    (1h ... 12h) or exactly a day, and an anchor on a whole minute. Without an anchor the
    times are aligned to the clock (`*/15 * * * *`, `0 * * * *`, `0 0 * * *`).
    """
    if seconds <= 0 or seconds % 60:
        return None
    minutes = int(seconds // 60)
    start = (anchor or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC)
    if start.second or start.microsecond:
        return None
    if minutes < 60 and 60 % minutes == 0:
        return f"{_stepped(start.minute, minutes, 59)} * * * *"
    if minutes % 60 == 0 and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        hour_text = str(start.hour) if hours == 24 else _stepped(start.hour, hours, 23)
        return f"{start.minute} {hour_text} * * *"
    return None


def _stepped(phase: int, step: int, high: int) -> str:
    """Every `step` starting at `phase % step`: `*`, `*/15`, `5-59/15`, `30`."""
    first = phase % step
    if step == 1:
        return "*"
    if first + step > high:
        return str(first)
    return f"*/{step}" if first == 0 else f"{first}-{high}/{step}"

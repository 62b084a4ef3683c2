"""Cron expressions: their checks, nicknames (`@daily`), and the trigger read on a zone's clock.

An expression is 5 fields (minute hour day-of-month month day-of-week) or one of the
nicknames most crons know; `cron_fields` turns a nickname into its 5 fields, and everything
that evaluates or exports a cron goes through it. `@reboot` has no fire time and is refused.
`cron_problem` also refuses an expression that can never fire, such as `0 0 31 2 *`: when
day-of-week is `*`, only the day-of-month decides, and no chosen month has that day. (When
both are restricted, cron fires when EITHER matches, so `0 0 31 2 1` fires on Mondays in
February.) This is decided from the expanded fields, before croniter is asked for a date:
croniter searches for years and then gives up on such an expression.

A day field that starts with `*` counts as unrestricted even with a step (`*/2`), so a day
must then match both fields (`days_or`): that is how Vixie cron and cronie read it, and
`--export crontab` writes the expression as it is, so `serve` must fire when they would.
croniter alone would take `*/2` as restricted and fire when either matches.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pipeflow.errors import did_you_mean
from pipeflow.records import record

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

# Wall-clock candidates that map to an instant at or before the moment asked about (the
# repeated hour after clocks go back, the skipped hour before clocks go forward) are passed
# over; this bounds that loop far above the 60 or so a per-minute expression can produce.
_MAX_CANDIDATES = 10_000
# How far before `start` croniter is asked from: a whole second, which croniter's float
# seconds keep in every year up to 9997 (a microsecond is lost after about 2260). Fires are
# on whole minutes, and one before `start` (a `start` between two of them) is passed over.
_TICK = timedelta(seconds=1)

CRON_HINT = (
    "5 fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12), "
    "day of week (0-6, Sunday is 0), e.g. `0 6 * * 1-5`, or a nickname such as `@daily`"
)
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NICKNAME_LIST = ", ".join(f"`{name}`" for name in NICKNAMES)
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
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # days, leap years counted


def cron_fields(expression: str) -> str:
    """The expression as 5 space-separated fields: a nickname (`@daily`) expanded."""
    text = " ".join(expression.split())
    return NICKNAMES.get(text.lower(), text)


def cron_problem(expression: str) -> tuple[str, str] | None:
    """(message, hint) when a cron expression is invalid or never fires, else None."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        return _nickname_problem(text)
    fields = text.split()
    if len(fields) != 5:
        return (
            f"`{expression}` has {len(fields)} fields; a cron expression has 5: "
            "minute hour day-of-month month day-of-week, e.g. `0 6 * * 1-5`",
            CRON_HINT,
        )
    for index, field_text in enumerate(fields):
        field_problem = _field_problem(index, field_text)
        if field_problem:
            return f"`{expression}` is not a valid cron expression: {field_problem}", CRON_HINT
    if _plain(fields):
        return None
    from croniter import croniter  # ~50 ms to import: only for an expression that needs it

    if not croniter.is_valid(text):
        return f"`{expression}` is not a valid cron expression", CRON_HINT
    never = _never_fires(text)
    if never:
        return (
            f"`{expression}` never fires: {never}",
            "with a day-of-week that is `*` or starts with `*` (`*/2`) the day-of-month "
            "decides: pick a day the chosen months have (1-28 are in every month), or give "
            "a day-of-week such as `1-5` (cron then fires when either matches)",
        )
    return None


# One item of a field in its plainest form: `*`, `5`, `1-5`, each with an optional `/step`.
_PLAIN_ITEM = re.compile(r"(\*|(\d{1,2})(?:-(\d{1,2}))?)(?:/(\d{1,2}))?")


def _plain(fields: list[str]) -> bool:
    """True for an expression croniter certainly accepts and that fires: items of numbers in
    range, `*`, ascending ranges and steps, with day-of-month `*` (so it fires every month).
    Such an expression needs neither croniter's check nor `_never_fires`; anything else
    (names, `L`, `#`, a restricted day-of-month, ...) is left to them."""
    if fields[2] != "*":
        return False
    for index, text in enumerate(fields):
        _, low, high = _FIELDS[index]
        high = 6 if index == 4 else high
        for item in text.split(","):
            found = _PLAIN_ITEM.fullmatch(item)
            if found is None:
                return False
            start, end, step = found.group(2), found.group(3), found.group(4)
            if step is not None and (int(step) < 1 or int(step) > high or (start and not end)):
                return False
            if start is not None and not low <= int(start) <= high:
                return False
            if end is not None and not int(start) <= int(end) <= high:
                return False
    return True


def _nickname_problem(text: str) -> tuple[str, str] | None:
    name = text.lower()
    if name in NICKNAMES:
        return None
    if name == "@reboot":
        return (
            f"`{name}` has no fire time: pipeflow schedules fire at times of day, and "
            "`pipeflow serve` is not started by a reboot",
            "write a time such as `@daily` or `0 6 * * *`; to run at boot, start "
            "`pipeflow run` (or `serve`) from your system's init (systemd, crontab `@reboot`)",
        )
    suggestion = did_you_mean(name, NICKNAMES)
    known = f"the nicknames are {_NICKNAME_LIST}"
    return f"unknown cron nickname `{text}`", f"{suggestion} ({known})" if suggestion else known


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


def _never_fires(expression: str) -> str | None:
    """Why a valid 5-field expression has no fire time at all, or None when it has one."""
    from croniter import croniter

    expanded, _ = croniter.expand(expression)
    days, months, weekdays = expanded[2], expanded[3], expanded[4]
    if "*" in days or (weekdays != ["*"] and days_or(expression)):
        return None  # `*` days exist in every month; with OR a day-of-week fires every week
    # With AND, each day of a month falls on each day of the week in some year.
    chosen = range(1, 13) if months == ["*"] else [int(month) for month in months]
    first = min(int(day) for day in days)
    if any(first <= _LONGEST[month - 1] for month in chosen):
        return None
    listed = sorted({int(day) for day in days})
    day_text = (
        f"day {listed[0]} does not"
        if len(listed) == 1
        else f"days {', '.join(map(str, listed[:-1]))} and {listed[-1]} do not"
    )
    by_length: dict[int, list[str]] = {}
    for month in chosen:
        by_length.setdefault(_LONGEST[month - 1], []).append(_MONTHS[month - 1])
    groups = [
        f"{_or(names)} ({length} days{' at most' if length == 29 else ''})"
        for length, names in by_length.items()  # in month order
    ]
    return f"{day_text} exist in {_or(groups)}"


def days_or(expression: str) -> bool:
    """True when a day matching EITHER day field fires: both are restricted, neither starting
    with `*` (or `?`); otherwise a day must match both (see the module's docstring)."""
    fields = expression.split()
    return not any(fields[index][:1] in ("*", "?") for index in (2, 4))


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


@record
class CronTrigger:
    """Fires at the wall-clock times a cron expression names in `zone`, within start..end.

    croniter walks naive wall-clock times (so it never sees daylight saving); each is turned
    into an instant by `zones.local_instant`: a repeated time fires once (its first
    occurrence), a skipped time fires at the end of the gap. Several skipped times (e.g.
    02:00, 02:15, ... with `*/15`) fall on the same instant and fire once.
    """

    expression: str  # 5 fields (see `cron_fields`)
    zone: ZoneInfo
    start: datetime | None = None  # aware; the first instant a fire may happen at
    end: datetime | None = None  # aware; the last instant a fire may happen at

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after `moment` (aware, in `zone`), or None after `end`."""
        from croniter import CroniterBadDateError, croniter

        from pipeflow.schedule.zones import UTC, aware, local_instant

        after = aware(moment).astimezone(UTC)
        # In UTC: a second taken off `start` on its zone's clock may land in a daylight-saving
        # gap, which reads as an instant an hour later.
        if self.start is not None and self.start.astimezone(UTC) - _TICK > after:
            after = self.start.astimezone(UTC) - _TICK
        wall = after.astimezone(self.zone).replace(tzinfo=None)
        walker = croniter(self.expression, wall, day_or=days_or(self.expression))
        for _ in range(_MAX_CANDIDATES):
            try:
                candidate_wall = walker.get_next(datetime)
                candidate = local_instant(candidate_wall, self.zone)
            except CroniterBadDateError:  # never fires; validation refuses such expressions
                return None
            except (OverflowError, ValueError):  # past the year 9999: no fire time after it
                return None
            if candidate <= after or (self.start is not None and candidate < self.start):
                continue
            if self.end is not None and candidate > self.end:
                return None
            return candidate
        return None

"""Checking cron expressions and time zones; computing fire times comes with `serve`."""

from __future__ import annotations

import zoneinfo


def cron_problem(expression: str) -> str | None:
    """Why a 5-field cron expression is invalid, or None when it is valid."""
    from croniter import croniter  # imported only when a config has a cron schedule

    fields = expression.split()
    if len(fields) != 5:
        return (
            f"`{expression}` has {len(fields)} fields; a cron expression has 5: "
            "minute hour day-of-month month day-of-week, e.g. `0 6 * * 1-5`"
        )
    if not croniter.is_valid(expression):
        return f"`{expression}` is not a valid cron expression"
    return None


def timezone_problem(name: str) -> str | None:
    """Why a time zone name is unknown, or None."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone `{name}`; use an IANA name such as `Europe/Berlin` or `UTC`"
    return None

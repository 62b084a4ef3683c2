"""A zone's cron rewritten in UTC, and intervals as cron, checked against the real fire times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from croniter import croniter

from pipeflow.schedule.convert import cron_in_utc, interval_as_cron, render

UTC = timezone.utc


@pytest.mark.parametrize(
    ("expression", "hours", "expected"),
    [
        ("0 6 * * 1-5", 1, ["0 5 * * 1-5"]),
        ("0 6 * * 1-5", 2, ["0 4 * * 1-5"]),
        ("0 6 * * 1-5", -5, ["0 11 * * 1-5"]),
        ("30 0 * * 1", 1, ["30 23 * * 0"]),
        ("*/15 * * * *", 1, ["*/15 * * * *"]),
        ("0 */2 * * *", 1, ["0 1-23/2 * * *"]),
        ("0 23 1 * *", -5, ["0 4 2 * *"]),
        ("0 6 * * *", 5.5, ["30 0 * * *"]),
        ("0 0,12 * * 1", 1, ["0 23 * * 0", "0 11 * * 1"]),
        ("0 6 * * *", 0, ["0 6 * * *"]),
    ],
)
def test_cron_in_utc(expression: str, hours: float, expected: list[str]) -> None:
    assert cron_in_utc(expression, timedelta(hours=hours)) == expected


@pytest.mark.parametrize(
    ("expression", "hours"),
    [
        ("0 0 1 * *", 1),  # the 1st at 00:00 +01:00 is the last day of the month in UTC
        ("0 0 * 1 *", 1),  # every January day: the first one starts on 31 December in UTC
        ("0 22 28 * *", -5),  # the 28th at 22:00 -05:00 is the 29th, 1st of March some years
    ],
)
def test_no_exact_utc_form(expression: str, hours: float) -> None:
    assert cron_in_utc(expression, timedelta(hours=hours)) is None


@pytest.mark.parametrize(
    "expression",
    ["0 6 * * 1-5", "30 0 * * 1", "*/20 * * * 0,6", "5 0,3,23 * * *", "0 1 2,20 * *", "45 * * * *"],
)
@pytest.mark.parametrize("minutes", [60, 120, -300, -240, 330, 345, -570])
def test_utc_entries_fire_exactly_when_the_local_cron_does(expression: str, minutes: int) -> None:
    """Brute force over 6 weeks: the same instants, local cron vs the union of UTC entries."""
    offset = timedelta(minutes=minutes)
    entries = cron_in_utc(expression, offset)
    assert entries is not None
    start = datetime(2026, 1, 20)
    stop = start + timedelta(weeks=6)
    local = croniter(expression, start)
    want = set()
    while (moment := local.get_next(datetime)) < stop:
        want.add(moment - offset)
    got = set()
    for entry in entries:
        walker = croniter(entry, start - timedelta(days=1))
        while (moment := walker.get_next(datetime)) < stop - offset:
            got.add(moment)
    low, high = start - offset + timedelta(days=1), stop - offset - timedelta(days=1)
    assert {m for m in got if low <= m < high} == {m for m in want if low <= m < high}


def test_render() -> None:
    assert render(range(24), 1) == "*"
    assert render([1, 3, 5, 7], 1) == "1-7/2"
    assert render([1, 2, 3, 5], 4) == "1-3,5"
    assert render([0, 30], 0) == "0,30"
    assert render(range(7), 4) == "0-6"  # never `*`: it would change day-of-month matching


@pytest.mark.parametrize(
    ("seconds", "anchor", "expected"),
    [
        (900, None, "*/15 * * * *"),
        (3600, None, "0 * * * *"),
        (86400, None, "0 0 * * *"),
        (60, None, "* * * * *"),
        (1800, datetime(2026, 1, 1, 7, 40, tzinfo=UTC), "10-59/30 * * * *"),
        (900, datetime(2026, 1, 1, 6, 5, tzinfo=UTC), "5-59/15 * * * *"),
        (7200, datetime(2026, 1, 1, 7, 0, tzinfo=UTC), "0 1-23/2 * * *"),
        (86400, datetime(2026, 1, 1, 7, 30, tzinfo=timezone(timedelta(hours=1))), "30 6 * * *"),
        (5400, None, None),
        (2 * 86400, None, None),
        (45, None, None),
        (900, datetime(2026, 1, 1, 6, 5, 30, tzinfo=UTC), None),
    ],
)
def test_interval_as_cron(seconds: float, anchor: datetime | None, expected: str | None) -> None:
    assert interval_as_cron(seconds, anchor) == expected

"""A cron's `start` is inclusive in every year a schedule may name (2 to 9997), and when it
names a wall-clock time that daylight saving skips.

Before, the first fire was asked of croniter from a microsecond before `start`, and croniter
counts in float seconds: from about the year 2260 on, that microsecond is lost, and a fire
exactly at `start` was skipped (`0 0 1 1 *` from 3000-01-01 first fired in 3001).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.triggers import next_times, trigger_for

UTC = timezone.utc


@pytest.mark.parametrize("year", [2026, 2255, 2300, 3000, 5000, 9000, 9997])
@pytest.mark.parametrize(
    ("cron", "zone"), [("0 0 1 1 *", "UTC"), ("0 0 1 1 *", "Europe/Berlin"), ("*/5 * * * *", "UTC")]
)
def test_a_fire_exactly_at_start_happens(year: int, cron: str, zone: str) -> None:
    start = f"{year}-01-01"  # midnight in the schedule's zone
    trigger = trigger_for(Schedule(cron=cron, timezone=zone, start=start))
    [first] = next_times(trigger, datetime(1, 1, 2, tzinfo=UTC), 1)
    assert first.isoformat().startswith(f"{year}-01-01T00:00:00"), first


@pytest.mark.parametrize("year", [2026, 3000, 9000])
def test_no_fire_comes_before_a_start_between_two_whole_minutes(year: int) -> None:
    start = f"{year}-03-01T06:00:00.500000+00:00"
    trigger = trigger_for(Schedule(cron="* * * * *", start=start))
    [first] = next_times(trigger, datetime(1, 1, 2, tzinfo=UTC), 1)
    assert first.isoformat() == f"{year}-03-01T06:01:00+00:00"


@pytest.mark.parametrize(
    ("cron", "zone", "start", "first"),
    [
        # 02:30 does not exist on 29 March: `start` and the fire are both 03:00+02:00.
        ("30 2 * * *", "Europe/Berlin", "2026-03-29T02:30", "2026-03-29T03:00:00+02:00"),
        # Midnight does not exist on 6 September in Santiago: both are 01:00-03:00.
        ("0 0 * * *", "America/Santiago", "2026-09-06", "2026-09-06T01:00:00-03:00"),
        ("*/15 2 * * *", "America/New_York", "2026-03-08T02:00", "2026-03-08T03:00:00-04:00"),
        # A repeated time: `start` is its first occurrence, and so is the fire.
        ("30 2 * * *", "Europe/Berlin", "2026-10-25T02:30", "2026-10-25T02:30:00+02:00"),
    ],
)
def test_a_start_in_a_daylight_saving_gap_fires_at_the_end_of_the_gap(
    cron: str, zone: str, start: str, first: str
) -> None:
    """Before, a second was taken off `start` on its zone's clock, which lands inside the gap
    and reads as an instant an hour later: the fire at `start` was skipped."""
    trigger = trigger_for(Schedule(cron=cron, timezone=zone, start=start))
    [found] = next_times(trigger, datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert found.isoformat() == first

"""A cron's `start` is inclusive in every year a schedule may name (2 to 9997).

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

"""Fire times at fixed instants: cron in two zones (DST both ways), intervals, start/end."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.triggers import (
    CronTrigger,
    IntervalTrigger,
    describe,
    next_at_or_after,
    next_times,
    trigger_for,
)
from pipeflow.schedule.zones import local_instant, offset_periods, parse_moment

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def iso(moments: list[datetime]) -> list[str]:
    return [moment.isoformat() for moment in moments]


# -- cron ------------------------------------------------------------------------------------


def test_cron_on_a_normal_day_in_its_zone() -> None:
    trigger = trigger_for(Schedule(cron="0 6 * * 1-5", timezone="Europe/Berlin"))
    # Friday 2026-05-08 12:00 UTC: the next weekdays are Mon 11th, Tue 12th, Wed 13th.
    times = next_times(trigger, utc(2026, 5, 8, 12), 3)
    assert iso(times) == [
        "2026-05-11T06:00:00+02:00",
        "2026-05-12T06:00:00+02:00",
        "2026-05-13T06:00:00+02:00",
    ]
    assert times[0].astimezone(UTC) == utc(2026, 5, 11, 4)


def test_cron_without_timezone_is_utc() -> None:
    trigger = trigger_for(Schedule(cron="30 6 * * *"))
    assert trigger.zone == ZoneInfo("UTC")
    assert next_times(trigger, utc(2026, 1, 1), 1) == [utc(2026, 1, 1, 6, 30)]


def test_cron_keeps_local_time_across_a_switch() -> None:
    trigger = trigger_for(Schedule(cron="0 6 * * *", timezone="Europe/Berlin"))
    times = next_times(trigger, utc(2026, 3, 28, 0), 2)
    assert iso(times) == ["2026-03-28T06:00:00+01:00", "2026-03-29T06:00:00+02:00"]
    assert [t.astimezone(UTC).hour for t in times] == [5, 4]


def test_berlin_spring_forward_fires_right_after_the_gap() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    trigger = trigger_for(Schedule(cron="30 2 * * *", timezone="Europe/Berlin"))
    times = next_times(trigger, utc(2026, 3, 28, 12), 3)
    assert iso(times) == [
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    assert times[0].astimezone(UTC) == utc(2026, 3, 29, 1)


def test_berlin_fall_back_fires_once_at_the_first_occurrence() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    trigger = trigger_for(Schedule(cron="30 2 * * *", timezone="Europe/Berlin"))
    times = next_times(trigger, utc(2026, 10, 24, 12), 2)
    assert iso(times) == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]
    assert times[0].astimezone(UTC) == utc(2026, 10, 25, 0, 30)


def test_asking_during_the_repeated_hour_does_not_fire_it_again() -> None:
    trigger = trigger_for(Schedule(cron="*/20 2 * * *", timezone="Europe/Berlin"))
    # 00:50 UTC is 02:50 CEST, the first pass through 02:xx; 01:10 UTC is 02:10 CET, the second.
    assert next_times(trigger, utc(2026, 10, 25, 0, 50), 1) == [
        datetime(2026, 10, 26, 2, 0, tzinfo=BERLIN)
    ]
    assert next_times(trigger, utc(2026, 10, 25, 1, 10), 1) == [
        datetime(2026, 10, 26, 2, 0, tzinfo=BERLIN)
    ]


def test_new_york_spring_forward_gap_fires_once_at_three() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:00, 02:15, ... all fall in the gap.
    trigger = trigger_for(Schedule(cron="*/15 2 * * *", timezone="America/New_York"))
    times = next_times(trigger, utc(2026, 3, 8, 5), 3)
    assert iso(times) == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:00:00-04:00",
        "2026-03-09T02:15:00-04:00",
    ]
    assert times[0].astimezone(UTC) == utc(2026, 3, 8, 7)


def test_new_york_fall_back_fires_once() -> None:
    # 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice.
    trigger = trigger_for(Schedule(cron="30 1 * * *", timezone="America/New_York"))
    times = next_times(trigger, utc(2026, 10, 31, 12), 2)
    assert iso(times) == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]
    assert times[0].astimezone(UTC) == utc(2026, 11, 1, 5, 30)


def test_new_york_normal_day() -> None:
    trigger = trigger_for(Schedule(cron="0 9 * * *", timezone="America/New_York"))
    assert next_times(trigger, utc(2026, 7, 1), 1) == [utc(2026, 7, 1, 13)]
    assert next_times(trigger, utc(2026, 12, 1), 1) == [utc(2026, 12, 1, 14)]


def test_cron_start_and_end() -> None:
    schedule = Schedule(
        cron="0 6 * * *",
        timezone="Europe/Berlin",
        start="2026-05-10T06:00:00+02:00",
        end="2026-05-12",  # a date: midnight at its start, in the schedule's zone
    )
    trigger = trigger_for(schedule)
    # Start is inclusive; the 12th at 06:00 is after `end`.
    assert iso(next_times(trigger, utc(2026, 1, 1), 5)) == [
        "2026-05-10T06:00:00+02:00",
        "2026-05-11T06:00:00+02:00",
    ]
    assert trigger.next_after(utc(2026, 6, 1)) is None


def test_cron_that_never_matches_has_no_fire_times() -> None:
    trigger = trigger_for(Schedule(cron="0 0 30 2 *"))
    assert next_times(trigger, utc(2026, 1, 1), 3) == []


def test_moments_must_be_aware() -> None:
    trigger = trigger_for(Schedule(cron="0 6 * * *"))
    with pytest.raises(ValueError, match="aware"):
        trigger.next_after(datetime(2026, 1, 1))


def test_invalid_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="5"):
        trigger_for(Schedule(cron="0 6 * *"))
    with pytest.raises(ValueError, match="time zone"):
        trigger_for(Schedule(cron="0 6 * * *", timezone="Europe/Berlinn"))


# -- interval --------------------------------------------------------------------------------


def test_interval_counts_from_start() -> None:
    trigger = trigger_for(Schedule(interval=900, start="2026-01-01T00:05:00Z"))
    assert isinstance(trigger, IntervalTrigger)
    assert next_times(trigger, utc(2026, 5, 1, 12, 7), 3) == [
        utc(2026, 5, 1, 12, 20),
        utc(2026, 5, 1, 12, 35),
        utc(2026, 5, 1, 12, 50),
    ]
    # Before `start`, the first fire is `start` itself; a fire time is not "after" itself.
    assert trigger.next_after(utc(2025, 1, 1)) == utc(2026, 1, 1, 0, 5)
    assert trigger.next_after(utc(2026, 1, 1, 0, 5)) == utc(2026, 1, 1, 0, 20)


def test_interval_is_elapsed_time_across_a_switch() -> None:
    trigger = trigger_for(
        Schedule(interval=86400, timezone="Europe/Berlin", start="2026-03-28T06:00")
    )
    times = next_times(trigger, utc(2026, 3, 1), 2)
    assert iso(times) == ["2026-03-28T06:00:00+01:00", "2026-03-29T07:00:00+02:00"]


def test_interval_without_start_needs_an_anchor() -> None:
    schedule = Schedule(interval=3600)
    with pytest.raises(ValueError, match="anchor"):
        trigger_for(schedule)
    anchor = utc(2026, 5, 11, 9, 30)
    trigger = trigger_for(schedule, anchor=anchor)
    assert next_times(trigger, anchor, 2) == [utc(2026, 5, 11, 10, 30), utc(2026, 5, 11, 11, 30)]
    # The anchor is a fire time itself: `serve` fires when it starts.
    assert next_at_or_after(trigger, anchor) == anchor


def test_interval_start_wins_over_anchor_and_end_stops_it() -> None:
    schedule = Schedule(interval=3600, start="2026-01-01T00:00:00Z", end="2026-01-01T02:00:00Z")
    trigger = trigger_for(schedule, anchor=utc(2030, 1, 1))
    assert next_times(trigger, utc(2025, 12, 31), 10) == [
        utc(2026, 1, 1, 0),
        utc(2026, 1, 1, 1),
        utc(2026, 1, 1, 2),
    ]


def test_sub_second_intervals_do_not_drift() -> None:
    trigger = IntervalTrigger(0.1, utc(2026, 1, 1), ZoneInfo("UTC"))
    assert trigger.next_after(utc(2026, 1, 1, 0, 0, 10)) == utc(2026, 1, 1, 0, 0, 10) + timedelta(
        milliseconds=100
    )


# -- zones and descriptions ------------------------------------------------------------------


def test_local_instant_rules() -> None:
    assert local_instant(datetime(2026, 3, 29, 2, 30), BERLIN).isoformat() == (
        "2026-03-29T03:00:00+02:00"
    )
    assert local_instant(datetime(2026, 10, 25, 2, 30), BERLIN).isoformat() == (
        "2026-10-25T02:30:00+02:00"
    )
    assert parse_moment("2026-03-08T02:30", NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"


def test_offset_periods_of_berlin() -> None:
    periods = offset_periods(BERLIN, utc(2026, 5, 11))
    assert [(p.offset.total_seconds() / 3600, p.dst) for p in periods] == [
        (2, True),
        (1, False),
        (2, True),
    ]
    assert periods[1].start.isoformat() == "2026-10-25T02:00:00+01:00"
    assert periods[2].start.isoformat() == "2027-03-28T03:00:00+02:00"


def test_describe() -> None:
    assert describe(Schedule(cron="0 6 * * 1-5", timezone="Europe/Berlin")) == (
        "cron `0 6 * * 1-5` in Europe/Berlin"
    )
    assert describe(Schedule(interval=5400, end="2027-01-01")) == "every 1h30m, until 2027-01-01"


def test_cron_trigger_matches_croniter_in_utc() -> None:
    """In UTC there is no daylight saving: the trigger is croniter, fire for fire."""
    from croniter import croniter

    rng = random.Random(7)
    for expression in ["*/7 3-5 * * *", "0 0 1,15 * *", "15 10 * * 1-5", "0 12 * 2 0"]:
        trigger = CronTrigger(expression, ZoneInfo("UTC"))
        after = utc(2026, 1, 1) + timedelta(minutes=rng.randrange(500_000))
        walker = croniter(expression, after)
        expected = [walker.get_next(datetime) for _ in range(20)]
        assert next_times(trigger, after, 20) == expected

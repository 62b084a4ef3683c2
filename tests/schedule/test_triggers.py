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
    cron_fields,
    cron_problem,
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


def test_a_cron_trigger_that_never_matches_has_no_fire_times() -> None:
    # Validation refuses such an expression (below); the trigger itself still ends cleanly.
    trigger = CronTrigger("0 0 30 2 *", ZoneInfo("UTC"))
    assert next_times(trigger, utc(2026, 1, 1), 3) == []


# -- nicknames and crons that never fire -------------------------------------------------------

NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@pytest.mark.parametrize(("nickname", "fields"), NICKNAMES.items())
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_a_nickname_fires_as_its_five_fields(nickname: str, fields: str, zone: str) -> None:
    assert cron_problem(nickname) is None
    assert cron_fields(nickname) == fields
    assert cron_fields(f"  {nickname.upper()} ") == fields
    after = utc(2026, 3, 1, 12, 34)  # across Europe's and America's spring-forward days
    assert next_times(trigger_for(Schedule(cron=nickname, timezone=zone)), after, 40) == (
        next_times(trigger_for(Schedule(cron=fields, timezone=zone)), after, 40)
    )


def test_a_nickname_keeps_its_spelling_in_descriptions() -> None:
    assert describe(Schedule(cron="@daily", timezone="Europe/Berlin")) == (
        "cron `@daily` in Europe/Berlin"
    )


@pytest.mark.parametrize("reboot", ["@reboot", "@REBOOT", " @reboot "])
def test_reboot_is_refused_because_it_has_no_fire_time(reboot: str) -> None:
    found = cron_problem(reboot)
    assert found is not None
    message, hint = found
    assert "`@reboot` has no fire time" in message
    assert "@daily" in hint
    with pytest.raises(ValueError, match="no fire time"):
        trigger_for(Schedule(cron=reboot))


def test_an_unknown_nickname_suggests_one() -> None:
    found = cron_problem("@dayly")
    assert found is not None
    assert found[0] == "unknown cron nickname `@dayly`"
    assert found[1].startswith("did you mean `@daily`?")
    found = cron_problem("@fortnightly")
    assert found is not None
    assert "@yearly" in found[1]
    assert "@hourly" in found[1]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 0 31 2 *", "day 31 does not exist in February (29 days at most)"),
        ("0 0 30 2 *", "day 30 does not exist in February (29 days at most)"),
        ("0 0 30,31 2 *", "days 30 and 31 do not exist in February (29 days at most)"),
        ("0 0 31 feb *", "day 31 does not exist in February (29 days at most)"),
        ("15 6 31 2 ?", "day 31 does not exist in February (29 days at most)"),
        (
            "0 0 31 4,6,9,11 *",
            "day 31 does not exist in April, June, September or November (30 days)",
        ),
        (
            "*/5 * 31 2,apr *",
            "day 31 does not exist in February (29 days at most) or April (30 days)",
        ),
    ],
)
def test_a_cron_that_never_fires_is_refused_with_the_reason(expression: str, reason: str) -> None:
    found = cron_problem(expression)
    assert found is not None
    message, hint = found
    assert message == f"`{expression}` never fires: {reason}"
    assert "day-of-week" in hint
    with pytest.raises(ValueError, match="never fires"):
        trigger_for(Schedule(cron=expression, timezone="Europe/Berlin"))


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 31 2 1",  # day-of-month OR day-of-week: every Monday in February
        "0 0 31 2 0-6",
        "0 0 30 2 mon-fri",
        "0 0 29 2 *",  # leap years
        "0 0 31 * *",
        "0 0 31 1-2 *",
        "0 0 31 */2 *",
        "0 0 30 2,3 *",
    ],
)
def test_a_cron_that_fires_rarely_or_by_weekday_is_valid(expression: str) -> None:
    assert cron_problem(expression) is None
    assert next_times(trigger_for(Schedule(cron=expression)), utc(2026, 1, 1), 2)


def test_never_fires_agrees_with_croniter() -> None:
    """Every day/month combination: refused exactly when croniter finds no date at all."""
    from croniter import CroniterBadDateError, croniter

    rng = random.Random(11)
    for _ in range(300):
        days = sorted(rng.sample(range(26, 32), rng.randint(1, 3)))
        months = sorted(rng.sample(range(1, 13), rng.randint(1, 4)))
        weekday = rng.choice(["*", "*", "?", "1", "0-6"])
        expression = f"0 0 {','.join(map(str, days))} {','.join(map(str, months))} {weekday}"
        try:
            croniter(expression, datetime(2026, 1, 1)).get_next(datetime)
            fires = True
        except CroniterBadDateError:
            fires = False
        assert (cron_problem(expression) is None) == fires, expression


def test_moments_must_be_aware() -> None:
    trigger = trigger_for(Schedule(cron="0 6 * * *"))
    with pytest.raises(ValueError, match="aware"):
        trigger.next_after(datetime(2026, 1, 1))


def test_invalid_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="5"):
        trigger_for(Schedule(cron="0 6 * *"))
    with pytest.raises(ValueError, match="time zone"):
        trigger_for(Schedule(cron="0 6 * * *", timezone="Europe/Berlinn"))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-05-01", "2026-05-01"),
        ("2026-05-01T00:00:00+02:00", "2026-05-01"),  # the same instant in Berlin
        ("2026-05-01T06:00:00Z", "2026-05-01T08:00:00+02:00"),
        ("2026-05-02", "2026-05-01T21:00:00+00:00"),  # Berlin midnight is 22:00 UTC
    ],
)
def test_an_end_not_after_start_is_refused(start: str, end: str) -> None:
    for schedule in (
        Schedule(cron="0 6 * * *", timezone="Europe/Berlin", start=start, end=end),
        Schedule(interval=3600, timezone="Europe/Berlin", start=start, end=end),
    ):
        with pytest.raises(ValueError, match="`end` must come after `start`"):
            trigger_for(schedule)


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
    assert describe(Schedule(interval=5400, end="2027-01-01")) == (
        "every 1h30m, until 2027-01-01T00:00:00+00:00"
    )
    # `start` and `end` as SPEC 7 prints times: ISO 8601 with the offset of the schedule's zone.
    assert describe(
        Schedule(
            interval=3600, timezone="Europe/Berlin", start="2026-10-25", end="2026-10-26T06:00"
        )
    ) == (
        "every 1h (Europe/Berlin), from 2026-10-25T00:00:00+02:00, until 2026-10-26T06:00:00+01:00"
    )


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

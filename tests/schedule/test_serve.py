"""The serve loop against the real clock, with one- and two-second intervals."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.serve import ServeLocked, Server, Target
from pipeflow.schedule.triggers import schedule_key


class Recorder:
    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.runs: list[datetime] = []
        self.ran: list[tuple[int, datetime]] = []  # (schedule's interval or 0, fire time)
        self.skips: list[str] = []
        self.active = 0
        self.most_at_once = 0
        self.lock = threading.Lock()
        self.lines: list[str] = []

    def run(self, target: Target, schedule: Schedule, when: datetime) -> None:
        with self.lock:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
            self.runs.append(when)
            self.ran.append((schedule.params.get("n", 0), when))
        time.sleep(self.seconds)
        with self.lock:
            self.active -= 1

    def skip(self, target: Target, schedule: Schedule, when: datetime, reason: str) -> None:
        self.skips.append(reason)


def target(folder: Path, *schedules: Schedule) -> Target:
    return Target(
        name="demo", config=str(folder / "p.yaml"), project_dir=str(folder), schedules=schedules
    )


def serve_for(server: Server, seconds: float) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, args=(stop,))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return stop


def test_an_interval_fires_at_start_and_then_every_interval(tmp_path: Path) -> None:
    recorder = Recorder()
    server = Server(
        [target(tmp_path, Schedule(interval=1.0))],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    serve_for(server, 3.5)
    assert 3 <= len(recorder.runs) <= 5
    gaps = [(b - a).total_seconds() for a, b in zip(recorder.runs, recorder.runs[1:], strict=False)]
    assert all(0.5 < gap < 2.5 for gap in gaps)


def test_an_overlapping_fire_is_skipped_never_run_twice_at_once(tmp_path: Path) -> None:
    recorder = Recorder(seconds=2.5)
    server = Server(
        [target(tmp_path, Schedule(interval=1.0))],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    serve_for(server, 3.2)
    assert recorder.most_at_once == 1
    assert recorder.skips
    assert recorder.skips[0] == "the previous run of this schedule is still going"
    assert any("skipped the fire" in line for line in recorder.lines)


def test_stop_lets_the_current_run_finish(tmp_path: Path) -> None:
    recorder = Recorder(seconds=1.5)
    server = Server(
        [target(tmp_path, Schedule(interval=60.0))],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    started = time.monotonic()
    serve_for(server, 0.3)
    assert time.monotonic() - started >= 1.4  # serve returned only after the run ended
    assert recorder.active == 0
    assert len(recorder.runs) == 1
    assert recorder.lines[-1] == "stopped"


def test_a_second_server_for_the_same_pipeline_refuses_to_start(tmp_path: Path) -> None:
    recorder = Recorder()
    first = Server(
        [target(tmp_path, Schedule(interval=60.0))],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    stop = threading.Event()
    thread = threading.Thread(target=first.serve, args=(stop,))
    thread.start()
    time.sleep(0.3)
    second = Server(
        [target(tmp_path, Schedule(interval=60.0))],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    with pytest.raises(ServeLocked, match="already served"):
        second.serve(threading.Event())
    stop.set()
    thread.join(timeout=30)


def _missed_state(folder: Path, schedule: Schedule) -> None:
    state = folder / ".pipeflow" / "serve-state-demo.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    long_ago = datetime.now(timezone.utc) - timedelta(hours=5)
    state.write_text(json.dumps({schedule_key(schedule): long_ago.isoformat()}))


@pytest.mark.parametrize("catch_up", [True, False])
def test_missed_fires_run_once_only_when_configured(tmp_path: Path, catch_up: bool) -> None:
    start = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    recorder = Recorder()
    schedule = Schedule(interval=3600.0, start=start, catch_up=catch_up)
    _missed_state(tmp_path, schedule)
    server = Server(
        [target(tmp_path, schedule)], recorder.run, recorder.skip, recorder.lines.append
    )
    serve_for(server, 1.0)
    # Five hourly fires were missed: at most one run for all of them, and only with catch_up.
    assert len(recorder.runs) == (1 if catch_up else 0)


def test_a_catch_up_follows_its_schedule_not_its_place_in_the_list(tmp_path: Path) -> None:
    # serve fired `hourly` (schedule 1) five hours ago, and stopped.
    five_hours_ago = datetime.now(timezone.utc) - timedelta(hours=5)
    hourly = Schedule(interval=3600.0, params={"n": 1})
    earlier = Server(
        [target(tmp_path, hourly)],
        Recorder().run,
        Recorder().skip,
        [].append,
        clock=lambda: five_hours_ago,
    )
    serve_for(earlier, 0.5)
    # A schedule put first in the list since has never fired: it has nothing to catch up
    # (its next fire is half an hour away). `hourly`, now 2nd, fires at start as before.
    day_ago = (datetime.now(timezone.utc) - timedelta(days=1, minutes=30)).isoformat()
    added = Schedule(interval=3600.0, start=day_ago, catch_up=True, params={"n": 2})
    recorder = Recorder()
    server = Server(
        [target(tmp_path, added, hourly)], recorder.run, recorder.skip, recorder.lines.append
    )
    serve_for(server, 1.0)
    assert [n for n, _ in recorder.ran] == [1], recorder.lines


def test_nothing_to_serve(tmp_path: Path) -> None:
    recorder = Recorder()
    server = Server([target(tmp_path)], recorder.run, recorder.skip, recorder.lines.append)
    server.serve(threading.Event())
    assert recorder.lines == [
        f"not serving demo ({tmp_path / 'p.yaml'}): it has no schedules (add `schedules:`)",
        "nothing to serve: no pipeline has a schedule",
    ]


def test_a_pipeline_without_schedules_beside_one_with_them_is_named(tmp_path: Path) -> None:
    """`serve a.yaml b.yaml` where `a` has no schedules serves `b` and says it skips `a`."""
    recorder = Recorder()
    idle = Target(name="idle", config="idle.yaml", project_dir=str(tmp_path), schedules=())
    hourly = Schedule(interval=3600.0)
    server = Server(
        [idle, target(tmp_path, hourly)], recorder.run, recorder.skip, recorder.lines.append
    )
    serve_for(server, 0.5)
    assert recorder.lines[0] == (
        "not serving idle (idle.yaml): it has no schedules (add `schedules:`)"
    )
    assert recorder.lines[1].startswith("serving demo schedule 1 (every 1h)")


@pytest.mark.parametrize(
    ("cron", "first"),
    [
        ("@daily", "2026-03-08T00:00:00+01:00"),
        ("@midnight", "2026-03-08T00:00:00+01:00"),
        ("@hourly", "2026-03-07T14:00:00+01:00"),
        ("@weekly", "2026-03-08T00:00:00+01:00"),
        ("@monthly", "2026-04-01T00:00:00+02:00"),
        ("@yearly", "2027-01-01T00:00:00+01:00"),
        ("@annually", "2027-01-01T00:00:00+01:00"),
    ],
)
def test_serve_fires_nicknames_at_their_times(tmp_path: Path, cron: str, first: str) -> None:
    recorder = Recorder()
    schedule = Schedule(cron=cron, timezone="Europe/Berlin")
    stop = threading.Event()
    stop.set()  # serve plans its jobs, logs them and returns at once
    Server(
        [target(tmp_path, schedule)],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
        clock=lambda: datetime(2026, 3, 7, 12, 30, tzinfo=timezone.utc),
    ).serve(stop)
    assert recorder.lines[0] == (
        f"serving demo schedule 1 (cron `{cron}` in Europe/Berlin); next at {first}"
    )
    assert recorder.runs == []


def _run_lines(recorder: Recorder) -> str:
    return "\n".join(recorder.lines)


def test_two_schedules_firing_at_once_both_run_one_after_the_other(tmp_path: Path) -> None:
    # Same start, 1s and 2s: every second fire of the first is also a fire of the second.
    start = (datetime.now(timezone.utc) - timedelta(minutes=1)).replace(microsecond=0)
    recorder = Recorder(seconds=0.2)
    server = Server(
        [
            target(
                tmp_path,
                Schedule(interval=1.0, start=start.isoformat(), params={"n": 1}),
                Schedule(interval=2.0, start=start.isoformat(), params={"n": 2}),
            )
        ],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    serve_for(server, 4.5)
    second = [when for n, when in recorder.ran if n == 2]
    first = [when for n, when in recorder.ran if n == 1]
    assert len(second) >= 2, _run_lines(recorder)
    assert len(first) >= 4, _run_lines(recorder)
    assert set(second) <= set(first)  # they did fire at the same moments ...
    assert recorder.most_at_once == 1  # ... and never ran at once
    assert recorder.skips == [], _run_lines(recorder)
    assert any("waits for the run in progress" in line for line in recorder.lines)


def test_two_cron_schedules_firing_at_once_both_run(tmp_path: Path) -> None:
    # `* * * * *` and `*/2 * * * *` both fire at an even minute: the clock runs at the real
    # pace, shifted to 1.5 seconds before one.
    now = datetime.now(timezone.utc)
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if minute.minute % 2:
        minute += timedelta(minutes=1)
    shift = minute - timedelta(seconds=1.5) - now
    recorder = Recorder(seconds=0.2)
    server = Server(
        [
            target(
                tmp_path,
                Schedule(cron="* * * * *", params={"n": 1}),
                Schedule(cron="*/2 * * * *", params={"n": 2}),
            )
        ],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
        clock=lambda: datetime.now(timezone.utc) + shift,
    )
    serve_for(server, 3.0)
    assert sorted(n for n, _ in recorder.ran) == [1, 2], _run_lines(recorder)
    assert {when for _, when in recorder.ran} == {minute}
    assert recorder.most_at_once == 1
    assert recorder.skips == []


def test_a_schedules_own_waiting_fire_is_not_queued_twice(tmp_path: Path) -> None:
    # The first schedule's run takes 1.4 s; the second (every 1 s) waits for it once, and
    # its fire while that one waits is skipped: no burst when the long run ends.
    recorder = Recorder(seconds=1.4)
    server = Server(
        [
            target(
                tmp_path,
                Schedule(interval=3600.0, params={"n": 1}),
                Schedule(interval=1.0, params={"n": 2}),
            )
        ],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    serve_for(server, 1.8)
    assert [n for n, _ in recorder.ran] == [1, 2], _run_lines(recorder)
    assert recorder.most_at_once == 1
    assert recorder.skips == [
        "the previous fire of this schedule is still waiting for the run of schedule 1"
    ], _run_lines(recorder)


def test_a_waiting_fire_does_not_start_once_serve_stops(tmp_path: Path) -> None:
    recorder = Recorder(seconds=1.5)
    server = Server(
        [
            target(
                tmp_path,
                Schedule(interval=3600.0, params={"n": 1}),
                Schedule(interval=3600.0, params={"n": 2}),
            )
        ],
        recorder.run,
        recorder.skip,
        recorder.lines.append,
    )
    serve_for(server, 0.5)
    assert [n for n, _ in recorder.ran] == [1], _run_lines(recorder)
    assert recorder.skips == [
        "serve stopped before the run could start (it waited for the run of schedule 1)"
    ]
    assert recorder.lines[-1] == "stopped"


@pytest.mark.parametrize("ago", [timedelta(seconds=10), timedelta(hours=5)])
def test_an_interval_without_start_has_no_missed_fire_to_catch_up(
    tmp_path: Path, ago: timedelta
) -> None:
    # An interval without `start` counts from serve's start, where it fires anyway: a
    # `catch_up` has nothing to add. It logged "missed the fire at <serve's start>", a fire
    # that had not happened yet, even when the last one was seconds ago.
    schedule = Schedule(interval=3600.0, catch_up=True)
    state = tmp_path / ".pipeflow" / "serve-state-demo.json"
    state.parent.mkdir(parents=True)
    last = datetime.now(timezone.utc) - ago
    state.write_text(json.dumps({schedule_key(schedule): last.isoformat()}))
    recorder = Recorder()
    server = Server(
        [target(tmp_path, schedule)], recorder.run, recorder.skip, recorder.lines.append
    )
    serve_for(server, 1.0)
    assert len(recorder.runs) == 1, recorder.lines  # at start, as without `catch_up`
    assert not [line for line in recorder.lines if "missed" in line], recorder.lines

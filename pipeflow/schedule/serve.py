"""The serve loop: fire each pipeline's schedules on time, one run of a pipeline at a time.

The loop owns timing only; running a pipeline and recording a skipped fire are functions the
caller passes in (the CLI wires them to the API and the history), so this package never
imports the engine. Rules, from SPEC section 7:

1. Each schedule fires at its trigger's next time after the previous fire. An interval with no
   `start` fires first when `serve` starts.
2. Never two runs of one pipeline at once, and overlap is judged per schedule: a fire while
   the same schedule's previous run is still going (or its previous fire still waits) is
   skipped, logged and reported to `on_skip`; a fire while another schedule's run of the
   pipeline is going waits, and runs when that run ends (in the order they fired).
3. No catch-up burst: fires missed while `serve` was not running (or while a run overran) are
   dropped. A schedule with `catch_up: true` runs once at start if it missed any fire since
   the last one this machine recorded (in `.pipeflow/serve-state-PIPELINE.json` beside the
   config, by its trigger, `schedule_key`: not by its place in a list that may change).
4. `request_stop` (the first SIGTERM or SIGINT) ends the loop: it logs that no new runs will
   start and, under the same lock as every fire, sets `stop`, so no run starts after that
   line. Runs in progress finish before `serve` returns, unless `abort` is set (a second
   signal): then each run in progress is stopped with `interrupt` (the CLI sends its process
   SIGINT, which fails its running step, and kills it if it does not end) and `serve` returns
   True.
5. A lock file per pipeline (`.pipeflow/serve-PIPELINE.lock`, flock) keeps a second `serve` on
   the same machine from firing the same pipeline twice; the OS drops it if `serve` is killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from pipeflow.errors import PipeflowError
from pipeflow.model import jsontext
from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.triggers import (
    Trigger,
    describe,
    next_at_or_after,
    schedule_key,
    trigger_for,
)

MAX_SLEEP = 60.0  # wake at least this often: a clock that jumps is noticed within a minute


class ServeLocked(PipeflowError):
    """Another `pipeflow serve` on this machine already serves the pipeline."""

    exit_code = 2


@dataclass(frozen=True)
class Target:
    """One pipeline to serve."""

    name: str
    config: str
    project_dir: str
    schedules: tuple[Schedule, ...]


@dataclass
class _Lane:
    """One pipeline's runs: the fire whose run is going, and the fires waiting for it."""

    running: _Job | None = None
    thread: threading.Thread | None = None
    waiting: list[tuple[_Job, datetime]] = field(default_factory=list)


@dataclass
class _Job:
    target: Target
    index: int
    schedule: Schedule
    trigger: Trigger
    next_fire: datetime | None

    @property
    def label(self) -> str:
        return f"{self.target.name} schedule {self.index + 1} ({describe(self.schedule)})"


RunPipeline = Callable[[Target, Schedule, datetime], object]  # blocks until the run ends
OnSkip = Callable[[Target, Schedule, datetime, str], None]


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Server:
    """Serves several pipelines' schedules in one process."""

    targets: Sequence[Target]
    run: RunPipeline
    on_skip: OnSkip
    log: Callable[[str], None]
    clock: Callable[[], datetime] = _now
    interrupt: Callable[[str], None] | None = None  # stop the run in progress of a pipeline
    _lanes: dict[str, _Lane] = field(default_factory=dict)  # by pipeline
    _locks: list[IO[str]] = field(default_factory=list)
    _gate: threading.Lock = field(default_factory=threading.Lock)  # a fire, or the stop

    def request_stop(self, stop: threading.Event, why: str) -> None:
        """Stop firing: say so, and set `stop`, between two fires (never from a signal
        handler: it takes a lock the interrupted thread may hold)."""
        with self._gate:
            if not stop.is_set():
                self.log(f"{why}; no new runs will start")
                stop.set()

    def serve(self, stop: threading.Event, abort: threading.Event | None = None) -> bool:
        """Fire schedules until `stop` is set, then wait for the runs in progress (or, once
        `abort` is set, stop them). True when runs in progress were stopped."""
        with self._locked():
            for target in self.targets:
                if not target.schedules:
                    self.log(
                        f"not serving {target.name} ({target.config}): it has no schedules "
                        "(add `schedules:`)"
                    )
            jobs = self._jobs()
            if not jobs:
                self.log("nothing to serve: no pipeline has a schedule")
                return False
            for job in jobs:
                self.log(f"serving {job.label}; next at {_show(job.next_fire)}")
            while not stop.is_set():
                due = [job.next_fire for job in jobs if job.next_fire is not None]
                if not due:
                    self.log("no schedule fires any more (all have passed their `end`)")
                    break
                wait = (min(due) - self.clock()).total_seconds()
                if wait > 0 and stop.wait(min(wait, MAX_SLEEP)):
                    break
                now = self.clock()
                for job in jobs:
                    if job.next_fire is not None and job.next_fire <= now:
                        with self._gate:
                            if stop.is_set():
                                break
                            self._fire(job, job.next_fire, stop)
                        # The next fire after now, not after the last one: no burst of missed fires.
                        job.next_fire = job.trigger.next_after(now)
            aborted = self._finish(abort)
            self.log("stopped")
            return aborted

    def _finish(self, abort: threading.Event | None) -> bool:
        """Wait for the runs in progress; stop them once `abort` is set."""
        running = {
            name: lane.thread
            for name, lane in self._lanes.items()
            if lane.thread is not None and lane.thread.is_alive()
        }
        if not running:
            return False
        again = " (signal again to stop them)" if abort is not None else ""
        self.log(f"stopping: waiting for {len(running)} run(s) in progress to finish{again}")
        while any(thread.is_alive() for thread in running.values()):
            if abort is not None and abort.is_set():
                for name, thread in running.items():
                    if thread.is_alive() and self.interrupt is not None:
                        self.log(f"{name}: stopping the run in progress")
                        self.interrupt(name)
                for thread in running.values():
                    thread.join()
                return True
            for thread in running.values():
                thread.join(0.2)
        return False

    # -- jobs -------------------------------------------------------------------------------

    def _jobs(self) -> list[_Job]:
        start = self.clock()
        jobs: list[_Job] = []
        for target in self.targets:
            state = _State(target)
            for index, schedule in enumerate(target.schedules):
                trigger = trigger_for(schedule, anchor=start)
                first = (
                    next_at_or_after(trigger, start)
                    if schedule.start is None and (schedule.interval is not None)
                    else trigger.next_after(start)
                )
                job = _Job(target, index, schedule, trigger, first)
                # An interval without `start` counts from here and fires now anyway: its
                # trigger has no fire before now to have missed.
                key = schedule_key(schedule)
                missed = None if first == start else state.missed(key, trigger, start)
                if schedule.catch_up and missed is not None:
                    self.log(f"{job.label}: missed the fire at {_show(missed)}; running once now")
                    job.next_fire = start
                jobs.append(job)
        return jobs

    def _fire(self, job: _Job, when: datetime, stop: threading.Event) -> None:
        """Start the run of a fire, queue it behind another schedule's run, or skip it."""
        name = job.target.name
        lane = self._lanes.setdefault(name, _Lane())
        _State(job.target).record(schedule_key(job.schedule), when)
        going = lane.running  # a fire waits only while a run is going
        if going is not None:
            reason = None
            if going.index == job.index:
                reason = "the previous run of this schedule is still going"
            elif any(queued.index == job.index for queued, _ in lane.waiting):
                reason = (
                    "the previous fire of this schedule is still waiting for the run of "
                    f"schedule {going.index + 1}"
                )
            if reason is not None:
                self.log(f"{job.label}: skipped the fire at {_show(when)}: {reason}")
                self.on_skip(job.target, job.schedule, when, reason)
                return
            lane.waiting.append((job, when))
            self.log(
                f"{job.label}: the fire at {_show(when)} waits for the run in progress "
                f"(schedule {going.index + 1}) to end"
            )
            return
        self.log(f"{job.label}: firing ({_show(when)})")
        lane.running = job
        lane.thread = threading.Thread(
            target=self._run_lane,
            args=(lane, job, when, stop),
            name=f"pipeflow-serve-{name}",
        )
        lane.thread.start()

    def _run_lane(self, lane: _Lane, job: _Job, when: datetime, stop: threading.Event) -> None:
        """Run a fire, then each fire that waited for it, until none waits or serve stops."""
        while True:
            self._run_one(job, when)
            with self._gate:
                if not lane.waiting:
                    lane.running = None
                    return
                if stop.is_set():
                    self._drop_waiting(lane, job)
                    lane.running = None
                    return
                job, when = lane.waiting.pop(0)
                lane.running = job
                self.log(f"{job.label}: firing ({_show(when)}), after the run it waited for")

    def _drop_waiting(self, lane: _Lane, ended: _Job) -> None:
        reason = (
            "serve stopped before the run could start "
            f"(it waited for the run of schedule {ended.index + 1})"
        )
        for job, when in lane.waiting:
            self.log(f"{job.label}: the fire at {_show(when)} did not run: {reason}")
            self.on_skip(job.target, job.schedule, when, reason)
        lane.waiting.clear()

    def _run_one(self, job: _Job, when: datetime) -> None:
        try:
            self.run(job.target, job.schedule, when)
        except Exception as error:  # one failed run must not end the server
            self.log(f"{job.label}: the run could not start: {error}")

    # -- the lock -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            for target in self.targets:
                path = lock_path(target, "serve")
                handle, holder = try_lock(path)
                if handle is None:
                    raise ServeLocked(
                        f"pipeline `{target.name}` is already served on this machine "
                        f"({holder}; lock {path}); stop that `pipeflow serve` first"
                    )
                mark(handle, f"pid {os.getpid()}")
                self._locks.append(handle)
            yield
        finally:
            for handle in self._locks:
                handle.close()  # closing releases the flock
            self._locks.clear()


def lock_path(target: Target, kind: str) -> Path:
    """Where a pipeline's lock of `kind` lies: `.pipeflow/KIND-PIPELINE.lock` beside its config."""
    folder = Path(target.project_dir) / ".pipeflow"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-{target.name}.lock"


def try_lock(path: Path) -> tuple[IO[str] | None, str]:
    """The lock file at `path`, opened and locked (flock, released when every copy of it is
    closed); or None, and what its holder wrote in it, when another process holds it."""
    handle: IO[str] = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        return None, holder
    return handle, ""


def mark(handle: IO[str], holder: str) -> None:
    """Say in a held lock's file who holds it (for the message of whoever finds it held)."""
    handle.seek(0)
    handle.truncate()
    handle.write(f"{holder}\n")
    handle.flush()


class _State:
    """When each schedule of a pipeline last fired on this machine, for `catch_up`, by each
    schedule's `schedule_key`."""

    def __init__(self, target: Target) -> None:
        self.path = Path(target.project_dir) / ".pipeflow" / f"serve-state-{target.name}.json"

    def _read(self) -> dict[str, str]:
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def missed(self, key: str, trigger: Trigger, now: datetime) -> datetime | None:
        """The first fire between the last recorded one and now, if any."""
        last = self._read().get(key)
        if last is None:
            return None
        try:
            moment = datetime.fromisoformat(last)
        except ValueError:
            return None
        following = trigger.next_after(moment)
        return following if following is not None and following <= now else None

    def record(self, key: str, when: datetime) -> None:
        state = self._read()
        state[key] = when.isoformat()
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            temporary.write_text(jsontext.dumps(state), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass  # only `catch_up` needs it; serving goes on


def _show(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "never"

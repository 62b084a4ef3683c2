"""What the history holds, as read back: `RunRecord`, `StepRecord`, `LogLine`, and the
errors for a run or step it does not have; rows of the database turned into records (a
damaged JSON column reads as empty rather than failing the listing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipeflow.errors import PipeflowError
from pipeflow.model import escaping


class UnknownRun(PipeflowError, KeyError):
    """No run has this id (or the prefix given matches several)."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would show the repr of its argument
        return self.format()

    def format(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class UnknownStep(UnknownRun):
    """The run has no step of this name."""


@dataclass(frozen=True)
class FailedAttempt:
    """An attempt of a step that failed and was retried: its number (1, 2, ...) and error."""

    attempt: int
    error: str


@dataclass(frozen=True)
class StepRecord:
    """One step of a recorded run."""

    step: str
    state: str  # a StepState value: pending, running, done, cached, skipped, failed, not run
    reason: str
    attempts: int
    duration: float | None
    cached: bool
    error: str | None
    traceback: str | None
    locations: tuple[str, ...]
    # The attempts before the last, when they failed (the last one's error is `error`); empty
    # for a run recorded before pipeflow kept them.
    failed_attempts: tuple[FailedAttempt, ...] = ()
    # Why a step that ran (done or failed) ran: the plan's reason, or the one it started with;
    # a failed step's `reason` says how it failed instead. Empty for a step that did not run,
    # and for a run recorded before pipeflow kept it.
    ran_because: str = ""


@dataclass(frozen=True)
class RunRecord:
    """One recorded run; `steps` is filled by `History.run()` only."""

    id: str
    pipeline: str
    state: str  # running, succeeded, failed, interrupted, skipped (a schedule's fire) or lost
    trigger: str  # manual, schedule or ci
    started: datetime
    finished: datetime | None
    duration: float | None
    config_path: str | None
    config_hash: str | None
    params: dict[str, Any]
    done: int = 0
    cached: int = 0
    failed: int = 0
    not_run: int = 0  # after a failure, or in a run that could not start
    steps: tuple[StepRecord, ...] = field(default_factory=tuple)
    # The schedule that fired the run, its number and what it is: `2 (every 15m)`; None for a
    # run no schedule fired, and for one recorded before pipeflow kept it.
    schedule: str | None = None


@dataclass(frozen=True)
class LogLine:
    """One line a step printed (stream stdout or stderr) or logged (stream log)."""

    run_id: str
    step: str
    stream: str
    line: int  # 1, 2, ... within the step, all streams together
    time: datetime
    text: str


def run_record(row: tuple[Any, ...]) -> RunRecord:
    (
        run_id,
        pipeline,
        state,
        trigger,
        started,
        finished,
        duration,
        config_path,
        config_hash,
        params,
        schedule,
        done,
        cached,
        failed,
        not_run,
    ) = row
    try:
        loaded = json.loads(params) if params else {}
    except ValueError:
        loaded = {}
    if isinstance(loaded, dict):  # a history written before params were escaped
        loaded = escaping.printable_data(loaded)
    return RunRecord(
        id=str(run_id),
        pipeline=str(pipeline),
        state=str(state),
        trigger=str(trigger),
        started=datetime.fromisoformat(str(started)),
        finished=datetime.fromisoformat(str(finished)) if finished else None,
        duration=float(duration) if duration is not None else None,
        config_path=config_path,
        config_hash=config_hash,
        params=loaded if isinstance(loaded, dict) else {},
        done=int(done),
        cached=int(cached),
        failed=int(failed),
        not_run=int(not_run),
        schedule=str(schedule) if schedule is not None else None,
    )


def step_record(
    row: tuple[Any, ...], failed_attempts: tuple[FailedAttempt, ...] = ()
) -> StepRecord:
    step, state, reason, attempts, duration, cached, error, traceback, locations, ran = row
    try:
        places = json.loads(locations) if locations else []
    except ValueError:
        places = []
    return StepRecord(
        step=str(step),
        state=str(state),
        reason=str(reason or ""),
        attempts=int(attempts or 0),
        duration=float(duration) if duration is not None else None,
        cached=bool(cached),
        error=error,
        traceback=traceback,
        locations=tuple(str(place) for place in places),
        failed_attempts=failed_attempts,
        ran_because=str(ran or ""),
    )


def log_line(run_id: str, row: tuple[Any, ...]) -> LogLine:
    """A `logs` row (step, stream, line, time as a timestamp, text) as a LogLine."""
    name, stream, line, when, text = row
    return LogLine(
        run_id,
        str(name),
        str(stream),
        int(line),
        datetime.fromtimestamp(float(when), timezone.utc).astimezone(),
        str(text),
    )

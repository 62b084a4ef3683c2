"""Synthetic runs: the events a run emits, built by hand, and workers for other processes."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

from pipeflow.history import Recorder
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.run import Action, Decision, StepOutcome, StepState

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=1)))


def run_events(
    run_id: str,
    *,
    pipeline: str = "demo",
    started: datetime = T0,
    params: dict[str, Any] | None = None,
    lines: int = 2,
    fail: bool = False,
) -> Iterator[Event]:
    """A three-step run: `load` prints, `train` is cached, `report` retries then ends."""
    plan = (
        Decision("load", Action.RUN, "no stored result"),
        Decision("train", Action.CACHED, "up to date"),
        Decision("report", Action.RUN, "`load` runs first"),
    )
    yield RunStarted(run_id, pipeline, started, params or {"count": 3}, plan)
    yield StepStarted(run_id, "load", 1)
    for index in range(lines):
        yield StepOutput(run_id, "load", "stdout", f"loading {index}")
    yield StepOutput(run_id, "load", "log", "INFO-level progress")
    load = StepOutcome(
        "load", StepState.DONE, "no stored result", 0.5, 1, locations=("out/load.json",)
    )
    yield StepFinished(run_id, load)
    train = StepOutcome("train", StepState.CACHED, "up to date", locations=("out/train.pkl",))
    yield StepFinished(run_id, train)
    yield StepStarted(run_id, "report", 1)
    yield StepOutput(run_id, "report", "stderr", "flaky network")
    yield StepRetrying(run_id, "report", 2, "ConnectionError: timed out", 0.1)
    if fail:
        report = StepOutcome(
            "report",
            StepState.FAILED,
            "raised an error",
            0.25,
            2,
            error="ValueError: bad values",
            traceback='Traceback (most recent call last):\n  File "x.py"\nValueError: bad values',
        )
    else:
        report = StepOutcome(
            "report", StepState.DONE, "`load` runs first", 0.25, 2, locations=("out/r.txt",)
        )
    yield StepFinished(run_id, report)
    yield RunFinished(run_id, pipeline, not fail, 1.5, (load, train, report))


def record(recorder: Recorder, events: Sequence[Event] | Iterator[Event]) -> None:
    for event in events:
        recorder(event)


def record_in_process(home: str, index: int, go: ProcessEvent) -> None:
    """A worker: wait for the start signal, then record one run (for the concurrency test)."""
    go.wait(30)
    recorder = Recorder(home=home, trigger="ci")
    run_id = f"20260301-120000-{index:06d}"
    started = T0 + timedelta(seconds=index)
    record(recorder, run_events(run_id, pipeline=f"p{index % 3}", started=started, lines=50))


def hold_lock(path: str, seconds: float, locked: ProcessEvent) -> None:
    """A worker: hold an exclusive write transaction on the database for `seconds`."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("UPDATE meta SET value = value WHERE key = 'application'")
    locked.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def db_path(home: Path) -> Path:
    return home / "runs.db"

"""Events a run emits; reporters and the history subscribe to them, none drives a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from pipeflow.model.run import Decision, StepOutcome
from pipeflow.records import record


@record
class RunStarted:
    run_id: str
    pipeline: str
    started: datetime
    params: Mapping[str, Any]
    plan: tuple[Decision, ...]


@record
class StepStarted:
    run_id: str
    step: str
    attempt: int


@record
class StepRetrying:
    run_id: str
    step: str
    attempt: int
    error: str
    delay: float


@record
class StepFinished:
    run_id: str
    outcome: StepOutcome


@record
class StepOutput:
    """A line a step printed or logged."""

    run_id: str
    step: str
    stream: str  # "stdout", "stderr" or "log"
    text: str


@record
class RunFinished:
    run_id: str
    pipeline: str
    ok: bool
    duration: float
    outcomes: tuple[StepOutcome, ...] = field(default_factory=tuple)
    interrupted: bool = False


Event = RunStarted | StepStarted | StepRetrying | StepFinished | StepOutput | RunFinished
Subscriber = Callable[[Event], None]

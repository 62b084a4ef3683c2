"""Run-time records: step states, plan decisions and what each step ended with."""

from __future__ import annotations

import enum
from dataclasses import field

from pipeflow.records import record

ALL = "*"  # `--force` without a step name: every step (the CLI, the planner and the API share it)


class StepState(str, enum.Enum):
    """Where a step stands in a run."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CACHED = "cached"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_RUN = "not run"

    def __str__(self) -> str:
        return self.value


class Action(str, enum.Enum):
    """What the planner decided for a step before the run."""

    RUN = "run"
    CACHED = "cached"
    RESTORE = "restore"  # cached, with files or payloads to put back from the store first
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


@record
class Decision:
    """The planner's verdict on one step, and why."""

    step: str
    action: Action
    reason: str
    key: str = ""
    # `run` only until the restores before it are done (directly, or through steps waiting
    # for them), or the `pipeflow.read` steps before it have read: decided again then, it may
    # well be cached (`--frozen` does not count it, and lets a read step read again).
    deferred: bool = False


@record
class StepOutcome:
    """How one step ended."""

    step: str
    state: StepState
    reason: str = ""
    duration: float = 0.0
    attempts: int = 0
    error: str | None = None
    traceback: str | None = None
    locations: tuple[str, ...] = field(default_factory=tuple)

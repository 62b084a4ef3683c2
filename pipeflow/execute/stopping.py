"""What a run that Ctrl-C (or SIGTERM) stopped says of the steps it was running: each was
called, once or more (`attempts`), for as long as it ran until then (`duration`), as the
reports, the history and the UI show a step that ended; a step no worker had taken yet was
not called (0 attempts)."""

from __future__ import annotations

import time

from pipeflow.model.run import StepOutcome, StepState


class Stopwatch:
    """When each step of a run was said started, and its attempt so far."""

    def __init__(self) -> None:
        self._began: dict[str, float] = {}
        self._attempts: dict[str, int] = {}

    def started(self, step: str) -> None:
        self._began[step] = time.perf_counter()

    def retrying(self, step: str, attempt: int) -> None:
        """Attempt `attempt` (from 2) of `step` comes. Known as it happens for a step that
        runs in this process; from a worker process, only with its result."""
        self._attempts[step] = max(self._attempts.get(step, 1), attempt)

    def stopped(self, step: str) -> StepOutcome:
        """The outcome of `step`, running as the run was stopped."""
        began = self._began.get(step)
        return StepOutcome(
            step,
            StepState.FAILED,
            "interrupted",
            duration=time.perf_counter() - began if began is not None else 0.0,
            attempts=self._attempts.get(step, 1) if began is not None else 0,
            error="interrupted",
        )

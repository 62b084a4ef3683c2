"""What a run that Ctrl-C (or SIGTERM) stopped says of the steps it was running: each was
called, once or more (`attempts`), for as long as it ran until then (`duration`), as the
reports, the history and the UI show a step that ended; a step no worker had taken yet was
not called (0 attempts).

A step whose worker process had already stored its result whole (its manifest committed)
as the run stopped, while the value was still on its way back, is done: the report says
what the store holds, and a re-run takes it from there. The store is read again for it: the
worker stored it after the run's plan read the store."""

from __future__ import annotations

import time

from pipeflow.cache.journal import JournalIndex
from pipeflow.cache.layout import stored_name
from pipeflow.cache.results import ResultCache
from pipeflow.model.run import StepOutcome, StepState
from pipeflow.plan.planner import Planner
from pipeflow.storage import Manifest

STORED = "stored before the run was interrupted"


class Stopwatch:
    """When each step of a run was said started, and its attempt so far."""

    def __init__(self, planner: Planner, run_id: str) -> None:
        self._planner = planner
        self._run_id = run_id
        self._began: dict[str, float] = {}
        self._attempts: dict[str, int] = {}  # the attempts called so far (from 1)
        self._due: dict[str, float] = {}  # when its next attempt starts (a retry's delay over)

    def started(self, step: str) -> None:
        self._began[step] = time.perf_counter()

    def retrying(self, step: str, attempt: int, delay: float = 0.0) -> None:
        """Attempt `attempt` (from 2) of `step` comes once `delay` seconds have passed: until
        then only the attempts before it were called. Known as it happens on every executor
        (a worker process or a Dask worker tells each retry as it comes)."""
        if attempt > self._attempts.get(step, 1):
            self._attempts[step] = attempt
            self._due[step] = time.perf_counter() + delay

    def elapsed(self, step: str) -> float:
        """Seconds since `step` was said started (0 if it was not): the duration of a step
        whose worker measured none (it died, or the result never came back from it)."""
        began = self._began.get(step)
        return time.perf_counter() - began if began is not None else 0.0

    def stopped(self, step: str, key: str, calls: int | None = None) -> StepOutcome:
        """The outcome of `step` (its result's key `key`), running as the run was stopped;
        `calls`: a `foreach` step's calls of its function so far, over its items."""
        began = self._began.get(step)
        duration = time.perf_counter() - began if began is not None else 0.0
        attempts = self._attempts.get(step, 1) if began is not None else 0
        if began is not None and time.perf_counter() < self._due.get(step, 0.0):
            attempts -= 1  # stopped during a retry's delay: that attempt was not called
        if calls is not None:
            attempts = calls
        cache = self._planner.caches.get(step)
        stored = None
        if cache is not None and key and self._planner.pipeline.steps[step].foreach is None:
            stored = _stored_by(cache, step, key, self._run_id)
        if cache is not None and stored is not None:
            return StepOutcome(
                step,
                StepState.DONE,
                STORED,
                duration=duration,
                attempts=max(attempts, 1),
                locations=cache.locations(stored),
            )
        return StepOutcome(
            step,
            StepState.FAILED,
            "interrupted",
            duration=duration,
            attempts=attempts,
            error="interrupted",
        )


def _stored_by(cache: ResultCache, step: str, key: str, run_id: str) -> Manifest | None:
    """The result of `step` under `key` that run `run_id` committed, read afresh, or None."""
    found = cache.store.read_manifest(cache.manifest_path(step, key))
    if found is None or found.run_id != run_id:
        found = JournalIndex(cache.store, cache.pipeline, stored_name).get(step, key)
    return found if found is not None and found.run_id == run_id else None

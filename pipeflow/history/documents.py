"""The history as JSON documents for programs (`pipeflow runs --json`, `runs show --json`), in
the shapes of the run's `--json` report: a run's `run_id`, `state`, `started`, `summary`...,
and each step's `name`, `state`, `reason`, `attempts`, `cached`, `locations`, `error` and
`failed_attempts`, plus `ran_because` (why a step that ran ran, which a failed step's `reason`,
"raised an error", does not say; null for a step that did not run). Params are as the history
holds them: secrets masked."""

from __future__ import annotations

from typing import Any

from pipeflow.history.records import RunRecord, StepRecord


def run_document(record: RunRecord, *, steps: bool = False) -> dict[str, Any]:
    """One run; with `steps`, each of its steps too (`History.run` fills them)."""
    counts = {
        "done": record.done,
        "cached": record.cached,
        "failed": record.failed,
        "not run": record.not_run,
    }
    document: dict[str, Any] = {
        "run_id": record.id,
        "pipeline": record.pipeline,
        "state": record.state,
        "trigger": record.trigger,
        "schedule": record.schedule,
        "started": record.started.isoformat(),
        "finished": record.finished.isoformat() if record.finished is not None else None,
        "duration": record.duration,
        "config": record.config_path,
        "config_hash": record.config_hash,
        "params": record.params,
        # As the run report's: the states its steps ended in, those with none left out.
        "summary": {state: count for state, count in counts.items() if count},
    }
    if steps:
        document["steps"] = [step_document(step) for step in record.steps]
    return document


def step_document(step: StepRecord) -> dict[str, Any]:
    error = None
    if step.error is not None:
        error = {"message": step.error, "traceback": step.traceback}
    return {
        "name": step.step,
        "state": step.state,
        "reason": step.reason,
        "ran_because": step.ran_because or None,
        "duration": step.duration,
        "attempts": step.attempts,
        "cached": step.cached,
        "locations": list(step.locations),
        "error": error,
        "failed_attempts": [
            {"attempt": failed.attempt, "error": failed.error} for failed in step.failed_attempts
        ],
    }

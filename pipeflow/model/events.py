"""Events a run emits; reporters and the history subscribe to them, none drives a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field, replace
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
    reason: str = ""  # why it runs, as decided when it started ("" when not known)


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


def prefixed(step: str, text: str) -> list[str]:
    """What a step printed as the console, `pipeflow logs` and the UI's text show it: each
    line after the step's name (`step | line`). A log record of several lines (a logged
    traceback) keeps its step on every line, and a carriage return starts a line of its own
    rather than writing over the name."""
    return [f"{step} | {line}" for line in text.splitlines() or [""]]


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


def outcome_texts(outcome: StepOutcome, text: Callable[[str], str]) -> StepOutcome:
    """The outcome with `text` applied to each of its texts (reason, error, traceback,
    locations); the same outcome when `text` changed none (it returns the same str)."""
    reason = text(outcome.reason)
    error = None if outcome.error is None else text(outcome.error)
    traceback = None if outcome.traceback is None else text(outcome.traceback)
    locations = tuple(text(location) for location in outcome.locations)
    if (
        reason is outcome.reason
        and error is outcome.error
        and traceback is outcome.traceback
        and all(a is b for a, b in zip(locations, outcome.locations, strict=True))
    ):
        return outcome
    return replace(outcome, reason=reason, error=error, traceback=traceback, locations=locations)


def decision_texts(decision: Decision, text: Callable[[str], str]) -> Decision:
    """The decision with `text` applied to its reason (the same decision when unchanged)."""
    reason = text(decision.reason)
    return decision if reason is decision.reason else replace(decision, reason=reason)


def event_texts(
    event: Event,
    text: Callable[[str], str],
    params: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> Event:
    """The event with `text` applied to every text a step or the plan put in it (what a step
    printed, errors, tracebacks, reasons) and `params` to a run's params; names (run,
    pipeline, step) are the config's and stay. The same event when nothing changed: masking
    secrets and escaping what no UTF-8 writer takes go through here."""
    if isinstance(event, StepOutput):
        changed = text(event.text)
        return event if changed is event.text else replace(event, text=changed)
    if isinstance(event, StepFinished):
        outcome = outcome_texts(event.outcome, text)
        return event if outcome is event.outcome else replace(event, outcome=outcome)
    if isinstance(event, StepStarted):
        reason = text(event.reason)
        return event if reason is event.reason else replace(event, reason=reason)
    if isinstance(event, StepRetrying):
        error = text(event.error)
        return event if error is event.error else replace(event, error=error)
    if isinstance(event, RunStarted):
        plan = tuple(decision_texts(decision, text) for decision in event.plan)
        return replace(event, params=params(event.params), plan=plan)
    if isinstance(event, RunFinished):
        outcomes = tuple(outcome_texts(outcome, text) for outcome in event.outcomes)
        return replace(event, outcomes=outcomes)
    return event

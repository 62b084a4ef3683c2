"""The console reporter: one plain line per event, step output prefixed by the step's name."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from pipeflow.model.durations import format_duration
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
    prefixed,
)
from pipeflow.model.run import Action, StepOutcome, StepState
from pipeflow.storage.journal import settle

QUIET, NORMAL, VERBOSE = 0, 1, 2

_MARKS = {
    StepState.DONE: "done",
    StepState.CACHED: "cached",
    StepState.SKIPPED: "skipped",
    StepState.FAILED: "FAILED",
    StepState.NOT_RUN: "not run",
}


class ConsoleReporter:
    """Writes a run's events as lines a person or a CI log can follow."""

    settles_results = True  # see `pipeflow.api.running`

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbosity: int = NORMAL,
        foreach: frozenset[str] = frozenset(),
    ) -> None:
        # Bound now: while a run is active sys.stdout is the step-output router.
        self.stream = stream or sys.stdout
        self.verbosity = verbosity
        # `foreach` steps: their attempts count the calls over all their items, not retries.
        self.foreach = foreach

    def __call__(self, event: Event) -> None:
        line = self.render(event)
        if line is not None:
            if isinstance(event, StepFinished):
                settle()  # a step shown finished has its result written (`journal.py`)
            write_shown(self.stream, line + "\n")
            self.stream.flush()

    def render(self, event: Event) -> str | None:
        loud = self.verbosity >= NORMAL
        if isinstance(event, RunStarted):
            if not loud:
                return None
            counts = _count(DEFERRED if d.deferred and not d.key else d.action for d in event.plan)
            return f"run {event.run_id} of pipeline `{event.pipeline}`: {counts}"
        if isinstance(event, StepStarted):
            return f"{event.step}: started" if loud else None
        if isinstance(event, StepRetrying):  # under -q, the step's FAILED line counts them
            if not loud:
                return None
            return (
                f"{event.step}: attempt {event.attempt - 1} failed ({event.error}); "
                f"retrying in {format_duration(event.delay)}"
            )
        if isinstance(event, StepOutput):
            return "\n".join(prefixed(event.step, event.text)) if loud else None
        if isinstance(event, StepFinished):
            return self._finished(event.outcome)
        if isinstance(event, RunFinished):
            return self._summary(event)
        return None

    def _finished(self, outcome: StepOutcome) -> str | None:
        state = outcome.state
        if state is StepState.FAILED:
            calls = "calls over its items" if outcome.step in self.foreach else "attempts"
            attempts = f" after {outcome.attempts} {calls}" if outcome.attempts > 1 else ""
            line = f"{outcome.step}: FAILED{attempts}: {_shortened(outcome.error or '')}"
            if outcome.traceback and outcome.reason != "interrupted":
                line += "\n" + _indent(outcome.traceback)
            return line
        if self.verbosity < NORMAL:
            return None
        if state is StepState.DONE:
            line = f"{outcome.step}: done in {format_duration(outcome.duration)}"
            if self.verbosity >= VERBOSE and outcome.locations:
                line += "\n" + "\n".join(f"    stored {loc}" for loc in outcome.locations)
            return line
        return f"{outcome.step}: {_MARKS.get(state, str(state))} ({outcome.reason})"

    def _summary(self, event: RunFinished) -> str:
        counts: dict[str, int] = {}
        for outcome in event.outcomes:
            label = _MARKS.get(outcome.state, str(outcome.state)).lower()
            counts[label] = counts.get(label, 0) + 1
        detail = ", ".join(f"{n} {label}" for label, n in counts.items())
        if event.interrupted:
            verdict = "interrupted"
        else:
            verdict = "succeeded" if event.ok else "failed"
        return f"run {event.run_id} {verdict} in {format_duration(event.duration)}: {detail}"


def write_shown(stream: TextIO, text: str) -> None:
    """Write `text` to a console, what its encoding lacks (an ASCII or Latin-1 terminal, and
    a step's output or error may hold any character) as its escape (`\\xe9`), as Python's
    stderr shows it: a line lost to a UnicodeEncodeError would hide a failure's message."""
    try:
        stream.write(text)
    except UnicodeEncodeError:  # raised before any of it was written
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))


LONGEST_ERROR = 2000  # characters of a failure's message on its FAILED line


def _shortened(error: str) -> str:
    """A failure's message for its FAILED line: a very long one (a whole response body, a
    frame's repr) is cut, and what is left out is said; the traceback under it, the history
    and the reports keep all of it."""
    if len(error) <= LONGEST_ERROR:
        return error
    left = len(error) - LONGEST_ERROR
    return f"{error[:LONGEST_ERROR]} [... {left:,} more characters: `pipeflow runs show`]"


# A step to run only until what it waits for is done (restores, reads, under `--frozen` an
# unstored step): decided again then, it may well be cached, so not counted as to run. One
# `deferred` for itself (a read, an unstored step under `--frozen`) has its key: it runs.
DEFERRED = "deferred"


def _count(actions: Iterable[Action | str]) -> str:
    counts: dict[str, int] = {}
    for action in actions:
        label = {
            Action.RUN: "to run",
            Action.CACHED: "cached",
            Action.RESTORE: "to restore",
            Action.SKIPPED: "skipped",
            DEFERRED: "to decide later",
        }[action]
        counts[label] = counts.get(label, 0) + 1
    total = sum(counts.values())
    noun = "step" if total == 1 else "steps"
    return f"{total} {noun} (" + ", ".join(f"{n} {label}" for label, n in counts.items()) + ")"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())

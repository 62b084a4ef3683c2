"""Live progress on a terminal with rich: steps running, done, cached, failed, and a summary.

rich is imported here and nowhere else. Step output scrolls above the live table, prefixed
with the step's name, so what a step prints is never hidden by the progress display.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from pipeflow.model.durations import format_duration
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.run import StepState
from pipeflow.storage.journal import settle

_STYLES = {
    "waiting": ("·", "dim"),
    "running": ("▶", "bold cyan"),
    StepState.DONE.value: ("✔", "green"),
    StepState.CACHED.value: ("↺", "blue"),
    StepState.SKIPPED.value: ("-", "dim"),
    StepState.FAILED.value: ("✘", "bold red"),
    StepState.NOT_RUN.value: ("·", "yellow"),
}


class LiveReporter:
    """A rich Live display for one run at a time; use as a subscriber."""

    settles_results = True  # see `pipeflow.api.running`

    def __init__(self, stream: TextIO, *, force_terminal: bool | None = None) -> None:
        from rich.console import Console

        self.console = Console(file=stream, highlight=False, force_terminal=force_terminal)
        self._live: Any = None
        self._states: dict[str, str] = {}
        self._reasons: dict[str, str] = {}
        self._started: dict[str, float] = {}
        self._durations: dict[str, float] = {}
        self._run_started = 0.0
        self._title = ""

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._begin(event)
        elif isinstance(event, StepStarted):
            self._states[event.step] = "running"
            self._started[event.step] = time.perf_counter()
        elif isinstance(event, StepRetrying):
            self.console.print(
                f"[yellow]{event.step}[/]: attempt {event.attempt - 1} failed "
                f"({_escape(event.error)}); retrying in {format_duration(event.delay)}"
            )
        elif isinstance(event, StepOutput):
            for line in event.text.splitlines() or [""]:  # each after its step's name
                self.console.print(f"[dim]{event.step} |[/] {_escape(line)}")
        elif isinstance(event, StepFinished):
            settle()  # a step shown finished has its result written (`journal.py`)
            outcome = event.outcome
            self._states[outcome.step] = outcome.state.value
            self._reasons[outcome.step] = outcome.reason
            self._durations[outcome.step] = outcome.duration
            if outcome.state is StepState.FAILED:
                self.console.print(f"[bold red]{outcome.step} failed[/]: {_escape(outcome.error)}")
                if outcome.traceback and outcome.reason != "interrupted":
                    self.console.print(_escape(outcome.traceback), style="red")
        elif isinstance(event, RunFinished):
            self._end(event)
            return
        if self._live is not None:
            self._live.update(self._table())

    def _begin(self, event: RunStarted) -> None:
        from rich.live import Live

        self._title = f"run {event.run_id} of `{event.pipeline}`"
        self._run_started = time.perf_counter()
        self._states = {d.step: "waiting" for d in event.plan}
        self._live = Live(self._table(), console=self.console, refresh_per_second=8, transient=True)
        self._live.start()

    def _end(self, event: RunFinished) -> None:
        for outcome in event.outcomes:  # steps the run told nothing of (it could not start)
            if self._states.get(outcome.step, "waiting") in ("waiting", "running"):
                self._states[outcome.step] = outcome.state.value
                self._reasons[outcome.step] = outcome.reason
        if self._live is not None:
            self._live.stop()
            self._live = None
        self.console.print(self._table(final=True))
        verdict = "interrupted" if event.interrupted else "succeeded" if event.ok else "failed"
        colour = "green" if event.ok else "red"
        self.console.print(
            f"[{colour}]{self._title} {verdict}[/] in {format_duration(event.duration)}"
        )

    def _table(self, *, final: bool = False) -> Any:
        from rich.table import Table

        elapsed = time.perf_counter() - self._run_started
        table = Table(
            title=None if final else f"{self._title} — {format_duration(elapsed)}",
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("step")
        table.add_column("state")
        table.add_column("time", justify="right")
        table.add_column("why", overflow="fold")
        now = time.perf_counter()
        for step, state in self._states.items():
            mark, style = _STYLES.get(state, ("?", ""))
            if state == "running":
                seconds = format_duration(now - self._started.get(step, now))
            elif step in self._durations and state == StepState.DONE.value:
                seconds = format_duration(self._durations[step])
            else:
                seconds = ""
            table.add_row(step, f"[{style}]{mark} {state}[/]", seconds, self._reasons.get(step, ""))
        return table


def _escape(text: str | None) -> str:
    from rich.markup import escape

    return escape(text or "")

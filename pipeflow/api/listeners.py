"""The subscribers of one run: every event to each, and a subscriber's exception reported, never
raised into the run.

A subscriber watches a run and never drives one (`model/events.py`): a notification hook whose
network is down must not fail the run, stop it half-way, or leave its history saying a finished
step is still running. Its exception is a `SubscriberWarning` naming it, the error and the
event; it goes on hearing of the run's events (the next may get through), and one that raised
more than once is counted at the end of the run. The history's recorder, a subscriber too,
keeps its own failures to itself (`history/recorder.py`).

Events come from steps' threads too, under the engine's lock: a warning shown from a step's
thread would be captured as that step's output, an event sent back while the lock is held. So
warnings wait for the thread that drives the run, as the recorder's do.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pipeflow.errors import PipeflowWarning
from pipeflow.model.events import Event, StepFinished, StepOutput, StepRetrying, StepStarted
from pipeflow.records import record
from pipeflow.storage.journal import settle

Subscriber = Callable[[Event], None]


def console(shown: Any, foreach: Iterable[str]) -> tuple[Subscriber, ...]:
    """The subscriber of `run(console=...)`: the lines `pipeflow run` writes when its output is
    no terminal (a notebook's, a log's), on stdout (`True`) or a text stream; none (`False`).
    `foreach`: the names of the pipeline's `foreach` steps."""
    if shown is False:
        return ()
    if shown is not True and not callable(getattr(shown, "write", None)):
        raise TypeError(f"`console` takes True, False or a text stream, got {shown!r}")
    from pipeflow.report.console import ConsoleReporter

    stream = None if shown is True else shown  # None: stdout, as the run starts
    return (ConsoleReporter(stream, foreach=frozenset(foreach)),)


class SubscriberWarning(PipeflowWarning):
    """A subscriber passed to `Pipeline.run(subscribers=...)` raised; the run went on."""


@record(frozen=False)
class _Failures:
    first: str  # the warning about the first failure
    count: int = 1


class Listeners:
    """Calls each subscriber with each event of one run; see the module's docstring."""

    def __init__(self, subscribers: Sequence[Subscriber], *, settling: bool) -> None:
        self.subscribers = list(subscribers)
        self.settling = settling  # a finished step's held result is written before it is told
        self.events = 0
        self._thread = threading.get_ident()  # the thread that drives the run
        self._failures: dict[int, _Failures] = {}  # by the subscriber's position
        self._unsaid: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if self.settling and isinstance(event, StepFinished):
            settle()
        self.events += 1
        for position, subscriber in enumerate(self.subscribers):
            try:
                subscriber(event)
            except Exception as error:
                self._failed(position, subscriber, event, error)
        if self._unsaid and not isinstance(event, StepOutput):
            self.warn()

    def _failed(
        self, position: int, subscriber: Subscriber, event: Event, error: Exception
    ) -> None:
        with self._lock:
            failures = self._failures.get(position)
            if failures is not None:
                failures.count += 1
                return
            message = (
                f"subscriber `{_name(subscriber)}` raised {type(error).__name__}: {error} "
                f"({_about(event)}); the run goes on, and the subscriber still hears of its events"
            )
            self._failures[position] = _Failures(message)
            self._unsaid.append(message)

    def warn(self) -> None:
        """Show what is waiting to be said, from the thread that drives the run only."""
        if threading.get_ident() != self._thread:
            return
        with self._lock:
            unsaid, self._unsaid = self._unsaid, []
        for message in unsaid:
            warnings.warn(message, SubscriberWarning, stacklevel=2)

    def close(self, run_id: str) -> None:
        """At the run's end: what is still unsaid, and how often each subscriber raised."""
        self.warn()
        for position, failures in sorted(self._failures.items()):
            if failures.count > 1:
                name = _name(self.subscribers[position])
                events = (
                    f"all {self.events}"
                    if failures.count == self.events
                    else f"{failures.count} of the {self.events}"
                )
                warnings.warn(
                    f"subscriber `{name}` raised on {events} events of run {run_id}",
                    SubscriberWarning,
                    stacklevel=2,
                )


def _name(subscriber: Subscriber) -> str:
    """`module.function`, or `module.Class` for an instance that is called."""
    named = subscriber if hasattr(subscriber, "__qualname__") else type(subscriber)
    module = getattr(named, "__module__", None)
    qualname = getattr(named, "__qualname__", repr(subscriber))
    return f"{module}.{qualname}" if module else qualname


def _about(event: Event) -> str:
    kind = type(event).__name__
    if isinstance(event, StepFinished):
        return f"on {kind} of step `{event.outcome.step}`"
    if isinstance(event, StepStarted | StepOutput | StepRetrying):
        return f"on {kind} of step `{event.step}`"
    return f"on {kind}"

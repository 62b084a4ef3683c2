"""What a run says, and in what order: every event masked and escaped on its way out, a step
said started before what it prints and before a retry's notice (`announcing.py`), and its
warnings kept as its log lines too."""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Mapping

from pipeflow.execute.announcing import Announcements
from pipeflow.execute.context import RunSettings
from pipeflow.execute.stopping import Stopwatch
from pipeflow.execute.task import Task
from pipeflow.model import escaping
from pipeflow.model.events import Event, StepOutput, StepRetrying, StepStarted
from pipeflow.model.run import Decision
from pipeflow.storage import ResultWarning


class Voice:
    """The one way a run's events go out to its subscribers."""

    def __init__(
        self,
        settings: RunSettings,
        emit: Callable[[Event], None],
        stopwatch: Stopwatch,
        decisions: Mapping[str, Decision],
        item_said: Callable[[Task], str],
    ) -> None:
        """`decisions`: the run's, as it decides them again; `item_said`: how messages name
        the item of a `foreach` step's task."""
        self._settings = settings
        self._emit = emit
        self._lock = threading.Lock()
        self._announcements = Announcements()  # "started" before output and retries
        self._stopwatch = stopwatch
        self._decisions = decisions
        self._item_said = item_said

    def emit(self, event: Event) -> None:
        """Every event passes here: what subscribers see has its secrets masked, and what no
        UTF-8 writer takes (a lone surrogate from a file name) escaped (`escaping.py`)."""
        event = escaping.event(self._settings.secrets.event(event))
        with self._lock:  # events come from worker threads too
            self._emit(event)

    def expect(self, step: str) -> None:
        """`step` is handed over: said started later, as a worker takes it."""
        self._announcements.expect(step)

    def started(self, step: str) -> None:
        self._announcements.started(step, functools.partial(self._say_started, step))

    def ending(self, step: str) -> None:
        """`step` ends: said started first if something waited for its start."""
        self._announcements.ending(step, functools.partial(self._say_started, step))

    def output(self, step: str, stream: str, text: str) -> None:
        said = StepOutput(self._settings.run_id, step, stream, text)
        self._announcements.say(step, functools.partial(self.emit, said))

    def warn(self, step: str, message: str) -> None:
        """A Python warning (the CLI prints it as one line) that the run's events, and so its
        history, also keep, as a log line of the step."""
        message = self._settings.secrets.mask(message)
        self.output(step, "log", f"WARNING: {message}")
        warnings.warn(message, ResultWarning, stacklevel=3)

    def retrying(self, task: Task, attempt: int, error: str, delay: float) -> None:
        """Attempt `attempt` (from 2) of `task` comes after `delay`; an item's error names it."""
        if task.item is None:
            self._stopwatch.retrying(task.step, attempt, delay)
        else:
            error = f"{self._item_said(task)}: {error}"
        said = StepRetrying(self._settings.run_id, task.step, attempt, error, delay)
        self._announcements.say(task.step, functools.partial(self.emit, said))

    def _say_started(self, step: str) -> None:
        self._stopwatch.started(step)
        decision = self._decisions.get(step)
        reason = decision.reason if decision else ""
        self.emit(StepStarted(self._settings.run_id, step, 1, reason))

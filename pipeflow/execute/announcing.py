"""A step is said started before anything it prints: its output waits here until then.

A threads pool may begin a step before the run's thread says it started: the task is handed
to the pool first, and a worker that ends a task takes the next queued one at once, while the
run's thread says that one started only once it has handled the end before
(`dispatching.py`). What the step prints in between is held and given out right after its
start, so the console, the JSON lines and the history all read "started" first. A step that
ends without having been said started (a process worker's output is replayed as its task
ends) is said started as it ends if it printed anything; one that never began says nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Say = Callable[[], None]
Output = Callable[[str, str, str], None]  # (step, stream, text)


class Announcements:
    """The steps handed over and not yet said started, with what they printed meanwhile."""

    def __init__(self, output: Output) -> None:
        self._output = output
        self._lock = threading.Lock()  # output comes from worker threads
        self._held: dict[str, list[tuple[str, str]]] = {}
        self._said: set[str] = set()

    def expect(self, step: str) -> None:
        """`step` is handed over; its start is said later, and its output waits for it."""
        with self._lock:
            self._held.setdefault(step, [])

    def output(self, step: str, stream: str, text: str) -> None:
        with self._lock:
            held = self._held.get(step)
            if held is not None:
                held.append((stream, text))
            else:
                self._output(step, stream, text)

    def started(self, step: str, say: Say) -> None:
        """Say `step` started (once), then what it printed so far."""
        with self._lock:
            if step in self._said:
                return
            self._said.add(step)
            held = self._held.pop(step, [])
            say()
            for stream, text in held:
                self._output(step, stream, text)

    def ending(self, step: str, say: Say) -> None:
        """`step` ends: said started first if it printed while not yet said so."""
        with self._lock:
            held = self._held.pop(step, None)
            self._said.add(step)
            if held:
                say()
                for stream, text in held:
                    self._output(step, stream, text)

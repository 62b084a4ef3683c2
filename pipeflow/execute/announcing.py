"""A step is said started before anything else is said of it: what comes first waits here.

A threads pool may begin a step before the run's thread says it started: the task is handed
to the pool first, and a worker that ends a task takes the next queued one at once, while the
run's thread says that one started only once it has handled the end before
(`dispatching.py`). What the step prints, and the notice of a retry, in between are held and
given out right after its start, so the console, the JSON lines and the history all read
"started" first. A step that ends without having been said started (a process worker's output
is replayed as its task ends) is said started as it ends if anything waited; one that never
began says nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Say = Callable[[], None]


class Announcements:
    """The steps handed over and not yet said started, with what waits to be said of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # events come from worker threads
        self._held: dict[str, list[Say]] = {}
        self._said: set[str] = set()

    def expect(self, step: str) -> None:
        """`step` is handed over; its start is said later, and what comes before it waits."""
        with self._lock:
            self._held.setdefault(step, [])

    def say(self, step: str, say: Say) -> None:
        """Say something of `step` now, or once it is said started."""
        with self._lock:
            held = self._held.get(step)
            if held is not None:
                held.append(say)
            else:
                say()

    def started(self, step: str, say: Say) -> None:
        """Say `step` started (once), then what waited for it."""
        with self._lock:
            if step in self._said:
                return
            self._said.add(step)
            held = self._held.pop(step, [])
            say()
            for waiting in held:
                waiting()

    def ending(self, step: str, say: Say) -> None:
        """`step` ends: said started first if something waited for its start."""
        with self._lock:
            held = self._held.pop(step, None)
            self._said.add(step)
            if held:
                say()
                for waiting in held:
                    waiting()

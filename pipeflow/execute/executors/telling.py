"""Retries told as they come, from the processes executor's workers to the run's process.

A worker's step that fails and is retried says so before its retry delay, on a queue its
pool shares with the run's process, where a thread hands it to the engine at once: a run that
Ctrl-C stops during the delay, or the attempt after it, then has said each failed attempt and
its error, as the in-process executors do. The result carries every retry too (`working.py`):
those not told by the time it comes back are left in it for the engine to replay, the others
taken out, so each is said once, and before the step's end.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from pipeflow.execute.task import Notify, TaskResult
from pipeflow.records import record


@record(frozen=False, eq=False)
class _Expected:
    notify: Notify
    told: int = 0


class Told:
    """The run's side: the queue a pool's workers tell on, and the thread reading it."""

    def __init__(self, context: Any) -> None:
        self.queue: Any = context.SimpleQueue()
        self._lock = threading.Lock()
        self._expected: dict[int, _Expected] = {}
        self._reader = threading.Thread(target=self._read, name="pipeflow-retries", daemon=True)
        self._reader.start()

    def expect(self, number: int, notify: Notify) -> None:
        """The task `number` is sent: its retries go to `notify`."""
        with self._lock:
            self._expected[number] = _Expected(notify)

    def back(self, number: int, result: TaskResult | None) -> TaskResult | None:
        """The task `number` has ended: its result without the retries told already."""
        with self._lock:
            expected = self._expected.pop(number, None)
        if result is None or expected is None or not expected.told:
            return result
        return replace(result, retries=result.retries[expected.told :])

    def close(self) -> None:
        self.queue.put(None)
        self._reader.join(5)

    def _read(self) -> None:
        while True:
            try:
                told = self.queue.get()
            except (EOFError, OSError):
                return
            if told is None:
                return
            number, step, attempt, error, delay = told
            with self._lock:  # said before `back` takes the result: never after the step ends
                expected = self._expected.get(number)
                if expected is not None:
                    expected.told += 1
                    expected.notify(step, attempt, error, delay)


_queue: Any = None  # in a worker: its pool's queue


def listen_on(queue: Any) -> None:
    """In a new worker: where its retries are told."""
    global _queue
    _queue = queue


def teller(number: int) -> Notify | None:
    """In a worker: what tells the retries of the task `number`."""
    queue = _queue
    if queue is None:
        return None

    def tell(step: str, attempt: int, error: str, delay: float) -> None:
        queue.put((number, step, attempt, error, delay))

    return tell

"""The tasks an executor has in flight against its workers: whether one is handed over while
every worker is busy (`ahead`: it waits for one), which a run that stops after a failure never
begins (SPEC 6: start nothing new), while one handed to a free worker has begun."""

from __future__ import annotations

import threading


class InFlight:
    """A count of the tasks handed over and not ended, against `workers`."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()  # handed on the run's thread, ended on the pool's
        self._count = 0

    def handed(self) -> bool:
        """A task is handed over: whether every worker was busy with another."""
        with self._lock:
            ahead = self._count >= self.workers
            self._count += 1
        return ahead

    def ended(self, _: object = None) -> None:
        """A task handed over has its result (a future's done-callback: before the run hears
        of its end, so that the next task handed over may find its worker free)."""
        with self._lock:
            self._count -= 1

"""The dask executor's timeouts, client side: a step whose attempt outlived its timeout on a
worker (a call that does not stop, or a worker that stopped answering) has that worker's
process ended, and its next attempt, if it has one, sent once the worker is gone (`again.py`).
`DaskExecutor` (`executor.py`) is one of these; what it promises is in the package's
docstring."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import replace
from typing import Any

from pipeflow.execute.executors.dask.again import delay, next_attempt, retried, with_no_worker
from pipeflow.execute.executors.dask.ending import Ending
from pipeflow.execute.executors.dask.protocol import CLAIMS
from pipeflow.execute.executors.dask.running import Running, late, silent
from pipeflow.execute.executors.dask.stopping import RESTART_TIMEOUT, end_worker
from pipeflow.execute.task import TaskResult

logger = logging.getLogger(__name__)


class Restarting(Ending):
    """The tasks in flight (`Ending`), with the workers this executor ends to stop a step;
    the executor sets its client, topic and stop event, and sends tasks (`_send`)."""

    _client: Any
    _topic: str
    _stop: threading.Event
    _closed: bool
    _restarting: dict[str, threading.Event]  # worker stopped -> set when gone
    _here: set[str]  # workers that run in this process: never ended (`here.py`)

    def _send(self, running: Running) -> None:
        raise NotImplementedError  # the executor's

    def _claim(self, key: str) -> list[str]:
        return [CLAIMS, self._topic, key]

    # -- timeouts -------------------------------------------------------------------------

    def _watchdog(self) -> None:
        """Fail the attempt of a step whose worker has gone silent past its timeout, and
        restart the worker; the step's next attempt, if it has one, starts once it is gone."""
        while not self._stop.wait(0.2):
            with self._lock:
                overdue = late(self._tasks.items(), time.monotonic())
            for key, running in overdue:
                if running.worker in self._here:  # it says "stuck" once this process runs
                    continue
                result = silent(running)
                worker, began = running.worker, running.started
                if worker is not None and began is not None and retried(running, result):
                    if self._pass_on(running):  # its next attempt once the worker is gone
                        self._act(self._again, key, running, worker, result, began, False)
                    continue
                then: list[tuple[Any, ...]] = [(self._cancel, key)]
                if worker is not None:
                    then.append((self._stop_worker, worker, key, False))
                self._end(key, result, *then)

    # -- actions (never on the event loop) ------------------------------------------------

    def _cancel(self, key: str) -> None:
        with self._lock:
            running = self._tasks.get(key)
        if running is None or running.future is None:
            return
        try:
            running.future.cancel(reason="pipeflow: the step has ended")
        except Exception as error:
            logger.debug("cancelling %s failed: %s", key, error)
        self._forget(key)

    def _pass_on(self, running: Running) -> bool:
        """End this task's part in its step, which goes on in another task (`_again`): False
        if it has ended already, or Ctrl-C stopped the run."""
        with self._lock:
            if running.ended or self._stop.is_set():
                return False
            running.ended = True  # in flight still: the next task ends it (`_end`)
            return True

    def _again(
        self,
        key: str,
        running: Running,
        worker: str,
        result: TaskResult,
        began: float,
        answers: bool = True,
    ) -> None:
        """The next attempt of a step stuck on `worker` (which `answers`, or has stopped
        answering), once that worker's process is gone; `began`: its first attempt's start."""
        self._cancel(key)
        wait = delay(running, result)
        if running.notify is not None and result.error is not None:
            running.notify(running.task.step, result.attempts, result.error, wait)
        self._stop_worker(worker, key, answers)
        with self._lock:
            removed = self._restarting.get(worker, threading.Event())
        deadline = time.monotonic() + RESTART_TIMEOUT
        while not (removed.wait(0.1) or self._stop.is_set() or time.monotonic() > deadline):
            pass
        if self._stop.is_set() or (removed.is_set() and self._stop.wait(wait)):  # Ctrl-C
            self._passed(running, replace(result, error="interrupted"))
        elif not removed.is_set():  # the call may still run there: no attempt beside it
            self._passed(running, result)
        elif not self._a_worker():  # it was the last, without a nanny to bring it back
            self._passed(running, with_no_worker(result, self._stop.is_set()))
        else:
            self._send(next_attempt(running, result, began))

    def _a_worker(self) -> bool:
        """Whether the cluster has a worker, waited for up to RESTART_TIMEOUT (a restarted one
        comes back within seconds); False at once after Ctrl-C."""
        deadline = time.monotonic() + RESTART_TIMEOUT
        while not self._stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the scheduler busy: ask again
                if self._client.nthreads():
                    return True
            self._stop.wait(0.25)
        return False

    def _passed(self, running: Running, result: TaskResult) -> None:
        """The result of a step passed on (`_pass_on`) before its next task was sent."""
        self._holding.in_flight.ended()
        running.outer.set_result(result)

    def _stop_worker(self, worker: str, key: str | None, answers: bool = True) -> None:
        """End a worker's process to stop what it runs for the task `key`; its nanny starts a
        new one. Other unfinished tasks of this executor started there may start again
        elsewhere: their claims are withdrawn first (none with `key` None, for Ctrl-C)."""
        with self._lock:
            if worker in self._restarting or worker in self._here:  # its process is ours
                return
            removed = self._restarting[worker] = threading.Event()
            spared = [
                other
                for other, running in self._tasks.items()
                if key is not None and other != key and running.worker == worker
                if not running.ended
            ]
        end_worker(
            self._client,
            worker,
            freed=[self._claim(other) for other in spared],
            stopped=self._claim(key) if key is not None else None,  # its step has its result
            removed=removed,
            answers=answers,
            quiet=self._closed,
        )

"""A step whose call outlived its timeout on a worker (blocked in C, where no asynchronous
exception lands): its attempt's result, and its next attempt once that worker is gone.

The worker cannot stop such a call, and no other attempt may run beside it (`timeouts`): it
reports the attempt "stuck", and the client restarts the worker. The step keeps its `retries`:
once the worker's process has gone, and after the retry's delay, the task is sent again as a
new task whose first attempt is the next one (`Task.attempt`). What the first task's attempts
printed, and the retries they told, come first in the step's result; its duration counts
them too.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import Future
from dataclasses import replace

from pipeflow.execute.executors.dask.running import Running
from pipeflow.execute.executors.dask.stopping import RESTART_TIMEOUT
from pipeflow.execute.task import TaskResult


def stuck_error(result: TaskResult, worker: str) -> TaskResult:
    """The result of an attempt whose call still runs on `worker`, which is restarted."""
    error = result.error or "TimeoutError"
    return replace(result, error=f"{error}; its Dask worker ({worker}) is restarted to stop it")


def with_no_worker(result: TaskResult, interrupted: bool) -> TaskResult:
    """The result of a stuck attempt whose step has no worker left for its next attempt (or
    was interrupted while it waited for one)."""
    if interrupted:
        return replace(result, error="interrupted")
    why = (
        f"; no Dask worker joined the cluster within {RESTART_TIMEOUT:g}s to run its next "
        "attempt (a worker started with `--no-nanny` is not restarted)"
    )
    return replace(result, error=(result.error or "TimeoutError") + why)


def retried(running: Running, result: TaskResult) -> bool:
    """Whether the step of a stuck attempt has attempts left."""
    return not result.ok and result.attempts <= running.task.retry.retries


def delay(running: Running, result: TaskResult) -> float:
    """Seconds to wait before the next attempt (with the jitter `task.execute` gives)."""
    return running.task.retry.delay_before(result.attempts + 1, jitter=random.random())


def next_attempt(running: Running, result: TaskResult, started: float) -> Running:
    """The task of the step's next attempt, on a new key: its result, with the stuck
    attempts' output and retries before its own, and its duration counted from `started`
    (`time.monotonic()` as the first attempt began), is the step's (`running.outer`)."""
    task = replace(running.task, attempt=result.attempts + 1)
    then: Future[TaskResult] = Future()
    following = Running(task, then, notify=running.notify, say=running.say)

    def carry(finished: Future[TaskResult]) -> None:
        last = finished.result()
        running.outer.set_result(
            replace(
                last,
                output=(*result.output, *last.output),
                retries=(*result.retries, *last.retries),
                duration=time.monotonic() - started,
            )
        )

    then.add_done_callback(carry)
    return following

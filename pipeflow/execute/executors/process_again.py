"""A step on `processes` whose call went on after its timeout (it caught the interruption, or
held the GIL in compiled code): its pool ended its worker past the call's deadline
(`process_pool.Pool.watch`), and the step keeps its `retries`.

Its pool reports the worker's death; once that worker has gone, and after the
retry's delay, the task is sent again to a new pool as a task whose first attempt is the next
one (`Task.attempt`). Which attempt was stuck, its worker's file of what it said tells
(`telling.py`: a retry's line for each attempt before it). What the ended attempts printed
is said before the retry, as it would have been; their retries not told yet, and the time
they took, are carried into the step's result (`carried`).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace

from pipeflow.execute.executors.telling import RETRY
from pipeflow.execute.task import Task, TaskResult


def stuck_attempt(task: Task, spool: str) -> int:
    """The number of the attempt its worker ran as it was ended: the task's first, plus one
    for each retry its worker wrote to `spool`."""
    try:
        with open(spool, encoding="utf-8") as file:
            lines = file.read().split("\n")
    except OSError:
        lines = []
    retries = 0
    for line in lines:
        try:
            said = json.loads(line)
        except ValueError:  # a line cut short as the worker ended, or the end
            continue
        retries += isinstance(said, dict) and RETRY in said
    return task.attempt + retries


def retried(task: Task, result: TaskResult) -> bool:
    """Whether the step of an ended attempt has attempts left."""
    return result.attempts <= task.retry.retries


def delay(task: Task, result: TaskResult) -> float:
    """Seconds to wait before the next attempt (with the jitter `task.execute` gives)."""
    return task.retry.delay_before(result.attempts + 1, jitter=random.random())


def carried(last: TaskResult, before: TaskResult | None, began: float) -> TaskResult:
    """The step's result: its last task's, after what the ended attempts' tasks left to
    replay (`before`), its duration counted from `began` (`time.monotonic()`)."""
    if before is None:
        return last
    return replace(
        last,
        output=(*before.output, *last.output),
        retries=(*before.retries, *last.retries),
        duration=time.monotonic() - began,
    )

"""A task on the cluster as the client sees it, and what the client decides from that alone:
how long a step's attempt may take on a worker, which have outlived it on a silent worker, and
the result of a step Ctrl-C stopped or whose task raised on the cluster."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from pipeflow.execute.executors.dask.deaths import given_up
from pipeflow.execute.executors.dask.said import Lines
from pipeflow.execute.executors.telling import Say
from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.execute.timeouts import STOP_GRACE
from pipeflow.model.durations import format_duration

GRACE = 3.0  # seconds past a step's timeout before a silent worker is given up on


@dataclass
class Running:
    """A task on the cluster, as the client sees it."""

    task: Task
    outer: Future[TaskResult]
    future: Any = None  # the dask future
    worker: str | None = None  # where it started
    started: float | None = None  # time.monotonic() when the client heard it started
    first: float | None = None  # time.monotonic() when it first started, on any worker
    attempt: int = 1  # the attempt its worker runs (or waits to run), as far as the client heard
    began: float | None = None  # time.monotonic() when that attempt began (or begins)
    calling: bool = True  # the worker's last word: still in the step's function
    ended: bool = False  # the step has been given its result; ignore the rest
    keep: bool = False  # its value stays on the cluster: keep the future for later tasks
    heard: bool = False  # its "finished" news came (its result may still be on its way)
    ahead: bool = False  # handed over while every worker thread was busy (`DaskExecutor.hold`)
    notify: Notify | None = None  # told each retry as the worker says it
    say: Say | None = None  # said each line as the worker sends it (None: with the result)
    told_by: dict[str, int] = field(default_factory=dict)  # worker -> its retries told
    # The lines its workers sent as they came, by worker, in the order they were first heard:
    # those of a worker that died under it are the output of an attempt that never returns.
    said: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def lost_output(self, finished_on: str | None) -> tuple[tuple[str, str], ...]:
        """The lines sent by workers other than `finished_on` (the one whose result came,
        None when none came), not said yet: the attempts whose workers died."""
        if self.say is not None:
            return ()  # said as they came
        return tuple(
            line for worker, lines in self.said.items() if worker != finished_on for line in lines
        )

    def unsaid(self, worker: str | None, lines: Lines) -> Lines:
        """`lines`, all that `worker` collected of the step, without those said as they came."""
        if self.say is None:
            return lines
        return lines[len(self.said.get(worker or "", ())) :]

    def hear(self, worker: str, said: Iterable[tuple[str, str] | tuple[int, str, float]]) -> None:
        """A worker's lines and retries, in order: each line said, each retry told."""
        step = self.task.step
        for item in said:
            if len(item) == 2:
                self.said.setdefault(worker, []).append(item)
                if self.say is not None:
                    self.say(step, str(item[0]), str(item[1]))
            else:
                # Its next attempt begins once the retry's delay is waited out.
                self.attempt, self.began = int(item[0]) + 1, time.monotonic() + float(item[2])
                if self.notify is not None:
                    self.told_by[worker] = self.told_by.get(worker, 0) + 1
                    self.notify(step, int(item[0]), str(item[1]), float(item[2]))

    def start(self, worker: str) -> None:
        """Its task started on `worker` (again, after a worker died: from its first attempt)."""
        self.worker, self.calling = worker, True
        self.started = self.began = time.monotonic()
        self.attempt = self.task.attempt
        if self.first is None:
            self.first = self.started


def with_lost_output(result: TaskResult, running: Running) -> TaskResult:
    """`result` with the output of the attempts whose workers died before its own, and
    without the lines said as they came; its duration, when it started again after a worker
    died under it, counted from its first start (the step's "done in", not its last run's)."""
    lost = running.lost_output(running.worker)
    output = lost + running.unsaid(running.worker, tuple(result.output))
    if output != result.output:
        result = replace(result, output=output)
    if running.first is not None and running.first != running.started:
        result = replace(result, duration=max(result.duration, time.monotonic() - running.first))
    return result


def late(tasks: Iterable[tuple[str, Running]], now: float) -> list[tuple[str, Running]]:
    """The tasks still in their step's function on a worker past their attempt's timeout (and
    the time the worker takes to give up on it, and a grace): that worker stopped answering."""
    return [
        (key, running)
        for key, running in tasks
        if running.task.timeout is not None
        and running.task.stored is None
        and running.began is not None
        and running.calling
        and not running.ended
        and now > running.began + _given(running) + GRACE
    ]


def _given(running: Running) -> float:
    """Seconds a worker takes to end its step's attempt when it answers: its timeout, and
    before a retry the wait for the stopped call to end (`timeouts`)."""
    timeout = running.task.timeout or 0.0
    return timeout + (STOP_GRACE if running.attempt <= running.task.retry.retries else 0.0)


def silent(running: Running) -> TaskResult:
    """The result of a step whose worker went silent past its attempt's timeout."""
    task = running.task
    timeout = format_duration(task.timeout or 0)
    error = (
        f"TimeoutError: step `{task.step}` did not finish within its timeout of "
        f"{timeout} and its Dask worker ({running.worker}) stopped answering; the "
        "worker is restarted to stop it"
    )
    output = running.lost_output(None)  # what its workers sent: no result comes
    return TaskResult(step=task.step, error=error, attempts=running.attempt, output=output)


def done(result: TaskResult) -> Future[TaskResult]:
    future: Future[TaskResult] = Future()
    future.set_result(result)
    return future


def with_value(result: TaskResult, value: Any) -> TaskResult:
    return replace(result, value=value)


def untold(result: TaskResult, running: Running) -> TaskResult:
    """The result without the retries its worker told already as they came: each is said
    once."""
    told = running.told_by.get(running.worker or "", 0)
    if not told:
        return result
    return replace(result, retries=result.retries[told:])


def interrupted(running: Running, answer: Lines | None) -> TaskResult:
    """The result of a step Ctrl-C stopped: what its worker `answer`ed it had printed (when
    it did), else the lines it sent as they came, after those of workers that died under it."""
    heard = () if running.say is not None else tuple(running.said.get(running.worker or "", ()))
    kept = heard if answer is None else running.unsaid(running.worker, answer)
    output = running.lost_output(running.worker) + kept
    calls = 0 if running.worker is None else 1 + sum(running.told_by.values())  # none: 0
    return TaskResult(step=running.task.step, error="interrupted", output=output, attempts=calls)


def raised_on_cluster(running: Running, raised: BaseException | None) -> TaskResult:
    """The result of a step whose dask task raised `raised`: Dask gave up on it after its
    workers died (with what they had printed), or it could not be read on a worker."""
    step = running.task.step
    why = f"{type(raised).__name__}: {raised}"
    output: tuple[tuple[str, str], ...] = ()
    if raised is not None and type(raised).__name__ == "KilledWorker":
        why = given_up(step, raised)
        output = running.lost_output(None)  # every worker that ran it died
    elif isinstance(raised, ImportError):  # the task itself could not be read there
        why += "; pipeflow and what the steps import must be installed on the workers"
    return TaskResult(step=step, error=why, output=output)

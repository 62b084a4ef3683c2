"""The processes executor: steps in a pool of worker processes, for CPU-bound Python.

What crosses to a worker is the plain-data Task (a dotted path, input values, a store URL);
the worker imports the function, runs it, persists the result itself and sends back the value
with what the step printed and logged, which the engine replays as events. A task whose inputs
cannot be pickled fails at once with the input's name and type.

A `timeout` is enforced inside the worker with an interval timer, for each attempt: the step's
call is interrupted (even in `time.sleep` or blocking I/O) and the worker stays usable, so an
attempt has ended before the next one starts. Code stuck in a C call that does not return to
the interpreter is only stopped when that call returns. A worker that dies (killed,
out of memory, a crash in C) fails the step it was running with a message saying so; the pool
is rebuilt for the steps that follow. Workers see the environment of the process that runs the
pipeline as it was when the run's pool started (not the forkserver's, from its own start).
What a worker runs for each task is `working.work`.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from pipeflow.execute.executors.working import work
from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.model.words import a_kind


class ProcessExecutor:
    """Runs tasks on a pool of worker processes (default: one per CPU)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: workers start from a clean process, not a fork of this threaded one.
        # The server imports pipeflow's worker side once (it lives as long as this process)
        # and each worker is a fork of it: no worker imports pipeflow, fsspec and the rest
        # again. Until the server has started, the preload list can still be set.
        if "forkserver" in multiprocessing.get_all_start_methods():
            context: Any = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["__main__", __name__])
        else:
            context = multiprocessing.get_context()
        # A worker is a fork of the server, which has the environment of the moment it
        # started: each pool's workers take this process's as it is now (credentials of a
        # store set since, a variable removed), as a fork of this process would.
        pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(dict(os.environ),),
        )
        # Start every worker now: they boot while the run is still being planned.
        for _ in range(self._workers):
            pool.submit(_ready)
        return pool

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        del notify  # retries are replayed from the result: a callback cannot cross processes
        problem = unpicklable(task)
        if problem is not None:
            return _done(TaskResult(step=task.step, error=problem))
        with self._lock:
            pool = self._pool
        outer: Future[TaskResult] = Future()
        try:
            # Pickled to the worker: its inputs are its own there, no copy is needed.
            inner = pool.submit(work, replace(task, isolate=False))
        except BrokenProcessPool:
            self._replace(pool)
            return _done(TaskResult(step=task.step, error=_died(task.step)))

        def relay(finished: Future[TaskResult]) -> None:
            try:
                outer.set_result(finished.result())
            except BrokenProcessPool:
                self._replace(pool)
                outer.set_result(TaskResult(step=task.step, error=_died(task.step)))
            except BaseException as error:  # a result that could not be sent back, say
                outer.set_result(TaskResult(step=task.step, error=_not_back(task.step, error)))

        inner.add_done_callback(relay)
        return outer

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, *, cancel: bool = False) -> None:
        with self._lock:
            pool = self._pool
        if cancel:
            # Ctrl-C: stop the steps that are running too, not only the queued ones.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=cancel)


def _ready() -> None:
    """A task that only makes the pool start a worker."""


def _start_worker(environment: dict[str, str]) -> None:
    """In a new worker: the environment of the process that made its pool, as it was then,
    and Ctrl-C left to that process. A terminal sends SIGINT to every process of its
    foreground group, workers too; the run stops them itself (`shutdown(cancel=True)`), and a
    worker taking it as KeyboardInterrupt would print a traceback beside the run's report.
    A handler that does nothing, not SIG_IGN: a program a step starts gets the default back
    when it starts (an ignored signal would stay ignored), so Ctrl-C still stops it."""
    signal.signal(signal.SIGINT, _left_to_the_run)
    for name in set(os.environ) - set(environment):
        del os.environ[name]
    os.environ.update(environment)


def _left_to_the_run(signum: int, frame: Any) -> None:
    del signum, frame


def _done(result: TaskResult) -> Future[TaskResult]:
    future: Future[TaskResult] = Future()
    future.set_result(result)
    return future


def _died(step: str) -> str:
    return (
        f"WorkerDied: the worker process running `{step}` died (killed, out of memory, or a "
        "crash in compiled code); see the system log"
    )


def _not_back(step: str, error: BaseException) -> str:
    """Why a step's result did not come back from its worker: most often, pickle could not
    hold its value (the worker's pickling error is what the pool gives)."""
    said = f"{type(error).__name__}: {error}"
    if isinstance(error, pickle.PicklingError | TypeError | AttributeError) and (
        "pickle" in str(error).lower()
    ):
        return (
            f"ValueError: step `{step}` returned a value that cannot be sent back from its "
            f"worker process ({said}); use the threads executor for this pipeline, or return "
            "plain data"
        )
    return said


def unpicklable(task: Task) -> str | None:
    """Why a task cannot be sent to another process, naming the input, or None."""
    try:
        pickle.dumps(task)
    except Exception:
        pass
    else:
        return None
    for name, value in task.inputs.items():
        try:
            pickle.dumps(value)
        except Exception as error:
            return (
                f"ValueError: step `{task.step}`: input `{name}` is "
                f"{a_kind(type(value).__name__)}, which cannot be sent to a worker process "
                f"({error}); use the threads "
                "executor for this pipeline, or pass plain data"
            )
    return f"ValueError: step `{task.step}` cannot be sent to a worker process"

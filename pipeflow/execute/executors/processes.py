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

`work` also runs tasks for the dask executor, whose workers run tasks on threads other than the
main one. There an interval timer cannot be used and stdout cannot be swapped for the whole
process: off the main thread `work` keeps the task's timeout (the step's thread is asked to stop
when it expires, as on the threads executor) and collects output per thread, with the routers of
`pipeflow.execute.capture` installed once in the worker process while any task runs.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from pipeflow.execute.capture import OutputCapture
from pipeflow.execute.descriptors import descriptors_captured
from pipeflow.execute.task import Notify, Task, TaskResult, execute
from pipeflow.importing import add_project, use_project
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


# -- in the worker ------------------------------------------------------------------------


class _Lines(io.TextIOBase):
    """Collects what is written, line by line, for one stream."""

    def __init__(self, stream: str, into: list[tuple[str, str]]) -> None:
        self._stream = stream
        self._into = into
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        self._into.extend((self._stream, line) for line in lines)
        return len(text)

    def finish(self) -> None:
        if self._partial:
            self._into.append((self._stream, self._partial))
            self._partial = ""


class _LogLines(logging.Handler):
    def __init__(self, into: list[tuple[str, str]]) -> None:
        super().__init__(level=logging.INFO)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        self._into.append(("log", text))


def work(task: Task) -> TaskResult:
    """Run one task in this worker process, collecting its output."""
    enter_project(task)
    if threading.current_thread() is not threading.main_thread():
        return _work_on_a_thread(task)
    output: list[tuple[str, str]] = []
    retries: list[tuple[int, str, float]] = []
    out, err = _Lines("stdout", output), _Lines("stderr", output)
    handler = _LogLines(output)
    root = logging.getLogger()
    level = root.level
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    root.addHandler(handler)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    written: list[tuple[str, str]] = []  # below sys.stdout: children, os.write, C code
    try:
        # Each attempt's timeout interrupts the call itself (SIGALRM, on this main thread).
        with descriptors_captured(written):
            result = execute(
                task,
                lambda step, attempt, error, delay: retries.append((attempt + 1, error, delay)),
                in_place=True,
            )
    finally:
        sys.stdout, sys.stderr = saved
        root.removeHandler(handler)
        root.setLevel(level)
        out.finish()
        err.finish()
        output.extend(written)
    return _carrying(result, output, retries)


_project_lock = threading.Lock()
_projects: list[str] = []  # the run id, then the project folders its tasks imported from


def enter_project(task: Task) -> None:
    """Put the task's project folder on this worker's path, its modules imported afresh.

    Once per run and folder: the first folder of a run comes first on the path, with the
    modules of earlier runs forgotten (a long-lived worker runs the code the cache keys were
    computed from); a sub-pipeline's folder comes after it, as in the client.
    """
    if not task.project_dir:
        return
    with _project_lock:
        if not _projects or _projects[0] != task.run_id:
            _projects[:] = [task.run_id]
        if task.project_dir in _projects[1:]:
            return
        if len(_projects) == 1:
            use_project(task.project_dir)
        else:
            add_project(task.project_dir)
        _projects.append(task.project_dir)


def _carrying(
    result: TaskResult, output: list[tuple[str, str]], retries: list[tuple[int, str, float]]
) -> TaskResult:
    """The result with what the step printed and logged, and its retries, to replay."""
    return replace(result, output=tuple(output), retries=tuple(retries))


def _work_on_a_thread(task: Task) -> TaskResult:
    """`work` on a thread that is not the main one (a dask worker's): other tasks may run at
    once in this process, so output is collected per thread, and the timeout is the task's
    own (its thread is asked to stop when it expires; if it does not, the dask executor
    stops the work by restarting the worker)."""
    output: list[tuple[str, str]] = []
    retries: list[tuple[int, str, float]] = []
    with _collecting(task, output):
        result = execute(
            task, lambda step, attempt, error, delay: retries.append((attempt + 1, error, delay))
        )
    return _carrying(result, output, retries)


# Output collection off the main thread. The routers of `capture` (installed once while any
# run is active in this process) hand a step thread's lines to the emitter of its run; here
# that emitter files them under (run id, step) into the list of the task collecting them.
_collect_lock = threading.Lock()
_captures: dict[str, list[Any]] = {}  # run id -> [its OutputCapture, tasks collecting]
_sinks: dict[tuple[str, str], list[list[tuple[str, str]]]] = {}  # (run id, step) -> lists
_own_sink = threading.local()


@contextmanager
def _collecting(task: Task, into: list[tuple[str, str]]) -> Iterator[None]:
    """Collect what the task's threads print and log into `into` while the block runs."""
    slot = (task.run_id, task.step)
    with _collect_lock:
        _sinks.setdefault(slot, []).append(into)
        entry = _captures.get(task.run_id)
        if entry is None:
            capture = OutputCapture(task.run_id, lambda *line: _file(task.run_id, *line))
            capture.__enter__()
            entry = _captures[task.run_id] = [capture, 0]
        entry[1] += 1
    _own_sink.into = into
    try:
        yield
    finally:
        _own_sink.into = None
        entry[0].end_step(task.step)  # a last line without a newline
        with _collect_lock:
            remaining = [sink for sink in _sinks[slot] if sink is not into]
            if remaining:
                _sinks[slot] = remaining
            else:
                del _sinks[slot]
            entry[1] -= 1
            if not entry[1]:
                del _captures[task.run_id]
                entry[0].__exit__(None, None, None)


def _file(run_id: str, step: str, stream: str, text: str) -> None:
    with _collect_lock:
        sinks = _sinks.get((run_id, step))
        if not sinks:
            return
        own: list[tuple[str, str]] | None = getattr(_own_sink, "into", None)
        # The task's own thread, or (for the thread that calls a step with a timeout, or two
        # tasks of one step at once) the latest task of that step.
        into = own if own is not None and any(own is sink for sink in sinks) else sinks[-1]
        into.append((stream, text))

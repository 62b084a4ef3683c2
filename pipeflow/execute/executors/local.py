"""In-process executors: sequential (the calling thread) and threads (a thread pool)."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pipeflow.execute.executors.in_flight import InFlight
from pipeflow.execute.task import Notify, Task, TaskResult, execute, holds_run, withdrawn
from pipeflow.execute.timeouts import no_deadline


class SequentialExecutor:
    """Runs each task at once on the calling thread; nothing runs concurrently."""

    name = "sequential"
    inline = True  # `submit` returns a finished future: the engine handles it at once
    in_process = True  # steps run in the engine's process (its journals hold records)

    def __init__(self, workers: int | None = None) -> None:
        del workers  # one at a time, whatever is asked

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        future: Future[TaskResult] = Future()
        try:
            # A timed step runs here too, its timer interrupting it in place.
            future.set_result(execute(task, notify, in_place=no_deadline))
        except BaseException as error:  # Ctrl-C inside a step reaches the engine through here
            future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        del cancel


class ThreadExecutor:
    """Runs tasks on a pool of threads; good for steps that wait on I/O or release the GIL."""

    name = "threads"
    in_process = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or min(32, (os.cpu_count() or 1) + 4)
        self._pool = DaemonPool(self.workers)
        self.hold_after_failure = False  # the run starts nothing new after a failure
        self._held = False
        self._in_flight = InFlight(self.workers)

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        ahead = self._in_flight.handed()  # while every thread is busy
        future = self._pool.submit(lambda: self._execute(task, notify, ahead=ahead))
        future.add_done_callback(self._in_flight.ended)  # before the run hears of its end
        return future

    def hold(self) -> None:
        """Begin none of the tasks handed over while every thread was busy, and still
        waiting for one: each ends withdrawn. One handed to a free thread has begun."""
        self._held = True

    def _execute(self, task: Task, notify: Notify, *, ahead: bool) -> TaskResult:
        if ahead and self._held:
            return withdrawn(task)
        result = execute(task, notify)
        if self.hold_after_failure and holds_run(task, result):
            # Held here, before this thread takes the next task, not when the engine hears
            # of the failure: by then the thread has begun the task handed over behind it.
            self._held = True
        return result

    def shutdown(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


_Work = tuple["Future[Any]", Callable[[], Any]]


class DaemonPool:
    """Up to `workers` daemon threads taking calls in turn, as a ThreadPoolExecutor does, but
    which Python does not wait for at exit. A step blocked in C (a long `time.sleep`, a query)
    when Ctrl-C or SIGTERM stops the run cannot be made to leave its call, and is left running
    (what it returns is dropped); on concurrent.futures' threads, which Python joins at exit,
    the process said the run was interrupted and then waited for that call to return."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, call: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.put((future, call))
            if len(self._threads) < self._workers:
                name = f"pipeflow_{len(self._threads)}"
                thread = threading.Thread(target=self._work, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)
        return future

    def _work(self) -> None:
        while (work := self._queue.get()) is not None:
            future, call = work
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            try:
                result = call()
            except BaseException as error:  # as concurrent.futures: the caller sees it
                future.set_exception(error)
            else:
                future.set_result(result)

    def shutdown(self, *, wait: bool, cancel_futures: bool) -> None:
        """No more calls; `cancel_futures`: the waiting ones cancelled; `wait`: until the
        threads have ended (after the calls still waiting)."""
        with self._lock:
            self._closed = True
            while cancel_futures:
                try:
                    work = self._queue.get_nowait()
                except queue.Empty:
                    break
                if work is not None:
                    work[0].cancel()
            for _ in self._threads:
                self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

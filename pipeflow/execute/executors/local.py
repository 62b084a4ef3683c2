"""In-process executors: sequential (the calling thread) and threads (a thread pool)."""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

from pipeflow.execute.task import Notify, Task, TaskResult, execute


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
            future.set_result(execute(task, notify))
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
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="pipeflow")

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        return self._pool.submit(execute, task, notify)

    def shutdown(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)

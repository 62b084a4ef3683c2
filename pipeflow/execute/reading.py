"""Reading cached steps' values several at once when the executor runs tasks one at a time.

The sequential executor runs every task on the calling thread, so a step after many cached
steps would wait for their stored values one read after another: on an object store, one
round trip each. A read runs no step code, so this pool takes them instead, several at once,
and the engine collects them like any executor's futures. Kept on the calling thread: reads
that restore files (they write in the workspace) and payloads whose format runs code when
loaded (unpickling imports the project's modules, which a running step may be re-importing).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from pipeflow.cache.loading import PARALLEL_LOADS
from pipeflow.execute.task import Notify, Task, TaskResult, execute
from pipeflow.storage import get_format


class StoredReads:
    """A pool for the reads of stored values, opened on first use."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None

    def accepts(self, task: Task) -> bool:
        """Whether `task` only reads a stored value that runs no code when loaded."""
        stored = task.stored
        if stored is None or task.restore or not task.load:
            return False
        try:
            return not any(get_format(part.format).executes_code for part in stored.parts.values())
        except ValueError:
            return False  # an unknown format: the read says so, on the calling thread

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(PARALLEL_LOADS, thread_name_prefix="pipeflow-read")
        return self._pool.submit(execute, task, notify)

    def shutdown(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)

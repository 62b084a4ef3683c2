"""The dask executor as the engine sees it: the cluster reached (or started) only when a task
must go to it.

A run whose steps are all cached needs no worker (`run --frozen` in a CI job that cannot reach
the team's cluster, a plain run with nothing to do): it neither connects to a scheduler nor
starts a local cluster. The API opens the cluster before the run when a step is planned to run,
so that a scheduler nobody answers at stops the run before it starts; otherwise the first task
for a worker opens it (a stored result found damaged, to rebuild), and should that fail, the
task fails with the reason, as does every later one.

A restore (a cached step's files put back where it declared them) runs in this process, never
on a worker: it writes this machine's files (a local cluster and a shared filesystem see the
same ones; a remote cluster's workers do not).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pipeflow.errors import PipeflowError
from pipeflow.execute.executors.dask.connect import MISSING
from pipeflow.execute.executors.dask.executor import DaskExecutor
from pipeflow.execute.executors.dask.running import done
from pipeflow.execute.executors.telling import Say
from pipeflow.execute.task import Notify, Task, TaskResult, execute

__all__ = ["DeferredDaskExecutor"]


class DeferredDaskExecutor:
    """A `DaskExecutor` made with these options when the first task needs it."""

    name = "dask"

    def __init__(self, on_dashboard: Callable[[str], None] | None = None, **options: Any) -> None:
        """`on_dashboard`: told the cluster's dashboard link, if it has one, once it is open."""
        if importlib.util.find_spec("distributed") is None:
            from pipeflow.execute.executors import ExecutorUnavailable

            raise ExecutorUnavailable(MISSING)
        self._options = options
        self._on_dashboard = on_dashboard
        self._lock = threading.Lock()
        self._opened: DaskExecutor | None = None
        self._say: Say | None = None  # handed to the executor once made
        self._failed: str | None = None  # why the cluster could not be opened
        self._closed = False
        self._here = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pipeflow-restore")

    @property
    def opened(self) -> bool:
        """Whether the cluster has been reached (or started) for this run."""
        return self._opened is not None

    def open(self) -> DaskExecutor:
        """The cluster's executor, made now if it is not yet (a PipeflowError if it cannot be)."""
        with self._lock:
            if self._opened is None:
                if self._closed:
                    raise PipeflowError("the dask executor is shut down")
                self._opened = DaskExecutor(**self._options)
                if self._say is not None:
                    self._opened.hear(self._say)
                link = self._opened.dashboard
                if link and self._on_dashboard is not None:
                    self._on_dashboard(str(link))
            return self._opened

    def hear(self, say: Say) -> None:
        """Each line a step prints, to `say` as its worker sends it (`DaskExecutor.hear`)."""
        with self._lock:
            self._say = say
            if self._opened is not None:
                self._opened.hear(say)

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        if task.restore:
            return self._here.submit(execute, task)
        if self._failed is None:
            try:
                return self.open().submit(task, notify)
            except PipeflowError as error:
                self._failed = str(error)
        return done(TaskResult(step=task.step, error=f"PipeflowError: {self._failed}"))

    def hold(self) -> None:
        """Begin none of the tasks not begun yet (`DaskExecutor.hold`)."""
        with self._lock:
            opened = self._opened
        if opened is not None:
            opened.hold()

    def fetch(self, keys: Sequence[str]) -> list[Any]:
        """The values of these keys, from the workers that hold them (`DaskExecutor.fetch`)."""
        return self.open().fetch(keys)

    def shutdown(self, *, cancel: bool = False) -> None:
        with self._lock:
            self._closed = True
            opened = self._opened
        try:
            if opened is not None:
                opened.shutdown(cancel=cancel)
        finally:
            self._here.shutdown(wait=True)

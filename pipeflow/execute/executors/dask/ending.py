"""A dask executor's tasks as the client keeps them, and how each ends: its step given its
result once (what it wrote on a worker brought back first), its key forgotten, and the end of
its dask future relayed (the worker's news of it waited for a moment)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipeflow.execute.executors.dask.deaths import Deaths
from pipeflow.execute.executors.dask.holding import Holding
from pipeflow.execute.executors.dask.protocol import lost
from pipeflow.execute.executors.dask.running import Running, raised_on_cluster, with_value
from pipeflow.execute.failures import StepError
from pipeflow.execute.remotes import Remote
from pipeflow.execute.shipping import Packer, bring_back
from pipeflow.execute.task import TaskResult

NEWS_WAIT = 5.0  # seconds a finished task's news may lag behind its future, before it is fetched


class Ending:
    """The tasks in flight and the values kept on the cluster; the executor (`executor.py`)
    sets what each end needs: its holding, deaths, packer and action threads."""

    _holding: Holding
    _deaths: Deaths
    _packer: Packer | None
    _actions: ThreadPoolExecutor

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Running] = {}
        self._values: dict[str, Any] = {}  # key -> the dask future holding a step's value

    def _relay(self, key: str, finished: Any) -> None:
        """The dask future is done (on the client's callback thread): give the step its end."""
        with self._lock:
            running = self._tasks.get(key)
        if running is None or running.ended:
            self._forget(key)
            return
        step = running.task.step
        status = finished.status
        if status == "finished":
            # Its news ("finished") comes ahead of the future's end, on the same stream from
            # the scheduler; should it not, wait for it a moment before giving up on it.
            self._act(self._without_news, key, finished)
            return
        if status == "cancelled":
            result = TaskResult(step=step, error=lost(step))
        else:
            result = raised_on_cluster(running, finished.exception())
        self._end(key, result)
        self._forget(key)

    def _without_news(self, key: str, finished: Any) -> None:
        deadline = time.monotonic() + NEWS_WAIT
        while time.monotonic() < deadline:
            with self._lock:
                running = self._tasks.get(key)
                if running is None or running.ended or running.heard:
                    break
            time.sleep(0.01)
        else:
            step = running.task.step if running is not None else key
            try:
                result = finished.result()
                if not isinstance(result, TaskResult):
                    raise StepError("its result was lost on its way back")
                if result.ok and result.value is not None:
                    result = with_value(result, Remote(step, key))
                    with self._lock:
                        self._values[key] = finished
            except Exception as error:
                result = TaskResult(step=step, error=f"{type(error).__name__}: {error}")
            if running is not None and result.written:
                self._end_back(running, result)
            else:
                self._end(key, result)
        self._forget(key)

    def _end_back(self, running: Running, result: TaskResult) -> None:
        """Copy what the step wrote on its worker back here, then give it its result (once:
        the executor may have forgotten its key meanwhile)."""
        assert self._packer is not None
        result = bring_back(running.task, result, self._packer.store)
        with self._lock:
            if running.ended:
                return
            running.ended = True
            self._holding.in_flight.ended()
        running.outer.set_result(result)

    def _end(self, key: str, result: TaskResult, *then: tuple[Any, ...]) -> bool:
        """Give a step its result, once; False if it had one already.

        `then` are actions (a callable and its arguments) to start first: once the step has
        its result, the engine may shut the executor down."""
        with self._lock:
            running = self._tasks.get(key)
            if running is None or running.ended:
                return False
            running.ended = True
            self._holding.in_flight.ended()
        for action, *args in then:
            self._act(action, *args)
        running.outer.set_result(result)
        return True

    def _forget(self, key: str) -> None:
        with self._lock:
            running = self._tasks.pop(key, None)
            kept = key in self._values
        self._deaths.forget(key)
        if running is not None and running.future is not None and not kept:
            running.future.release()

    def _act(self, action: Callable[..., None], *args: Any) -> None:
        """Start `action` on the executor's threads (never on the client's event loop)."""
        with contextlib.suppress(RuntimeError):  # RuntimeError: shut down already
            self._actions.submit(action, *args)

"""What runs in a worker process of the `processes` executor's pool: its start, and each task.

A worker starts (`start_worker`, the pool's initializer) with the environment of the process
that made its pool, a slot in shared memory to say which task it runs, an end of its own when
that process ends without ending it (`_orphaned`), and Ctrl-C left to that process. It then
runs each task it is sent (`run`: `working.work`, once its slot says which task it is).
The pool starts its fork server and workers with SIGINT and SIGTERM blocked
(`signals_blocked`), which a worker unblocks once its handler is set.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

from pipeflow.execute.executors.working import work
from pipeflow.execute.task import Task, TaskResult, holds_run, withdrawn
from pipeflow.storage.publish import remove_unfinished

HELD = "held"  # beside the tasks' spools: the run starts nothing new (after a failure)
ORPHANED = 1  # the exit code of a worker whose run's process has ended without ending it

_STOPPING = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM blocked in this thread, and so in the processes it starts meanwhile,
    as multiprocessing starts its resource tracker."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


_slot: tuple[Any, int] | None = None  # in a worker: its pool's slots, and where its task's is
_deadline: tuple[Any, int] | None = None  # in a worker: its pool's deadlines, and which is its


def start_worker(
    environment: dict[str, str], slots: Any, deadlines: Any, claiming: Any, watched: Connection
) -> None:
    """In a new worker: the environment of the process that made its pool, as it was then,
    a slot to say which task it runs and by when its call must end (`deadlines`), an end
    when that process ends (`_orphaned`), and Ctrl-C left to that process. A terminal sends
    SIGINT to every process of its foreground group, workers too; the run stops them itself
    (`shutdown(cancel=True)`), and a worker taking it as KeyboardInterrupt would print a
    traceback beside the run's report. A handler that does nothing, not SIG_IGN: a program a
    step starts gets the default back when it starts (an ignored signal would stay ignored),
    so Ctrl-C still stops it."""
    global _slot, _deadline
    # First: a Ctrl-C as the worker starts (while its watcher thread starts, say) would
    # otherwise fail its start with a traceback, and break the pool.
    signal.signal(signal.SIGINT, _left_to_the_run)
    signal.signal(signal.SIGTERM, _ended_by_the_run)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # blocked as the pool started it
    threading.Thread(
        target=_orphaned, args=(watched,), name="pipeflow-worker-watch", daemon=True
    ).start()
    for name in set(os.environ) - set(environment):
        del os.environ[name]
    os.environ.update(environment)
    if claiming.acquire(timeout=10):  # held for an instant, unless a worker died holding it
        try:
            free = [index for index in range(0, len(slots), 2) if not slots[index]]
            if free:
                slots[free[0]] = os.getpid()
                _slot = (slots, free[0] + 1)
                _deadline = (deadlines, free[0] // 2)
        finally:
            claiming.release()


def _orphaned(watched: Connection) -> None:
    """End this worker, whatever it runs, once the process that made its pool has ended: its
    pipe's end-of-file (nothing is ever sent on it)."""
    while True:
        try:
            watched.recv_bytes()
        except (EOFError, OSError):
            os._exit(ORPHANED)


def run(
    task: Task, number: int, spool: str, *, ahead: bool = False, hold_after_failure: bool = False
) -> TaskResult:
    """`work`, once this worker's slot says it runs the task `number`. A task sent `ahead`
    (while every worker was busy) is not begun once the run holds its pool (a file beside the
    spools, `HELD`), which a failure here holds at once with `hold_after_failure`, before
    this worker takes its next task."""
    held = os.path.join(os.path.dirname(spool), HELD)
    if ahead and os.path.exists(held):
        return withdrawn(task)
    if _slot is not None:
        slots, index = _slot
        slots[index] = number
    result = work(task, spool, due=_due if _deadline is not None else None)
    if hold_after_failure and holds_run(task, result):
        with open(held, "a"):
            pass
    return result


def _due(when: float | None) -> None:
    """Tell the pool by when (`time.monotonic()`) the step's call must have ended, or that it
    has (None): past that time the pool ends this worker (`process_pool.Pool.watch`)."""
    if _deadline is not None:
        deadlines, index = _deadline
        deadlines[index] = when or 0.0


def _ended_by_the_run(signum: int, frame: Any) -> None:
    """SIGTERM: the run ends this worker (Ctrl-C, or SIGTERM to the run's process group).
    The payload it may be writing goes first (nothing would unwind to remove it), then the
    worker ends by the signal, as it did before it had a handler."""
    del frame
    remove_unfinished()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _left_to_the_run(signum: int, frame: Any) -> None:
    del signum, frame

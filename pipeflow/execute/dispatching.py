"""Handing a run's tasks to the executor, and taking them back as they end.

The engine decides what runs; this module is where its tasks go: to the executor, or, for a
stored value read beside the sequential executor, to a pool of reads (`reading.py`). Futures
come back in the order they end, so the engine's loop handles each once, whatever is in
flight (a `foreach` keeps a window of items going).

A step is announced started when a worker of a threads or processes pool (`workers`) takes
it, not while it waits for one. The pool is handed one task beyond each busy worker, so that a
worker that ends a task finds the next at once; it takes them in the order handed, so the
tasks running are the first `workers` of those handed and not yet handled, and each is
announced once it is among them: a task is said finished before the one taking its worker is
said started. The other tasks wait here, in the order they became ready. A Dask cluster takes
them all as they come: its scheduler places them.

After a failure the run starts nothing new (`hold`): what waits here is dropped, a pool begins
none of the tasks it was handed while all its workers were busy, and no task is said started
on that guess any more (one that had begun is said started as its result comes).
"""

from __future__ import annotations

import itertools
import queue
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, wait

from pipeflow.execute.executors import Executor, Holding, SelfHolding
from pipeflow.execute.reading import StoredReads
from pipeflow.execute.task import Notify, Task, TaskResult, withdrawn

WAKE_EVERY = 0.25  # seconds: how soon the run sees a stop signal another thread took

# (step name, task, its result, its future) of a task that has ended
Ended = tuple[str, Task, TaskResult, Future[TaskResult]]
Started = Callable[[], None] | None  # says a step started, when a worker takes its task
# (task, attempt that comes, error of the one before, delay) before a retry
Retrying = Callable[[Task, int, str, float], None]


class Dispatcher:
    """The tasks of one run in flight, on one executor."""

    def __init__(self, executor: Executor, notify: Retrying, *, keep_going: bool = False) -> None:
        self.executor = executor
        if isinstance(executor, SelfHolding):  # a pool's worker holds it as its task fails
            executor.hold_after_failure = not keep_going
        self._held = False  # the run starts nothing new
        self.inline = getattr(executor, "inline", False)  # runs each task as it is submitted
        self._notify = notify
        self._reads = StoredReads()  # stored values read at once beside an inline executor
        self.running: dict[Future[TaskResult], tuple[str, Task]] = {}
        self.inline_step: str | None = None  # the step the inline executor is running now
        self._ended: queue.SimpleQueue[Future[TaskResult]] = queue.SimpleQueue()
        self._workers: int | None = getattr(executor, "workers", None)  # None: no limit
        # Handed to the pool and not yet handled, in the order handed, each with what says
        # it started (None once said, or when nothing is to be said).
        self._handed: dict[Future[TaskResult], Started] = {}
        self._waiting: deque[tuple[str, Task, Started]] = deque()

    def submit(
        self, name: str, task: Task, started: Callable[[], None] | None = None
    ) -> TaskResult | None:
        """Start `task` (of step `name`), calling `started` as it is handed over. The inline
        executor runs it now: its result is returned, to be handled before anything else
        starts (nothing new starts after a failure); otherwise None, and it ends later.
        Once the run holds (`hold`), nothing is handed over: the task ends withdrawn now."""
        if self._held:
            return withdrawn(task)
        if self.inline and self._reads.accepts(task):  # several at once, collected as they end
            self._track(name, task, self._reads.submit(task, self._for(task)))
            return None
        if not self.inline:
            if self._workers is None:  # Dask: its scheduler places every task at once
                if started is not None:
                    started()
                self._track(name, task, self.executor.submit(task, self._for(task)))
            elif self._waiting or len(self._handed) >= 2 * self._workers:
                self._waiting.append((name, task, started))
            else:
                self._hand(name, task, started)
            return None
        if started is not None:
            started()
        self.inline_step = name  # runs now, on this thread: Ctrl-C lands in it (and stays)
        future = self.executor.submit(task, self._for(task))
        self.inline_step = None
        return future.result()

    def _for(self, task: Task) -> Notify:
        """What a worker of this process calls before a retry of `task` (an item of a
        `foreach` step is told from the others by its task)."""
        return lambda step, attempt, error, delay: self._notify(task, attempt + 1, error, delay)

    def _hand(self, name: str, task: Task, started: Started) -> None:
        future = self.executor.submit(task, self._for(task))
        self._handed[future] = started
        self._track(name, task, future)
        self._announce()

    def _announce(self) -> None:
        """Say started the tasks among the first `workers` handed and not yet handled (once
        the run holds, none: a worker begins only what it took before; the engine says such a
        step started as it ends)."""
        if self._held:
            return
        for future, started in list(itertools.islice(self._handed.items(), self._workers)):
            if started is not None:
                self._handed[future] = None
                started()

    def _track(self, name: str, task: Task, future: Future[TaskResult]) -> None:
        # Even if it has ended already: every step that is ready starts before any result is
        # handled (a fast failure must not keep a ready step from starting).
        self.running[future] = (name, task)
        future.add_done_callback(self._ended.put)

    def ended(self) -> list[Ended]:
        """The tasks that have ended since the last call, waiting for one if none has."""
        futures = [self._next_ended()]
        while not self._ended.empty():
            futures.append(self._ended.get())
        found = []
        for future in futures:
            name, task = self.running.pop(future)
            found.append((name, task, future.result(), future))
        return found

    def _next_ended(self) -> Future[TaskResult]:
        """The next task to end, waited for in short spells: Python runs a signal's handler
        on the main thread once that thread runs again, and a Ctrl-C or SIGTERM the system
        gave another thread (any thread may take it) wakes no wait of this one."""
        while True:
            try:
                return self._ended.get(timeout=WAKE_EVERY)
            except queue.Empty:
                continue

    def handled(self, futures: list[Future[TaskResult]]) -> None:
        """The engine has handled the end of these tasks, all that `ended` gave (said each
        finished): their workers' next tasks are said started, and waiting ones take their
        places. Not before: a failure among them holds the run, and then what was handed
        over behind them is not said started (a busy pool begins none of it), nor does what
        waits start."""
        for future in futures:
            self._handed.pop(future, None)
        self._announce()
        while self._waiting and len(self._handed) < 2 * (self._workers or 0):
            self._hand(*self._waiting.popleft())

    def hold(self) -> list[tuple[str, Task]]:
        """A step failed: start nothing new. The tasks that waited for a worker are returned,
        never handed over; a pool begins none of those it was handed and has not begun (each
        ends withdrawn). A Dask cluster has every task handed to it already: those run."""
        self._held = True
        if isinstance(self.executor, Holding):
            self.executor.hold()
        dropped = [(name, task) for name, task, _ in self._waiting]
        self._waiting.clear()
        return dropped

    def committed(self) -> list[Ended]:
        """After Ctrl-C: the steps (not `foreach` items) whose tasks have ended with their
        result stored as the run stopped (their futures end at once; one still computing
        stores nothing)."""
        steps = [f for f, (_, task) in self.running.items() if task.item is None]
        found = []
        for future in wait(steps, timeout=0.1).done if steps else ():
            name, task = self.running[future]
            result = future.result()
            if result.ok:
                del self.running[future]
                found.append((name, task, result, future))
        return found

    def stopped(self, said: Callable[[str, str, str], None]) -> dict[str, int]:
        """After Ctrl-C, once the executor has shut down: the steps that were running, each
        with how many calls of its function its tasks in flight had begun (a `foreach` step's
        items), what each had printed and logged until then given to `said` first (a worker
        process stopped sends no result, but the executor keeps its output)."""
        for future, (name, _) in self.running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                for stream, text in future.result().output:
                    said(name, stream, text)
        begun: dict[str, int] = {}
        at_work = set(itertools.islice(self._handed, self._workers))  # a pool's
        for future, (name, task) in self.running.items():
            calls = self._calls(future, at_work) if task.stored is None else 0  # a read: none
            begun[name] = begun.get(name, 0) + calls
        if self.inline_step is not None:
            begun[self.inline_step] = begun.get(self.inline_step, 0) + 1
        return begun

    def _calls(self, future: Future[TaskResult], at_work: set[Future[TaskResult]]) -> int:
        """How many times the function of a task stopped in flight was called: 1 if a pool's
        worker had it (`_announce`); on Dask, what its result says (0 if no worker took it)."""
        if self._workers is not None:
            return 1 if future in at_work else 0
        if future.done() and not future.cancelled() and future.exception() is None:
            return future.result().attempts
        return 0

    def shutdown(self, *, cancel: bool = False) -> None:
        self.executor.shutdown(cancel=cancel)
        self._reads.shutdown(cancel=cancel)

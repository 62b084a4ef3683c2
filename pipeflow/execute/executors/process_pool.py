"""The `processes` executor's pool of worker processes (`processes.py`): a forkserver pool
whose server preloads the worker's side, the workers started at once, and what each of them
said it runs (shared memory), which tells which task a dead worker ran; a watch that ends a
worker whose step runs past its timeout's deadline; and how its workers are stopped (Ctrl-C)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait
from typing import Any

from pipeflow.execute.executors.main_module import main_unseen
from pipeflow.execute.executors.pool_worker import signals_blocked, start_worker
from pipeflow.execute.executors.telling import Told
from pipeflow.execute.programs import descendants, kill

ENDING = 2.0  # seconds a worker ended with SIGTERM may take before SIGKILL
WATCH_EVERY = 0.1  # seconds between two looks at the workers' deadlines


class Pool:
    """A process pool, and what each of its workers said it runs.

    Each worker has two numbers in shared memory: its pid and the number of the task it last
    started. When a worker dies the pool fails every task it holds (and ends its other
    workers): these numbers tell which task the dead worker ran, and its exit code why.

    A third, its deadline (`time.monotonic()`, the same clock in every process here; 0 for
    none), is set while a step's call with a timeout runs (`timeouts._alarm`): its timeout
    and the grace after it. Once a watch started for steps with a timeout (`watch`) finds
    one passed, it ends that worker itself, with the programs its step started: the worker's
    own timer cannot stop a call in compiled code that holds the GIL, nor one that catches
    its interruption and goes on. The task's number is then in `overdue`.
    """

    def __init__(self, workers: int) -> None:
        # forkserver: workers start from a clean process, not a fork of this threaded one.
        # The server imports pipeflow's worker side once (it lives as long as this process)
        # and each worker is a fork of it: no worker imports pipeflow, fsspec and the rest
        # again. Until the server has started, the preload list can still be set.
        if "forkserver" in multiprocessing.get_all_start_methods():
            context: Any = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
        else:
            context = multiprocessing.get_context()
        self.slots: Any = context.RawArray("q", 2 * workers)  # (pid, task number) per worker
        self.deadlines: Any = context.RawArray("d", workers)  # one per worker, 0 for none
        self.overdue: set[int] = set()  # the tasks whose workers the watch ended
        self._watching: threading.Thread | None = None
        self._closed = threading.Event()
        # Written by nobody: the workers read it until it closes, as this process ends.
        self._watched, self._alive = context.Pipe(duplex=False)
        self.told = Told()
        # A worker is a fork of the server, which has the environment of the moment it
        # started: each pool's workers take this process's as it is now (credentials of a
        # store set since, a variable removed), as a fork of this process would.
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(
                dict(os.environ),
                self.slots,
                self.deadlines,
                context.Lock(),
                self._watched,
            ),
        )
        # The pool's own map of pid -> process, kept: the pool drops it when shut down.
        processes = getattr(self.executor, "_processes", None)  # (empty yet: not `or {}`)
        self.processes: dict[int, Any] = processes if processes is not None else {}
        self._lock = threading.Lock()
        self._deaths: dict[int, int] | None = None
        # Start every worker now: they boot while the run is still being planned (the pool
        # starts no other: a dead worker breaks it, and a new pool is made).
        # With Ctrl-C and SIGTERM blocked: the fork server, started now, and the workers it
        # forks start with them blocked (they stay pending in this process, for another of
        # its threads to take). A terminal's Ctrl-C reaches every process of the group: the
        # server, still importing what it preloads, died of it with a traceback, and a
        # worker in its start did too (`start_worker` unblocks them once its handler is
        # set). After the semaphores above: starting the resource tracker unblocks them.
        try:
            with main_unseen(), signals_blocked():
                for _ in range(workers):
                    self.executor.submit(_ready)
        except BaseException:
            stop(self)  # its fork server died as it started (of a Ctrl-C, say)
            self.close()
            raise

    def close(self) -> None:
        """Once its workers have ended (or are ending): the pipe they watch is let go."""
        self._closed.set()
        self._alive.close()
        self._watched.close()
        self.told.close()

    def deaths(self) -> dict[int, int]:
        """The number of the task each dead worker ran -> the worker's exit code; the other
        workers are ended first, so that a task sent again never runs beside itself.

        Asked first as the broken pool fails its first task, before the pool ends the
        workers that live on: a worker that has ended then is one that died by itself."""
        with self._lock:
            if self._deaths is None:
                processes = list(self.processes.values())
                ended = {p.pid: p.exitcode for p in processes if p.exitcode is not None}
                pids, numbers = self.slots[0::2], self.slots[1::2]
                self._deaths = {
                    number: ended[pid]
                    for pid, number in zip(pids, numbers, strict=True)
                    if number and pid in ended
                }
                _end(process for process in processes if process.pid not in ended)
            return self._deaths

    def watch(self) -> None:
        """End each worker whose step runs past its deadline, from now on (started once,
        for the first task with a timeout)."""
        with self._lock:
            if self._watching is not None or self._closed.is_set():
                return
            self._watching = threading.Thread(
                target=self._watch, name="pipeflow-deadlines", daemon=True
            )
        self._watching.start()

    def _watch(self) -> None:
        while not self._closed.wait(WATCH_EVERY):
            now = time.monotonic()
            for index, deadline in enumerate(self.deadlines):
                if not deadline or now < deadline:
                    continue
                pid, number = self.slots[2 * index], self.slots[2 * index + 1]
                self.deadlines[index] = 0
                process = self.processes.get(pid)
                # One that died meanwhile (its pid may be another's by now) is not ended.
                if process is None or wait([process.sentinel], timeout=0):
                    continue
                with self._lock:
                    self.overdue.add(number)
                _kill_with_programs(pid)

    def pid_running(self, number: int) -> int | None:
        """The worker whose slot says it ran (or runs) task `number`, if one does."""
        for pid, running in zip(self.slots[0::2], self.slots[1::2], strict=True):
            if number and running == number:
                return int(pid)
        return None


def _end(processes: Iterable[Any]) -> None:
    """Stop these processes and wait until they have ended; then the programs their steps
    started (`subprocess.run`), which would otherwise live on without them, holding the
    run's stdout (found before: a worker's children are orphaned as it ends)."""
    alive = list(processes)
    programs = descendants({process.pid for process in alive if process.pid is not None})
    for process in alive:
        process.terminate()
    for process in alive:
        process.join(ENDING)
        if process.exitcode is None:  # it handles SIGTERM, and has not ended
            process.kill()
            process.join()
    kill(programs)


def _kill_with_programs(pid: int) -> None:
    """End a worker at once, and the programs its step started (found first: they are
    orphaned as it ends, and would live on holding the run's stdout)."""
    programs = descendants({pid})
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return  # it has ended meanwhile
    kill(programs)


def stop(pool: Pool) -> None:
    """Ctrl-C: stop the pool's running steps too, not only the queued ones, and wait for its
    workers and its reader thread a bounded time. A worker ended in the middle of sending a
    value (a large one takes a while) leaves the reader waiting for the rest, which no one
    will send, while this process still holds the pipe's writing end: closing that end makes
    it read the end of the pipe (the pool breaks, and ends)."""
    executor = pool.executor
    reader = getattr(executor, "_executor_manager_thread", None)
    results = getattr(executor, "_result_queue", None)
    executor.shutdown(wait=False, cancel_futures=True)
    _end(list(pool.processes.values()))
    if reader is None:
        return
    reader.join(ENDING)
    if reader.is_alive() and results is not None:
        results._writer.close()
        reader.join(ENDING)


def _ready() -> None:
    """A task that only makes the pool start a worker."""

"""The processes executor: steps in a pool of worker processes, for CPU-bound Python.

What crosses to a worker is the plain-data Task (a dotted path, input values, a store URL);
the worker imports the function, runs it, persists the result itself and sends back the value
with what the step printed and logged, which the engine replays as events (what it prints
and its retries are told as they come too: `telling.py`). A task whose inputs cannot be
pickled fails at once with the input's name and type.

A `timeout` is enforced inside the worker with an interval timer, for each attempt: the step's
call is interrupted (even in `time.sleep` or blocking I/O) and the worker stays usable, so an
attempt has ended before the next one starts. A call still running a grace after its
timeout (it catches the interruption, or is in compiled code that holds the GIL, where the
timer's handler cannot run) is ended from here with its worker and the programs it started
(`process_pool.Pool.watch`), which the step's error then says; its next attempt, if it has
one, starts on a new worker once that one is gone (`process_again.py`).

A worker that dies (killed, out of memory, a crash in C) fails the step it was running with a
message saying so: each worker says in shared memory which task it starts, so the pool (which
fails every task it holds when one of its workers dies) is not taken at its word. The other
tasks it held are sent again, from their start, to a new pool, once the workers that ran
them have ended.

A worker ends by itself when the process that made its pool has ended without ending it
(killed with SIGKILL, which no handler sees): it waits on a pipe only that process can
write to, whose end-of-file says so. Otherwise it would live on, and the forkserver and
resource tracker with it (they end when the last of their users has), holding the run's
stdout and stderr: a caller reading them to the end would wait forever.

Workers see the environment of the process that runs the pipeline as it was when the run's
pool started (not the forkserver's, from its own start). A worker's own side (its start, and
each task: `working.work`) is `pool_worker.py`.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from pipeflow.execute import attempts, ctrl_c
from pipeflow.execute.attempts import Present
from pipeflow.execute.descriptors import left_by
from pipeflow.execute.executors.in_flight import InFlight
from pipeflow.execute.executors.pool_worker import HELD, run
from pipeflow.execute.executors.process_again import (
    carried,
    delay,
    retried,
    stuck_attempt,
)
from pipeflow.execute.executors.process_errors import deaths, died, not_back, unpicklable
from pipeflow.execute.executors.process_pool import Pool, stop
from pipeflow.execute.executors.telling import Say
from pipeflow.execute.executors.working import spooled
from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.execute.timeouts import ended_with_its_process
from pipeflow.records import record

MOST_RESTARTS = 3  # times a task is sent again after other workers' deaths broke its pool


class ProcessExecutor:
    """Runs tasks on a pool of worker processes (default: one per CPU)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)  # each task sent to a pool, sent again or not
        self._closed = False
        self._closing = threading.Event()  # set with `_closed`: a retry's delay ends
        self._say: Say | None = None  # who hears each line a step prints, as it comes
        # What each task's step prints, as it comes (`working.work`): kept for a task whose
        # worker dies or is stopped, whose result (which carries it) never comes.
        self._spool = tempfile.mkdtemp(prefix="pipeflow-output-")
        self.hold_after_failure = False  # the run starts nothing new after a failure
        self._in_flight = InFlight(self.workers)
        # Ctrl-C or SIGTERM while the pool starts: noted until it has, then its workers are
        # stopped, and the signal comes again. A pool cut short would be lost with workers
        # still starting, which then print a traceback as this process removes what they
        # need (their pool's semaphores).
        # The same Ctrl-C reaches the pool's fork server (a terminal sends it to the whole
        # group): one that dies of it as it starts fails the pool's start (EOFError), which
        # is then the interruption, not the run's failure.
        with ctrl_c.held() as came:
            try:
                self._pool = Pool(self.workers)
            except Exception:
                if not came:
                    shutil.rmtree(self._spool, ignore_errors=True)
                    raise
        if came:
            if hasattr(self, "_pool"):
                self.shutdown(cancel=True)
            else:
                shutil.rmtree(self._spool, ignore_errors=True)
            signal.raise_signal(came[0])

    def hear(self, say: Say) -> None:
        """Hand each line a step prints or logs to `say` as it comes (`telling.py`), not only
        with the step's result."""
        self._say = say

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        problem = unpicklable(task)
        if problem is not None:
            return _done(TaskResult(step=task.step, error=problem))
        # Pickled to the worker: its inputs are its own there, no copy is needed (but for
        # each attempt of a step with retries: `task._call`).
        ahead = self._in_flight.handed()  # while every worker is busy
        flight = _Flight(replace(task, isolate=False), Future(), notify, ahead=ahead)
        flight.began = time.monotonic()
        if task.writes:  # what they hold before its first attempt is not its output
            flight.present = attempts.present(task.writes)
        flight.outer.add_done_callback(self._in_flight.ended)  # before the run hears of it
        self._send(flight)  # retries are told through `telling`
        return flight.outer

    def hold(self) -> None:
        """Begin none of the tasks sent while every worker was busy, and not taken by one
        yet: each ends withdrawn. One sent to a free worker has begun."""
        with open(os.path.join(self._spool, HELD), "a"):
            pass

    def _send(self, flight: _Flight) -> None:
        while True:
            with self._lock:
                pool, number, closed = self._pool, next(self._numbers), self._closed
            if closed:
                self._end(flight, _failed(flight, died(flight.task, None), said=flight.said))
                return
            flight.spool, flight.number = f"{self._spool}/{number}", number
            if flight.task.timeout is not None:
                pool.watch()  # ends its worker should the step outlive its deadline
            pool.told.expect(number, flight.notify, self._say, flight.task.step, flight.spool)
            try:
                inner = pool.executor.submit(
                    run,
                    flight.task,
                    number,
                    flight.spool,
                    ahead=flight.ahead,
                    hold_after_failure=self.hold_after_failure,
                )
            except BrokenProcessPool:
                pool.told.back(number, None)  # a death the pool has not reported yet: never sent
                self._replace(pool)
                if self._again(flight):
                    continue
                self._end(flight, _failed(flight, deaths(flight.task, flight.restarts + 1)))
                return
            inner.add_done_callback(functools.partial(self._relay, flight, pool, number))
            return

    def _relay(
        self, flight: _Flight, pool: Pool, number: int, finished: Future[TaskResult]
    ) -> None:
        try:
            result = finished.result()
        except BrokenProcessPool:
            _, said = pool.told.back(number, None)
            # A worker died, and the pool failed every task it held. Only the task that
            # worker ran fails; the others (running in a worker the pool then ends, or
            # waiting for one) start again on a new pool, not as an attempt of their own.
            dead = pool.deaths()
            exitcode = dead.get(number)
            self._replace(pool)
            timeout = flight.task.timeout  # its worker ended past its deadline, for it
            overdue = timeout is not None and number in pool.overdue
            # Only workers ended for their steps' timeouts died: no death to count against
            # the tasks beside them, which that step's next attempt may end again.
            counted = not dead or not set(dead) <= pool.overdue
            if exitcode is None and not overdue and self._again(flight, counted=counted):
                flight.said = said  # of its file so far, should no pool take it again
                _clear(flight)  # it starts again from what was there
                self._send(flight)
                return
            if timeout is not None and overdue:
                error = ended_with_its_process(flight.task.step, timeout)
                result = _failed(flight, error, pool, said)
                result = replace(result, attempts=stuck_attempt(flight.task, flight.spool))
                if retried(flight.task, result):
                    _clear(flight)  # its next attempt starts from what was there
                    self._next_attempt(flight, result)
                    return
                self._end(flight, result)
                return
            error = (
                died(flight.task, exitcode)
                if exitcode is not None
                else deaths(flight.task, flight.restarts + 1)
            )
            result = _failed(flight, error, pool, said)
        except BaseException as error:  # a result that could not be sent back, say
            _, said = pool.told.back(number, None)
            result = _failed(flight, not_back(flight.task.step, error), pool, said)
        else:
            result = pool.told.back(number, result)[0] or result
        self._end(flight, result)

    def _end(self, flight: _Flight, result: TaskResult) -> None:
        flight.outer.set_result(carried(result, flight.before, flight.began))

    def _next_attempt(self, flight: _Flight, result: TaskResult) -> None:
        """The next attempt of a step whose worker its timer ended (gone by now), after the
        retry's delay, as a new task (`process_again.py`); none once the run is stopped."""
        wait = delay(flight.task, result)
        if self._say is not None:  # what the ended attempt printed, said before its retry
            for stream, text in result.output:
                self._say(flight.task.step, stream, text)
            result = replace(result, output=())
        flight.before = carried(result, flight.before, flight.began)
        flight.notify(flight.task.step, result.attempts, result.error or "TimeoutError", wait)

        def later() -> None:
            if self._closing.wait(wait):  # Ctrl-C, SIGTERM: the run ends
                self._end(flight, replace(result, output=(), retries=(), error="interrupted"))
                return
            flight.task = replace(flight.task, attempt=result.attempts + 1)
            flight.said = flight.restarts = 0  # a task of its own, from its start
            self._send(flight)

        threading.Thread(target=later, name="pipeflow-next-attempt", daemon=True).start()

    def _again(self, flight: _Flight, *, counted: bool = True) -> bool:
        """Whether a task a pool failed under it may be sent again (`counted` against
        MOST_RESTARTS, unless the pool broke only for workers ended for their timeouts)."""
        with self._lock:
            if self._closed or (counted and flight.restarts >= MOST_RESTARTS):
                return False
        flight.restarts += counted
        return True

    def _replace(self, broken: Pool) -> None:
        """A new pool in place of a broken one; none when no worker can start any more (the
        forkserver ended too: SIGTERM to the run's whole process group, as systemd sends
        it), and then the tasks still to send fail, rather than one waiting forever."""
        with self._lock:
            if self._pool is broken and not self._closed:
                try:
                    self._pool = Pool(self.workers)
                except (OSError, EOFError):
                    self._closed = True
        broken.executor.shutdown(wait=False, cancel_futures=True)
        broken.close()  # its workers are ended (`deaths`) or end now

    def shutdown(self, *, cancel: bool = False) -> None:
        with self._lock:
            self._closed = True
            self._closing.set()
            pool = self._pool
        if cancel:
            stop(pool)
        else:
            pool.executor.shutdown(wait=True)
        pool.close()
        shutil.rmtree(self._spool, ignore_errors=True)


@record(frozen=False, eq=False)
class _Flight:
    """A task on its way through the pools: sent again, with the same future, when a pool
    breaks under it for another worker's death."""

    task: Task
    outer: Future[TaskResult]
    notify: Notify
    restarts: int = 0
    spool: str = ""  # where its worker writes its output as it comes (`working.work`)
    number: int = 0  # the task number its worker's slot shows while it runs it
    said: int = 0  # lines of `spool` said as they came (`telling.py`)
    ahead: bool = False  # sent while every worker was busy: not begun once the run holds
    began: float = 0.0  # `time.monotonic()` as it was first sent
    # What its declared writes held before its first attempt (`attempts.present`).
    present: Present | None = None
    # What the tasks of its attempts that went on after their timeout left to replay
    # (`process_again.py`): its result comes after it.
    before: TaskResult | None = None


def _clear(flight: _Flight) -> None:
    """Remove what the task's attempt added to its declared writes: its worker was ended, and
    could not (`attempts.clear_attempt`, as after an attempt that raised). Its worker has
    ended: nothing writes there any more."""
    if flight.present is not None:
        attempts.clear_attempt(flight.task.writes, flight.present, flight.task.project_dir)


def _done(result: TaskResult) -> Future[TaskResult]:
    future: Future[TaskResult] = Future()
    future.set_result(result)
    return future


def _failed(flight: _Flight, error: str, pool: Pool | None = None, said: int = 0) -> TaskResult:
    """A task whose result did not come back, with what its step printed and logged until
    then (spooled by its worker; the first `said` lines were said as they came), and wrote
    below `sys.stdout` (in `pool`'s worker that ran it): a worker that died, or that Ctrl-C
    stopped."""
    output, below = spooled(flight.spool) if flight.spool else ((), {})
    output = output[said:]
    pid = pool.pid_running(flight.number) if pool is not None and flight.spool else None
    if pid is not None:
        output = (*output, *left_by(os.path.dirname(flight.spool), pid, below))
    return TaskResult(step=flight.task.step, error=error, output=output)

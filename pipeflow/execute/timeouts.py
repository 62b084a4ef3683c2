"""Timeouts: calling a step's function with a time limit, and stopping it when time is up.

The one promise: no two attempts of a step ever run at once. How a call is stopped depends
on where it runs:

1. On a process's main thread (a worker of the processes executor; the sequential executor
   run from the main thread), an interval timer (SIGALRM) interrupts the call in place, even
   inside `time.sleep` or blocking I/O, and the programs it started are killed. A call that
   catches the interruption and returns anyway fails all the same (what it returns is
   dropped). The executor is told the call's deadline, its timeout and STOP_GRACE seconds
   more (`Due`): past it, a call still running, whether it caught the interruption or never
   returned to Python to take it (compiled code), has its worker process ended from outside
   with the programs it started (`executors/process_pool.py`), and the step's next attempt,
   if it has one, starts on a new worker. On `sequential` nothing can end it (`no_deadline`):
   the run waits for the call to return to Python.
2. Anywhere else (the threads executor, a Dask worker's thread, sequential run from a thread
   other than the main one), the call
   runs on a thread of its own. When time is up that thread is asked to stop with an
   asynchronous exception (`PyThreadState_SetAsyncExc`), which Python raises in it at its
   next bytecode: pure-Python code stops at once, but a call blocked in C (`time.sleep`,
   a socket read, a long NumPy operation) only when that call returns.

Before a retry, the caller waits up to STOP_GRACE seconds for a stopped call to end. If it
still runs, the attempt fails with `StillRunning` and no further attempt starts here: another
attempt would run beside it. On the sequential and threads executors the step fails and says
why; on a Dask worker the executor ends the worker's process, and then starts the next
attempt (`Task.attempt`) on the cluster. After the last attempt nothing waits: the step fails
at once and whatever the call returns later is dropped, never stored.

The exception used to stop a call, `Stop`, derives from BaseException so that step code's
`except Exception:` does not swallow it.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pipeflow.execute import programs
from pipeflow.execute.awaiting import suspended_in
from pipeflow.execute.calls import Call, Stop, stoppable
from pipeflow.execute.capture import working_for
from pipeflow.model.durations import format_duration

STOP_GRACE = 2.0  # seconds a stopped call may take to end before a retry is given up on
# Told by when (`time.monotonic()`) a call in place must have ended, then None once it has.
Due = Callable[[float | None], None]
# Why a call that does not stop ends its step, with advice: on the sequential and threads
# executors only; on a Dask worker the executor restarts the worker to stop it, then retries
# (`ends_worker`).
_NOT_RETRIED = (
    ", so it is not retried: another attempt would run beside it; the `processes` and `dask` "
    "executors stop such work, so use one of them for steps with a timeout that block in such "
    "calls"
)


class StillRunning(TimeoutError):
    """An attempt ran out of time and did not stop when asked: no further attempt may start."""


def call(
    function: Callable[..., Any],
    inputs: Mapping[str, Any],
    *,
    timeout: float,
    step: str,
    run_id: str,
    in_place: Due | None,
    last: bool,
    ends_worker: bool = False,
) -> Any:
    """`function(**inputs)` within `timeout` seconds.

    `in_place`: interrupt this thread with a timer (only on a process's main thread), and
    tell it the call's deadline, past which the executor ends this process;
    `last`: no retry follows, so a call that does not stop is not waited for;
    `ends_worker`: the executor ends this worker process to stop a call that does not stop
    (a Dask worker), and then retries it: its error neither says it is not retried nor
    advises another executor.
    """
    if in_place is not None and threading.current_thread() is threading.main_thread():
        with stoppable(run_id):  # Ctrl-C on the sequential executor: its programs killed
            return _in_place(function, inputs, timeout=timeout, step=step, due=in_place)
    return _on_a_thread(
        function,
        inputs,
        timeout=timeout,
        step=step,
        run_id=run_id,
        last=last,
        ends_worker=ends_worker,
    )


def ended_with_its_process(step: str, timeout: float) -> str:
    """The error of a step whose process its executor ended past its deadline (1. above)."""
    return (
        f"TimeoutError: {_late(step, timeout)} and was still running {STOP_GRACE:g}s after it "
        "was interrupted (it catches the interruption, takes that long to clean up, or is in "
        "compiled code that does not return to Python), so its worker process was ended, "
        "with the programs it started"
    )


def _late(step: str, timeout: float) -> str:
    return f"step `{step}` did not finish within its timeout of {format_duration(timeout)}"


def _in_place(
    function: Callable[..., Any],
    inputs: Mapping[str, Any],
    *,
    timeout: float,
    step: str,
    due: Due,
) -> Any:
    """The call on this main thread, a timer interrupting it in place (1. above). Once
    interrupted, the programs it started and still runs are killed: `Popen.wait()` leaves
    the program it waited for running."""
    thread = threading.get_native_id()
    before = set(programs.children_of(thread))
    try:
        with _alarm(timeout, due) as expired:
            value = function(**inputs)
    except BaseException as error:
        if not expired:
            raise
        _kill_started(thread, before)
        # Stopped (or failing some other way once interrupted): it carries where it was.
        where = error.args[0] if isinstance(error, Stop) and error.args else expired[0]
        late = TimeoutError(_late(step, timeout) + "; it was stopped")
        raise _stopped_at(late, where).with_traceback(error.__traceback__) from None
    if expired:  # it caught the interruption and went on: an attempt too long all the same
        _kill_started(thread, before)
        raise _stopped_at(
            TimeoutError(
                _late(step, timeout) + "; it went on after it was interrupted, and what it "
                "returned then is dropped"
            ),
            expired[0],
        )
    return value


def _kill_started(thread: int, before: set[int]) -> None:
    started = set(programs.children_of(thread)) - before
    programs.kill([*started, *programs.descendants(started)])


def no_deadline(when: float | None) -> None:
    """A `Due` for a call in place that nothing ends from outside (the sequential executor):
    a call in compiled code that never lets the timer's handler run ends when it returns."""
    del when


@contextmanager
def _alarm(seconds: float, due: Due) -> Iterator[list[traceback.StackSummary | None]]:
    """SIGALRM on this main thread after `seconds`: `Stop` raised where the call is, and
    where that was added to the list given. `due` is told the deadline, STOP_GRACE seconds
    later, past which the executor ends this process: a call that catches `Stop` and goes
    on, or that is in compiled code which never lets the handler run, is ended then."""
    expired: list[traceback.StackSummary | None] = []

    def expire(signum: int, frame: Any) -> None:
        where = _stack_of(threading.get_ident(), frame)
        expired.append(where)
        raise Stop(where)

    previous = signal.signal(signal.SIGALRM, expire)
    due(time.monotonic() + seconds + STOP_GRACE)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield expired
    finally:
        while True:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                due(None)
                break
            except Stop:  # time ran out as the call ended: `expired` says so
                continue


def _on_a_thread(
    function: Callable[..., Any],
    inputs: Mapping[str, Any],
    *,
    timeout: float,
    step: str,
    run_id: str,
    last: bool,
    ends_worker: bool,
) -> Any:
    box: dict[str, Any] = {}
    state = Call()

    def target() -> None:
        try:
            try:
                with working_for(run_id, step), stoppable(run_id):
                    box["value"] = function(**inputs)
            except Stop:
                box["stopped"] = state.landed = True
            except BaseException as error:
                box["error"] = error
            finally:
                state.finish()
        except Stop:
            box["stopped"] = True

    thread = threading.Thread(target=target, name=f"pipeflow-step-{step}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        where = _stack_of(thread.ident)  # before the stop moves it
        state.stop(thread.ident)
        if last:
            raise _stopped_at(
                TimeoutError(
                    _late(step, timeout) + "; it was asked to stop, and what it returns from "
                    "now on is dropped"
                ),
                where,
            )
        thread.join(STOP_GRACE)
        if thread.is_alive():
            # On a Dask worker the executor ends the process, and only then retries.
            why = "" if ends_worker else _NOT_RETRIED
            raise _stopped_at(
                StillRunning(
                    _late(step, timeout)
                    + f" and was still running {STOP_GRACE:g}s after it was asked to stop (it "
                    "is in a call Python cannot interrupt on a thread: sleep, I/O or compiled "
                    "code)" + why
                ),
                where,
            )
        raise _stopped_at(TimeoutError(_late(step, timeout) + "; it was stopped"), where)
    if "error" in box:
        raise box["error"]
    if box.get("stopped"):  # by `stop_calls`: the run stopped
        raise Stop("interrupted")
    return box.get("value")


def _stack_of(ident: int | None, frame: Any = None) -> traceback.StackSummary | None:
    """Where a thread is now (or was, in `frame`): its frames, outermost first, then those
    of the coroutine it runs to its end (`awaiting`), which wait on no thread's stack."""
    if frame is None and ident is not None:
        frame = sys._current_frames().get(ident)
    if frame is None:
        return None
    stack = traceback.extract_stack(frame)
    stack.extend(traceback.StackSummary.extract(suspended_in(ident)))
    return stack


def _stopped_at(error: TimeoutError, where: traceback.StackSummary | None) -> TimeoutError:
    """`error`, carrying the frames its step was in (`failures.compact_traceback` shows them), or
    None where its traceback holds them: marked as a stop either way."""
    error.stopped_at = where  # type: ignore[attr-defined]
    return error

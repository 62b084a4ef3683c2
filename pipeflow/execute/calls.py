"""The calls of a run's steps, stopped together when the run is (Ctrl-C, SIGTERM: see
`commits.interrupt`), wherever they run in this process: a call on a thread other than the
main one with an exception raised in it (`Stop`, at its next bytecode), the programs it
started killed; a call on the main thread gets the KeyboardInterrupt itself. A timed call's
own thread (`timeouts`) is stopped the same way when its time is up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from pipeflow.execute import programs
from pipeflow.execute.ctrl_c import by_signal


class Stop(BaseException):
    """Raised inside a step's call to stop it."""


class Call:
    """The state shared by a step's thread and the thread that may stop it.

    A stop is only sent while the call has not finished, under the lock; the step's thread
    marks itself finished under the same lock and clears any stop still pending, so no stop
    can land outside the call (in threading's own code, or in a later thread with a reused id).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished = False
        # A stop was sent, and it landed (`Stop` was raised in the call): `finish` clears a
        # stop sent that has not. Only then: under a profiler or tracer, Python 3.11 hangs the
        # thread that clears an exception that is not pending (`PyThreadState_SetAsyncExc`).
        self.sent = False
        self.landed = False
        self.thread = threading.get_native_id()  # made on the thread of the call

    def stop(self, ident: int | None) -> None:
        with self.lock:
            if not self.finished and ident is not None:
                self.sent = True
                raise_in(ident, Stop)

    def finish(self) -> None:
        while True:
            try:
                with self.lock:
                    self.finished = True
                    if self.sent and not self.landed:
                        raise_in(threading.get_ident(), None)  # clear a pending stop
                return
            except Stop:  # a stop delivered just before it was cleared
                continue


# Ctrl-C and SIGTERM (`commits.interrupt`): the calls of a run's steps on threads other than
# the main one (the threads executor's, a timed call's own thread, a run `serve` or the UI
# started) are stopped as a timeout stops one. The main thread gets the KeyboardInterrupt
# itself. Nothing is sent to a thread unless a run is stopped: a run's normal path only adds
# and removes its calls here.
_calls_lock = threading.Lock()
_calls_changed = threading.Condition(_calls_lock)  # a run stopped: its retry delays end
_calls: dict[str, dict[int, Call]] = {}  # run id -> {thread id: its step's call}
_stopped_runs: set[str] = set()


def stoppable(run_id: str) -> AbstractContextManager[None]:
    """While the block runs (a step's call on this thread), `stop_calls(run_id)` stops it
    with `Stop`, raised at once if the run is stopped already. On the main thread Ctrl-C
    reaches the call by itself, and the programs it started are killed then."""
    if threading.get_ident() == threading.main_thread().ident:
        return _OnTheMainThread(run_id)
    return _stoppable(run_id)


class _OnTheMainThread(AbstractContextManager[None]):
    """A step's call on the main thread (the sequential executor): should Ctrl-C or SIGTERM
    stop it, the programs the run's steps started there are killed, waited for or not. Sent
    to this process alone (`kill PID`), the signal reaches none of them, and `Popen.wait()`
    does not end the program it waits for when interrupted (`subprocess.run` does). The
    programs the thread had started before the run (an API caller's own) are left alone: they
    are read once per run, not per step (a read of `/proc` costs about 20 us)."""

    _before: tuple[str, frozenset[int]] = ("", frozenset())  # a run, and those programs

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        if _OnTheMainThread._before[0] != run_id:
            children = programs.children_of(threading.get_native_id())
            _OnTheMainThread._before = (run_id, frozenset(children))

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is KeyboardInterrupt and by_signal():
            before = _OnTheMainThread._before[1]
            started = set(programs.children_of(threading.get_native_id())) - before
            programs.kill([*started, *programs.descendants(started)])


@contextmanager
def _stoppable(run_id: str) -> Iterator[None]:
    ident = threading.get_ident()
    state = Call()
    with _calls_lock:
        if run_id in _stopped_runs:
            raise Stop("interrupted")
        _calls.setdefault(run_id, {})[ident] = state
    try:
        yield
    except Stop:
        state.landed = True
        raise
    finally:
        state.finish()
        with _calls_lock:
            calls = _calls.get(run_id)
            if calls is not None:
                calls.pop(ident, None)
                if not calls:
                    del _calls[run_id]


def stop_calls(run_id: str) -> None:
    """Run `run_id` stopped (Ctrl-C, SIGTERM): stop its steps' calls on threads here at their
    next bytecode, kill the programs they started, end their retry delays, and start no
    more."""
    with _calls_lock:
        _stopped_runs.add(run_id)
        calls = list(_calls.get(run_id, {}).items())
        _calls_changed.notify_all()
    # The programs they wait for too (`subprocess.run`): a signal sent to this process alone
    # (`kill PID`, not a terminal's Ctrl-C to its group) reaches none of them.
    started = programs.started_by_threads(state.thread for _, state in calls)
    for ident, state in calls:
        state.stop(ident)
    programs.kill(started)


def pause(run_id: str, seconds: float) -> bool:
    """Wait `seconds` (a retry's delay); False, at once, if run `run_id` is stopped."""
    with _calls_changed:
        return not _calls_changed.wait_for(lambda: run_id in _stopped_runs, timeout=seconds)


def raise_in(ident: int, exception: type[BaseException] | None) -> None:
    import ctypes  # here: a run without time-outs need not load it

    argument = ctypes.py_object(exception) if exception is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), argument)

"""Telling Ctrl-C from a KeyboardInterrupt that a step's code raises itself.

Only a SIGINT, or a SIGTERM (`docker stop`, systemd, a cancelled CI job), stops a run (exit
130): while a run goes on the main thread, a SIGTERM whose handler is the system's default
raises a KeyboardInterrupt there as Ctrl-C does, so the run stops its steps and its workers
and says it was interrupted, instead of its process vanishing mid-run. A KeyboardInterrupt
a step raises without one (`raise KeyboardInterrupt`, a library turning its own signal
handling into one) is that step's failure like any exception, on every executor. Python
raises a signal's KeyboardInterrupt on the main thread alone, so one caught on another
thread (a `threads` or Dask worker's, a step's thread with a timeout) is the step's. On the
main thread, where the `sequential` executor runs steps, `noting` wraps the SIGINT handler
while a run goes, so that the signal leaves a mark; a `processes` worker's main thread
leaves SIGINT to the run (its handler does nothing).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_state: dict[str, Any] = {"previous": None, "depth": 0, "received": False, "terminated": False}


def _noted(signum: int, frame: FrameType | None) -> Any:
    """SIGINT while a run goes: marked, then handled as before (a KeyboardInterrupt)."""
    _state["received"] = True
    previous: Callable[[int, FrameType | None], Any] = _state["previous"]
    return previous(signum, frame)


def _terminated(signum: int, frame: FrameType | None) -> Any:
    """SIGTERM while a run goes: marked, and a stop like Ctrl-C's."""
    del signum, frame
    _state["terminated"] = True
    raise KeyboardInterrupt


def terminate_as_interrupt() -> None:
    """From now on a SIGTERM left to the system stops this process as Ctrl-C does (the
    console script's, from its start: a run that `noting` wraps stops as it says)."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        _state["terminated"] = False
        signal.signal(signal.SIGTERM, _terminated)


def ignore_from_now() -> None:
    """The command line ends as interrupted (exit 130): a SIGINT or SIGTERM from now on is
    ignored (a supervisor repeating SIGTERM, Ctrl-C held down). Otherwise one would raise a
    KeyboardInterrupt in the command's last steps, or, once Python has given signals their
    default action back as it ends, end the process by the signal instead of exit 130 (an
    ignored signal keeps being ignored). The command line's only: an API caller keeps its
    handlers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextmanager
def noting() -> Iterator[None]:
    """While the block runs, a SIGINT leaves a mark `by_signal` reads, and a SIGTERM left to
    the system stops the run as Ctrl-C does (a handler of the program's own is kept). Off the
    main thread nothing to do: no handler can be set there."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    terminating = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if terminating:  # not already ours (a run inside a run), nor the program's own
        _state["terminated"] = False
        signal.signal(signal.SIGTERM, _terminated)
    try:
        with _noting_interrupts():
            yield
    finally:
        if terminating and signal.getsignal(signal.SIGTERM) is _terminated:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def _noting_interrupts() -> Iterator[None]:
    """SIGINT's part of `noting`. With a handler that is not Python code (SIGINT ignored, or
    left to the system), nothing to do: no KeyboardInterrupt comes from SIGINT then."""
    handler = signal.getsignal(signal.SIGINT)
    if handler is _noted:  # a run inside a run (a step that runs a pipeline): already noting
        _state["depth"] += 1
    elif not callable(handler):
        yield
        return
    else:
        _state.update(previous=handler, depth=1, received=False)
        signal.signal(signal.SIGINT, _noted)
    try:
        yield
    finally:
        _state["depth"] -= 1
        if not _state["depth"] and signal.getsignal(signal.SIGINT) is _noted:
            signal.signal(signal.SIGINT, _state["previous"])


@contextmanager
def held() -> Iterator[list[int]]:
    """While the block runs, a SIGINT or SIGTERM that would stop the run is noted (in the list
    given) instead of raised: code that a KeyboardInterrupt must not cut short (a Dask cluster
    starting, whose half-made state would be left to print tracebacks, or swallow it) runs
    to its end, and the caller then stops the run. A handler of the program's own is kept."""
    came: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return

    def note(signum: int, frame: FrameType | None) -> None:
        del frame
        came.append(signum)

    saved: dict[int, Any] = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(number) in _STOPPING[number]
    }
    for number in saved:
        signal.signal(number, note)
    _held.append(saved)
    try:
        yield came
    finally:
        _held.remove(saved)
        for number, handler in saved.items():
            signal.signal(number, handler)


_held: list[dict[int, Any]] = []  # the handlers `held` keeps aside, innermost last


def _handler(number: int) -> Any:
    """The handler of the signal `number` that a signal would meet but for `held`."""
    for saved in reversed(_held):
        if number in saved:
            return saved[number]
    return signal.getsignal(number)


# The handlers under which a signal stops a run: what `held` notes instead.
_STOPPING: dict[int, tuple[Any, ...]] = {
    signal.SIGINT: (signal.default_int_handler, _noted),
    signal.SIGTERM: (signal.SIG_DFL, _terminated),
}


def by_signal() -> bool:
    """Whether a KeyboardInterrupt the calling thread caught comes from a SIGINT (Ctrl-C) or
    a SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if _handler(signal.SIGTERM) is _terminated and _state["terminated"]:
        return True
    handler = _handler(signal.SIGINT)
    if handler is _noted:
        return bool(_state["received"])
    # A run's steps on this main thread without `noting`: Python's own handler may have
    # raised it (as before: the run stops); another (a `processes` worker's) does not raise.
    return handler is signal.default_int_handler


def stopping() -> bool:
    """Whether Ctrl-C or SIGTERM has reached the run this process drives, asked from any
    thread: a local cluster's worker that the same signal ended is no news then."""
    terminated = _handler(signal.SIGTERM) is _terminated and _state["terminated"]
    interrupted = _handler(signal.SIGINT) is _noted and _state["received"]
    return bool(terminated or interrupted)

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


def by_signal() -> bool:
    """Whether a KeyboardInterrupt the calling thread caught comes from a SIGINT (Ctrl-C) or
    a SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is _terminated and _state["terminated"]:
        return True
    handler = signal.getsignal(signal.SIGINT)
    if handler is _noted:
        return bool(_state["received"])
    # A run's steps on this main thread without `noting`: Python's own handler may have
    # raised it (as before: the run stops); another (a `processes` worker's) does not raise.
    return handler is signal.default_int_handler

"""Capture what steps print and log, by thread, and hand it on as StepOutput events.

sys.stdout is process-wide, but steps may run on several threads at once, and several runs
may share a process (`pipeflow serve`, the UI). While any run is active, stdout and stderr are
replaced, once, by routers that look up which run and step the writing thread works for and
pass the text to that run's emitter; writes from any other thread go to the original stream
untouched. A logging handler on the root logger does the same for log records.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

Emit = Callable[[str, str, str], None]  # (step, stream, text)

_current = threading.local()
_emitters: dict[str, Emit] = {}  # run id -> where its steps' output goes
_lock = threading.Lock()
_installed: list[Any] = []  # [stdout router, stderr router, log handler, saved level] while active
_users = 0


def current() -> tuple[str, str] | None:
    """(run id, step) the calling thread works for, or None."""
    found: tuple[str, str] | None = getattr(_current, "work", None)
    return found


@contextmanager
def working_for(run_id: str, step: str) -> Iterator[None]:
    """Mark the calling thread as working for a step of a run while the block runs."""
    previous = current()
    _current.work = (run_id, step)
    try:
        yield
    finally:
        _current.work = previous


def _emit(stream: str, text: str) -> bool:
    work = current()
    if work is None:
        return False
    emit = _emitters.get(work[0])
    if emit is None:
        return False
    emit(work[1], stream, text)
    return True


class _Router:
    """A text stream that sends a step thread's writes to its run, line by line."""

    def __init__(self, original: TextIO, stream: str) -> None:
        self.original = original
        self._stream = stream
        self._partial: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        work = current()
        if work is None or work[0] not in _emitters:
            return self.original.write(text)
        with self._lock:
            buffered = self._partial.pop(work, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[work] = rest
        for line in lines:
            _emit(self._stream, line)
        return len(text)

    def flush_step(self, run_id: str, step: str) -> None:
        with self._lock:
            rest = self._partial.pop((run_id, step), "")
        if rest:
            emit = _emitters.get(run_id)
            if emit is not None:
                emit(step, self._stream, rest)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self.original, name)


class _LogRouter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        if current() is None:
            return
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        _emit("log", text)


class OutputCapture:
    """Active for the length of one run: its steps' output goes to `emit`."""

    def __init__(self, run_id: str, emit: Emit) -> None:
        self._run_id = run_id
        self._emit = emit

    def __enter__(self) -> OutputCapture:
        global _users
        with _lock:
            _emitters[self._run_id] = self._emit
            _users += 1
            if _users == 1:
                _install()
        return self

    def end_step(self, step: str) -> None:
        """Pass on what a step printed without a final newline."""
        for router in _installed[:2]:
            router.flush_step(self._run_id, step)

    def __exit__(self, *exc_info: object) -> None:
        global _users
        with _lock:
            _users -= 1
            if _users == 0:
                _uninstall()
            _emitters.pop(self._run_id, None)


def _install() -> None:
    out, err = _Router(sys.stdout, "stdout"), _Router(sys.stderr, "stderr")
    handler = _LogRouter()
    root = logging.getLogger()
    saved: int | None = None
    if root.getEffectiveLevel() > logging.INFO:
        # Steps log progress at INFO; without this the root logger would drop it.
        saved = root.level
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    sys.stdout, sys.stderr = out, err
    _installed[:] = [out, err, handler, saved]


def _uninstall() -> None:
    out: _Router = _installed[0]
    err: _Router = _installed[1]
    handler, saved = _installed[2], _installed[3]
    # Only undo our own replacement: someone may have replaced the streams since.
    if sys.stdout is out:
        sys.stdout = out.original
    if sys.stderr is err:
        sys.stderr = err.original
    root = logging.getLogger()
    root.removeHandler(handler)
    if saved is not None:
        root.setLevel(saved)
    _installed.clear()

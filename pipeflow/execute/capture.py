"""Capture what steps print and log, by thread, and hand it on as StepOutput events.

sys.stdout is process-wide, but steps may run on several threads at once. While a run is
active, stdout and stderr are replaced by routers that look up which step the writing thread
works for; writes from any other thread go to the original stream untouched. A logging
handler on the root logger does the same for log records.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Emit = Callable[[str, str, str], None]  # (step, stream, text)

_current = threading.local()


def current_step() -> str | None:
    return getattr(_current, "step", None)


@contextmanager
def working_for(step: str) -> Iterator[None]:
    """Mark the calling thread as working for `step` while the block runs."""
    previous = current_step()
    _current.step = step
    try:
        yield
    finally:
        _current.step = previous


class _Router:
    """A text stream that sends a step thread's writes to `emit`, line by line."""

    def __init__(self, original: TextIO, stream: str, emit: Emit) -> None:
        self._original = original
        self._stream = stream
        self._emit = emit
        self._partial: dict[str, str] = {}
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        step = current_step()
        if step is None:
            return self._original.write(text)
        with self._lock:
            buffered = self._partial.pop(step, "") + text
            *lines, rest = buffered.split("\n")
            if rest:
                self._partial[step] = rest
        for line in lines:
            self._emit(step, self._stream, line)
        return len(text)

    def flush_step(self, step: str) -> None:
        with self._lock:
            rest = self._partial.pop(step, "")
        if rest:
            self._emit(step, self._stream, rest)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self._original, name)


class _LogRouter(logging.Handler):
    def __init__(self, emit: Emit) -> None:
        super().__init__(level=logging.INFO)
        self._emit = emit

    def emit(self, record: logging.LogRecord) -> None:
        step = current_step()
        if step is None:
            return
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self._emit(step, "log", text)


class OutputCapture:
    """Installed for the length of a run; routes step output to `emit`."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._routers: list[_Router] = []
        self._handler = _LogRouter(emit)
        self._saved_level: int | None = None

    def __enter__(self) -> OutputCapture:
        self._stdout, self._stderr = sys.stdout, sys.stderr
        out = _Router(sys.stdout, "stdout", self._emit)
        err = _Router(sys.stderr, "stderr", self._emit)
        self._routers = [out, err]
        sys.stdout, sys.stderr = out, err
        root = logging.getLogger()
        if root.getEffectiveLevel() > logging.INFO:
            # Steps log progress at INFO; without this the root logger would drop it.
            self._saved_level = root.level
            root.setLevel(logging.INFO)
        root.addHandler(self._handler)
        return self

    def end_step(self, step: str) -> None:
        """Pass on what a step printed without a final newline."""
        for router in self._routers:
            router.flush_step(step)

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout, sys.stderr = self._stdout, self._stderr
        root = logging.getLogger()
        root.removeHandler(self._handler)
        if self._saved_level is not None:
            root.setLevel(self._saved_level)

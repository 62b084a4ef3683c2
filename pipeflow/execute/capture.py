"""Capture what steps print and log, by thread, and hand it on as StepOutput events.

sys.stdout is process-wide, but steps may run on several threads at once, and several runs
may share a process (`pipeflow serve`, the UI). While any run is active, stdout and stderr are
replaced, once, by routers that look up which run and step the writing thread works for and
pass the text to that run's emitter; writes from any other thread go to the original stream
untouched. A logging handler on the root logger does the same for log records (a library's
below the root logger's own level are no step's: `log_origin.py`).

A step's work is the step's own thread and what it hands on: a thread it starts (and the
threads those start) works for it while the step runs, and so does a function it submits to a
`concurrent.futures.ThreadPoolExecutor`, even one made before the step (a module-level pool:
its threads belong to no step, the call does). While a run is active, `Thread.start` and
`ThreadPoolExecutor.submit` are wrapped to carry the caller's step along. Nothing else is
guessed: a thread that no step started, or one still going after its step ended, writes to
the original streams, and a log record none of the logging handlers takes is shown as Python
shows it with no handler set up (`logging.lastResort`, on stderr).
"""

from __future__ import annotations

import functools
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TextIO

from pipeflow.execute.log_origin import is_step_output
from pipeflow.model.redraws import Lines

Emit = Callable[[str, str, str], None]  # (step, stream, text)

_current = threading.local()
_emitters: dict[str, Emit] = {}  # run id -> where its steps' output goes
_lock = threading.Lock()
_installed: list[Any] = []  # [stdout, stderr, log handler, saved level, stdin] while active
_users = 0
_running: dict[tuple[str, str], int] = {}  # (run id, step) -> its threads inside working_for
_INHERITED = "_pipeflow_work"  # on a Thread a step's work started: the (run id, step)
_thread_start = threading.Thread.start
_pool_submit = ThreadPoolExecutor.submit


def current() -> tuple[str, str] | None:
    """(run id, step) the calling thread works for, or None: its own step, else the step
    that submitted the pool call it runs or started it, while that step runs."""
    own: tuple[str, str] | None = getattr(_current, "work", None)
    if own is not None:
        return own
    handed: tuple[str, str] | None = getattr(_current, "lent", None)
    if handed is None:
        handed = getattr(threading.current_thread(), _INHERITED, None)
    if handed is not None and _running.get(handed):
        return handed
    return None


@contextmanager
def working_for(run_id: str, step: str) -> Iterator[None]:
    """Mark the calling thread as working for a step of a run while the block runs."""
    previous: tuple[str, str] | None = getattr(_current, "work", None)
    work = (run_id, step)
    with _lock:
        _running[work] = _running.get(work, 0) + 1
    _current.work = work
    try:
        yield
    finally:
        _current.work = previous
        with _lock:
            left = _running.pop(work) - 1
            if left:
                _running[work] = left


def _start(self: threading.Thread) -> None:
    """`Thread.start` while a run is active: the new thread works for the starter's step."""
    work = current()
    if work is not None:
        setattr(self, _INHERITED, work)
    _thread_start(self)


def _submit(
    self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> Future[Any]:
    """`ThreadPoolExecutor.submit` while a run is active: the call works for the caller's
    step, whichever thread of the pool runs it."""
    work = current()
    if work is not None:
        fn = functools.partial(_lent, work, fn)
    return _pool_submit(self, fn, *args, **kwargs)


def _lent(work: tuple[str, str], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    previous = getattr(_current, "lent", None)
    _current.lent = work
    try:
        return fn(*args, **kwargs)
    finally:
        _current.lent = previous


def _emit(stream: str, text: str) -> bool:
    work = current()
    if work is None:
        return False
    emit = _emitters.get(work[0])
    if emit is None:
        return False
    emit(work[1], stream, text)
    return True


# (class, method, the original, its wrapper while a run is active)
_WRAPPED: tuple[tuple[type, str, object, object], ...] = (
    (threading.Thread, "start", _thread_start, _start),
    (ThreadPoolExecutor, "submit", _pool_submit, _submit),
)


class _Router:
    """A text stream that sends a step thread's writes to its run, line by line."""

    def __init__(self, original: TextIO, stream: str) -> None:
        self.original = original
        self._stream = stream
        self._partial: dict[tuple[str, str], Lines] = {}  # a step's line being written
        self._held: dict[int, str] = {}  # thread -> what it wrote of no step's after its last line
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        work = current()
        if work is None or work[0] not in _emitters:
            return self._passed(text)
        with self._lock:
            partial = self._partial.pop(work, None) or Lines()
            lines = partial.feed(text)
            if partial.pending:
                self._partial[work] = partial
        for line in lines:
            _emit(self._stream, line)
        return len(text)

    def flush_step(self, run_id: str, step: str) -> None:
        with self._lock:
            partial = self._partial.pop((run_id, step), None)
        emit = _emitters.get(run_id)
        if partial is not None and emit is not None:
            for line in partial.end():
                emit(step, self._stream, line)

    def _passed(self, text: str) -> int:
        """A write of no step's, to the original stream a line at a time: `print` writes a
        line's text and its end apart, and a line the run shows meanwhile (from the engine's
        thread) would land between them. The rest of a line waits for the same thread's next
        write or flush, or the end of the runs."""
        thread = threading.get_ident()
        with self._lock:
            held = self._held.pop(thread, "")
            whole = held + text
            cut = whole.rfind("\n") + 1
            if cut < len(whole):
                self._held[thread] = whole[cut:]
        if cut:
            self.original.write(whole[:cut])
        return len(text)

    def release(self) -> None:
        """The runs are over: what any thread wrote after its last line goes out."""
        with self._lock:
            held, self._held = "".join(self._held.values()), {}
        if held:
            self.original.write(held)

    def flush(self) -> None:
        with self._lock:
            held = self._held.pop(threading.get_ident(), "")
        if held:
            self.original.write(held)
        self.original.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self.original, name)


class _Stdin:
    """sys.stdin while a run is active, unless it is a terminal: a step's work finds it
    ended, as a step in a worker process does (whose stdin is closed), rather than waiting
    on the stdin of the process that runs it: a CI runner's pipe that never ends. Other
    threads read the original stream."""

    def __init__(self, original: TextIO) -> None:
        self.original = original

    def read(self, size: int = -1) -> str:
        return "" if current() is not None else self.original.read(size)

    def readline(self, size: int = -1) -> str:
        return "" if current() is not None else self.original.readline(size)

    def readlines(self, hint: int = -1) -> list[str]:
        return [] if current() is not None else self.original.readlines(hint)

    def __iter__(self) -> Iterator[str]:
        return iter(self.readline, "")

    @property
    def buffer(self) -> Any:
        return io.BytesIO() if current() is not None else self.original.buffer

    def isatty(self) -> bool:
        return current() is None and self.original.isatty()

    def __getattr__(self, name: str) -> object:
        return getattr(self.original, name)


def _terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, or no such method
        return False


class _LogRouter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        lowered_from: int | None = _installed[3] if _installed else None
        if current() is None or not is_step_output(record, lowered_from):
            self._unclaimed(record)  # no step's, or a library's let through by the lowering
            return
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if not _emit("log", text):
            self._unclaimed(record)

    def _unclaimed(self, record: logging.LogRecord) -> None:
        """A record of no step's: what logging does with it when this handler is not there."""
        root = logging.getLogger()
        logger = root if record.name == "root" else logging.getLogger(record.name)
        node: logging.Logger | None = logger
        while node is not None:
            if any(h is not self and record.levelno >= h.level for h in node.handlers):
                return  # another handler shows it
            node = node.parent if node.propagate else None
        node = logger
        while node is not None and node is not root and node.level == logging.NOTSET:
            node = node.parent
        saved: int | None = _installed[3] if _installed else None
        if node is root and saved is not None and record.levelno < saved:
            return  # the level `_install` lowered the root logger from drops it
        last = logging.lastResort
        if last is not None and record.levelno >= last.level:
            last.handle(record)


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
    # None under pythonw. A terminal stays the steps' to read: an answer typed at `input()`,
    # `breakpoint()`'s debugger; a pipe or file (CI) is ended for them.
    stdin = _Stdin(sys.stdin) if sys.stdin is not None and not _terminal(sys.stdin) else None
    if stdin is not None:
        sys.stdin = stdin
    for owner, name, _, wrapper in _WRAPPED:
        setattr(owner, name, wrapper)
    _installed[:] = [out, err, handler, saved, stdin]


def _uninstall() -> None:
    out: _Router = _installed[0]
    err: _Router = _installed[1]
    handler, saved = _installed[2], _installed[3]
    out.release()
    err.release()
    # Only undo our own replacement: someone may have replaced the streams since.
    if sys.stdout is out:
        sys.stdout = out.original
    if sys.stderr is err:
        sys.stderr = err.original
    stdin: _Stdin | None = _installed[4]
    if stdin is not None and sys.stdin is stdin:
        sys.stdin = stdin.original
    for owner, name, original, wrapper in _WRAPPED:
        if getattr(owner, name) is wrapper:  # as for the streams: only our own replacement
            setattr(owner, name, original)
    root = logging.getLogger()
    root.removeHandler(handler)
    if saved is not None:
        root.setLevel(saved)
    _installed.clear()

"""Standard output kept for a document a program reads (`run --json -`, `--log-format json`).

Step code may write below `sys.stdout`: a child process (`subprocess.run(["echo", ...])`),
`os.write(1, ...)`, a C library's printf. On the executors whose steps run in this process
(`sequential`, `threads`) nothing can tell such output from the report, and the processes of a
`processes` pool or a local Dask cluster inherit the descriptor. So while a run goes, file
descriptor 1 of this process points at stderr (what is written there lands among the progress
lines), and the document is written to a stream on the descriptor stdout pointed at before;
descriptor 1 is pointed back when the block ends (after Ctrl-C too).

`unseen_when_closed`: the run's view on stdout, which its reader may leave (`| head -1`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO, cast

STDOUT, STDERR = 1, 2


@contextmanager
def kept_stdout() -> Iterator[TextIO]:
    """Point descriptor 1 at stderr for the block; yield the stream the document goes to.

    That stream writes where `sys.stdout` wrote before: a new stream on a copy of descriptor 1
    when `sys.stdout` wrote to it, else `sys.stdout` itself (click's test runner gives it a
    buffer, which the descriptors never reach). Where the descriptors cannot be changed (no
    stderr), nothing changes and the stream is `sys.stdout`.
    """
    stdout = sys.stdout
    for stream in (stdout, sys.stderr):
        _flush(stream)
    try:
        saved = os.dup(STDOUT)
    except OSError:
        yield stdout
        return
    try:
        os.dup2(STDERR, STDOUT)
    except OSError:
        os.close(saved)
        yield stdout
        return
    kept = stdout
    if _descriptor(stdout) == STDOUT:
        kept = open(  # noqa: SIM115 (closed below, before descriptor 1 is pointed back)
            saved,
            "w",
            encoding=getattr(stdout, "encoding", None) or "utf-8",
            errors=getattr(stdout, "errors", None) or "strict",
            closefd=False,
        )
    try:
        yield kept
    finally:
        # What Python code wrote to sys.stdout meanwhile belongs with the progress, on stderr.
        for stream in (stdout, sys.__stdout__, sys.stderr):
            _flush(stream)
        if kept is not stdout:
            with suppress(OSError, ValueError):
                kept.close()
        os.dup2(saved, STDOUT)
        os.close(saved)


def _descriptor(stream: object) -> int | None:
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return None
    try:
        return int(fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def _flush(stream: object) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        with suppress(OSError, ValueError):
            flush()


def unseen_when_closed(stream: TextIO) -> TextIO:
    """`stream`, which stops writing once its reader has gone away (`pipeflow run cfg | head
    -1`: a write or flush fails with a broken pipe). Its descriptor then points at the null
    device, so that no later write (a step's, or Python's last flush) fails again: the run is
    the job and what it shows only a view of it, so it goes on unseen and ends with its own
    exit code, as `serve` goes on logging to stderr."""
    return cast(TextIO, _Unseen(stream))


class _Unseen:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._leave()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._leave()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _leave(self) -> None:
        self._gone = True
        with suppress(OSError, ValueError):  # a stream with no descriptor: nothing to point
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, self._stream.fileno())
            finally:
                os.close(null)

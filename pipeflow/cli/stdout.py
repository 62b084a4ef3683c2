"""Standard output kept for a document a program reads (`run --json -`, `--log-format json`).

Step code may write below `sys.stdout`: a child process (`subprocess.run(["echo", ...])`),
`os.write(1, ...)`, a C library's printf. On the executors whose steps run in this process
(`sequential`, `threads`) nothing can tell such output from the report, and the processes of a
`processes` pool or a local Dask cluster inherit the descriptor. So while a run goes, file
descriptor 1 of this process points at stderr (what is written there lands among the progress
lines), and the document is written to a stream on the descriptor stdout pointed at before;
descriptor 1 is pointed back when the block ends (after Ctrl-C too).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TextIO

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

"""What a step writes below `sys.stdout`, kept as its output: the file descriptors 1 and 2
pointed at spool files while it runs, read back line by line when it ends.

A child process the step starts (`subprocess.run(["dvc", "repro"])`), `os.write(1, ...)` and a
C library's printf write to the descriptors, which Python's stream routers (`capture.py`)
never see. Descriptors belong to the whole process, so only a process that runs one step at a
time may point them elsewhere: the processes executor's workers, on their main thread.
Spool files rather than pipes: nothing has to read while the step runs, so a child that
writes much never blocks. At most LIMIT bytes per stream are kept (the history keeps less).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import BinaryIO

LIMIT = 4 * 1024 * 1024  # bytes per stream and step


@contextmanager
def descriptors_captured(into: list[tuple[str, str]]) -> Iterator[None]:
    """Point descriptors 1 and 2 at spool files for the block; then add what was written to
    `into` as (stream, line), stdout's lines before stderr's."""
    with ExitStack() as stack:
        spools: list[tuple[str, int, int, BinaryIO]] = []
        try:
            for stream, descriptor in (("stdout", 1), ("stderr", 2)):
                spool: BinaryIO = stack.enter_context(tempfile.TemporaryFile())
                saved = os.dup(descriptor)
                spools.append((stream, descriptor, saved, spool))
        except OSError:  # no spool (a full or read-only temp folder): left as they are
            for _, _, saved, _ in spools:
                os.close(saved)
            yield
            return
        for python_stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            _flush(python_stream)
        for _, descriptor, _, file in spools:
            os.dup2(file.fileno(), descriptor)
        try:
            yield
        finally:
            for _, descriptor, saved, _ in spools:
                os.dup2(saved, descriptor)
                os.close(saved)
            for name, _, _, file in spools:
                into.extend((name, line) for line in _lines(file))


def _lines(spool: BinaryIO) -> list[str]:
    size = spool.seek(0, os.SEEK_END)
    spool.seek(0)
    text = spool.read(LIMIT).decode("utf-8", errors="replace")
    lines = text.splitlines()
    if size > LIMIT:
        lines.append(f"... ({size - LIMIT:,} more bytes written, not kept)")
    return lines


def _flush(stream: object) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        with suppress(OSError, ValueError):
            flush()

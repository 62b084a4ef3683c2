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
from contextlib import contextmanager, suppress
from typing import BinaryIO

LIMIT = 4 * 1024 * 1024  # bytes per stream and step


# Per process (a forked worker makes its own): the spool files and the descriptors 1 and 2
# point at otherwise, made on a process's first step and emptied for each one after: making
# files for every step cost as much as a small step.
_spools: dict[int, list[tuple[str, int, int, BinaryIO]]] = {}


@contextmanager
def descriptors_captured(into: list[tuple[str, str]]) -> Iterator[None]:
    """Point descriptors 1 and 2 at spool files for the block; then add what was written to
    `into` as (stream, line), stdout's lines before stderr's."""
    spools = _spools.get(os.getpid())
    if spools is None:
        try:
            spools = _spools[os.getpid()] = _made()
        except OSError:  # no spool (a full or read-only temp folder): left as they are
            yield
            return
    for python_stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        _flush(python_stream)
    for _, descriptor, _, file in spools:
        file.seek(0)
        file.truncate()
        os.dup2(file.fileno(), descriptor)
    try:
        yield
    finally:
        for _, descriptor, saved, _ in spools:
            os.dup2(saved, descriptor)
        for name, _, _, file in spools:
            into.extend((name, line) for line in _lines(file))


def _made() -> list[tuple[str, int, int, BinaryIO]]:
    """(stream, its descriptor, a copy of what it points at, its spool file), for both."""
    made: list[tuple[str, int, int, BinaryIO]] = []
    try:
        for stream, descriptor in (("stdout", 1), ("stderr", 2)):
            spool: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 (kept for the process)
            made.append((stream, descriptor, os.dup(descriptor), spool))
    except OSError:
        for _, _, saved, spool in made:
            os.close(saved)
            spool.close()
        raise
    return made


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

"""What a step writes below `sys.stdout`, kept as its output: the file descriptors 1 and 2
pointed at spool files while it runs, read back line by line when it ends.

A child process the step starts (`subprocess.run(["dvc", "repro"])`), `os.write(1, ...)` and a
C library's printf write to the descriptors, which Python's stream routers (`capture.py`)
never see. Descriptors belong to the whole process, so only a process that runs one step at a
time may point them elsewhere: the processes executor's workers, on their main thread.
Spool files rather than pipes: nothing has to read while the step runs, so a child that
writes much never blocks. At most LIMIT bytes per stream are kept (the history keeps less).
Given a folder (a processes worker's spool folder), the files have names there, one pair per
worker process (`left_by`): what a step wrote before its worker died, or before Ctrl-C ended
it, is read from them by the run.
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
def descriptors_captured(into: list[tuple[str, str]], folder: str | None = None) -> Iterator[None]:
    """Point descriptors 1 and 2 at spool files for the block (named in `folder`, if given);
    then add what was written to `into` as (stream, line), stdout's lines before stderr's."""
    spools = _spools.get(os.getpid())
    if spools is None:
        try:
            spools = _spools[os.getpid()] = _made(folder)
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


def left_by(folder: str, pid: int) -> list[tuple[str, str]]:
    """What the step a worker process `pid` ran last wrote below `sys.stdout`, from its spool
    files in `folder`, as (stream, line): for a worker that ended without saying it."""
    found: list[tuple[str, str]] = []
    for stream in ("stdout", "stderr"):
        try:
            with open(_named(folder, pid, stream), "rb") as file:
                found += [(stream, line) for line in _lines(file)]
        except OSError:  # it wrote none, or never ran a step
            continue
    return found


def _named(folder: str, pid: int, stream: str) -> str:
    return os.path.join(folder, f"fd-{pid}.{stream}")


def _made(folder: str | None) -> list[tuple[str, int, int, BinaryIO]]:
    """(stream, its descriptor, a copy of what it points at, its spool file), for both."""
    made: list[tuple[str, int, int, BinaryIO]] = []
    try:
        for stream, descriptor in (("stdout", 1), ("stderr", 2)):
            spool: BinaryIO = (
                open(_named(folder, os.getpid(), stream), "w+b")  # noqa: SIM115 (as below)
                if folder is not None
                else tempfile.TemporaryFile()  # noqa: SIM115 (kept for the process)
            )
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
    # Bytes that are no UTF-8 become lone surrogates, which every channel shows as their
    # `\udcXX` escapes (`model/escaping.py`), as for Python's own text: U+FFFD would lose them.
    text = spool.read(LIMIT).decode("utf-8", errors="surrogateescape")
    lines = text.splitlines()
    if size > LIMIT:
        lines.append(f"... ({size - LIMIT:,} more bytes written, not kept)")
    return lines


def _flush(stream: object) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        with suppress(OSError, ValueError):
            flush()

"""What a step writes below `sys.stdout`, kept as its output: the file descriptors 1 and 2
pointed at spool files while it runs, read back line by line: as they come when the caller
follows them (a processes worker, which tells its run), else when the step ends.

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
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import BinaryIO

from pipeflow.model.redraws import Lines, split

LIMIT = 4 * 1024 * 1024  # bytes per stream and step
FOLLOW_EVERY = 0.1  # seconds between two looks at the spool files, when followed
# (stream, its whole lines written since the last look, the bytes of it said with them)
Follow = Callable[[str, list[str], int], None]


# Per process (a forked worker makes its own): the spool files and the descriptors 1 and 2
# point at otherwise, made on a process's first step and emptied for each one after: making
# files for every step cost as much as a small step.
_spools: dict[int, list[tuple[str, int, int, BinaryIO]]] = {}


@contextmanager
def descriptors_captured(
    into: list[tuple[str, str]],
    folder: str | None = None,
    follow: Follow | None = None,
) -> Iterator[None]:
    """Point descriptors 1 and 2 at spool files for the block (named in `folder`, if given);
    then add what was written to `into` as (stream, line), stdout's lines before stderr's.

    `follow`: called with the lines of a stream as they are written (from a thread of its own,
    every FOLLOW_EVERY seconds: its ended lines, and the state of a line redrawn with `\\r`,
    `model/redraws.py`), and how many bytes of it are said with them (up to its last line
    break); the lines said are then left out of `into`."""
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
    follower = None if follow is None else _Follower(spools, follow)
    try:
        yield
    finally:
        for _, descriptor, saved, _ in spools:
            os.dup2(saved, descriptor)
        if follower is not None:
            into.extend(follower.stop())
        else:
            for name, _, _, file in spools:
                into.extend((name, line) for line in _lines(file))


class _Follower:
    """Says the lines written to the spool files as they come. It reads with `pread`, which
    leaves the offset that the descriptors share with the spool files where it is."""

    def __init__(self, spools: list[tuple[str, int, int, BinaryIO]], follow: Follow) -> None:
        self._spools = spools
        self._follow = follow
        self._lines = {name: Lines() for name, _, _, _ in spools}
        self._read = {name: 0 for name, _, _, _ in spools}  # bytes of each cut into lines
        self._told = {name: 0 for name, _, _, _ in spools}  # ... up to its last line break
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pipeflow-fds", daemon=True)
        self._thread.start()

    def stop(self) -> list[tuple[str, str]]:
        """Say the lines written until now; returns the rest, as (stream, line): the last
        line of each stream, if it did not end, and a note of what was not kept."""
        self._stopping.set()
        self._thread.join()
        self._look()
        rest: list[tuple[str, str]] = []
        for name, _, _, file in self._spools:
            left = _lines(file, self._read[name])
            rest += [(name, line) for line in self._lines[name].feed("\n".join(left))]
            rest += [(name, line) for line in self._lines[name].end()]
        return rest

    def _run(self) -> None:
        while not self._stopping.wait(FOLLOW_EVERY):
            self._look()

    def _look(self) -> None:
        for name, _, _, file in self._spools:
            start = self._read[name]
            size = min(os.fstat(file.fileno()).st_size, LIMIT)
            if size <= start:
                continue
            data = os.pread(file.fileno(), size - start, start)
            cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1  # ASCII: never in a character
            if not cut:
                continue
            self._read[name] = start + cut
            ended = data.rfind(b"\n", 0, cut) + 1
            if ended:
                self._told[name] = start + ended
            lines = self._lines[name].feed(data[:cut].decode("utf-8", errors="surrogateescape"))
            if lines:
                self._follow(name, lines, self._told[name])


def left_by(folder: str, pid: int, said: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    """What the step a worker process `pid` ran last wrote below `sys.stdout`, from its spool
    files in `folder`, as (stream, line): for a worker that ended without saying it. `said`:
    how many bytes of each stream were said as they came (`follow`), left out."""
    found: list[tuple[str, str]] = []
    for stream in ("stdout", "stderr"):
        try:
            with open(_named(folder, pid, stream), "rb") as file:
                found += [(stream, line) for line in _lines(file, (said or {}).get(stream, 0))]
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


def _lines(spool: BinaryIO, start: int = 0) -> list[str]:
    """The lines of a spool file from byte `start` (those before were said as they came)."""
    size = spool.seek(0, os.SEEK_END)
    spool.seek(start)
    # Bytes that are no UTF-8 become lone surrogates, which every channel shows as their
    # `\udcXX` escapes (`model/escaping.py`), as for Python's own text: U+FFFD would lose them.
    text = spool.read(max(LIMIT - start, 0)).decode("utf-8", errors="surrogateescape")
    lines = split(text)
    if size > LIMIT:
        lines.append(f"... ({size - LIMIT:,} more bytes written, not kept)")
    return lines


def _flush(stream: object) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        with suppress(OSError, ValueError):
            flush()

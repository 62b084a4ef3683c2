"""The programs a run's steps started (`subprocess.run`), found to be ended with the run: a
step stopped on a thread, or a worker process ended, does not end them, and they would live
on holding the run's stdout. Found in `/proc` (Linux; none elsewhere)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable


def started_by_threads(threads: Iterable[int]) -> list[int]:
    """The processes these threads of this process (native ids) started, and those those
    started, and so on."""
    children = [pid for thread in threads for pid in children_of(thread)]
    return [*children, *descendants(set(children))]


def children_of(thread: int) -> list[int]:
    """The processes this thread of this process (its native id) started that still run (or
    have not been waited for)."""
    try:
        with open(f"/proc/{os.getpid()}/task/{thread}/children", encoding="utf-8") as file:
            return [int(pid) for pid in file.read().split()]
    except (OSError, ValueError):
        return []  # the thread has ended, or no such file here


def descendants(pids: set[int]) -> list[int]:
    """The processes these processes started, and those they started, and so on."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as file:
                parent = int(file.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    waiting = list(pids)
    while waiting:
        for child in children.get(waiting.pop(), ()):
            found.append(child)
            waiting.append(child)
    return found


def kill(pids: Iterable[int]) -> None:
    """SIGKILL each of these processes that still runs."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

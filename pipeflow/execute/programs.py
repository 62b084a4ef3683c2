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
    children: list[int] = []
    for thread in threads:
        try:
            with open(f"/proc/{os.getpid()}/task/{thread}/children", encoding="utf-8") as file:
                children.extend(int(pid) for pid in file.read().split())
        except (OSError, ValueError):
            continue  # the thread has ended, or no such file here
    return [*children, *descendants(set(children))]


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

"""One run at a time in a declared write: a lock per local path a step writes or restores.

A step's declared writes are files of the workspace, not of the results store: two runs of
a pipeline in one project folder (a cron job and a run by hand, two params at once) share
them. Were one run's step to write `data/w.txt` while the other's wrote or restored it,
what the first stores as its version (`blobs.snapshot`, after its call) would be the other's
content, under its own key, and every later restore of it would bring back a wrong file.
So, from before a step's writes are cleared (or restored) until it has ended, the run holds
an exclusive lock (flock, released when its file is closed, also by the system when the
process dies) for each local path of them, in the `.pipeflow/locks/` folder of the step's
project; a run that finds one held fails that step at once, saying which run holds it (as
DVC refuses a second `repro` in one repository), instead of waiting on it: two runs that
each wait for the other would never end. The items of a `foreach` step take one lock for
them all, named by the pipeline and the step, until the end of the run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class WriteBusy(Exception):
    """Another run holds the lock of a path a step writes."""


def claim(paths: Sequence[tuple[str, str]], project: str, holder: str) -> list[IO[str]]:
    """Lock each `(path, label)` (a path, or another name of what is written), in path
    order; the open lock files (close them to release the locks). WriteBusy, with no lock
    held, when another run holds one."""
    folder = Path(project) / ".pipeflow" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    held: list[IO[str]] = []
    for path, label in sorted(set(paths)):
        name = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        handle: IO[str] = (folder / f"write-{name}.lock").open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            other = handle.read().strip() or "another process"
            handle.close()
            release(held)
            raise WriteBusy(
                f"{label} is being written by another run ({other}); two runs may not "
                "write or restore one file at once: run again once that run has ended"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder}, pid {os.getpid()}\n")
        handle.flush()
        held.append(handle)
    return held


def release(held: Sequence[IO[str]]) -> None:
    """Release the locks `claim` returned."""
    for handle in held:
        with contextlib.suppress(OSError):
            handle.close()

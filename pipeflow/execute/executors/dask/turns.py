"""Turns on a Dask worker process: the tasks of one run at a time.

A worker runs tasks on several threads, and tasks of two runs (two projects, or two versions
of one) may reach it at once. What a task imports comes from the process's `sys.path` and
`sys.modules`, which `enter_project` points at the run's code (forgetting the modules of the
run before): were a task of another run to do that while a step still runs, the step would
import the other project's `steps.h` inside its function, or return a `steps.model.Model`
that is no longer the class of that name and cannot be pickled. So a task takes its run's
turn in the process first: the tasks of the run whose turn it is run at once on the worker's
threads; a task of another run waits until they have all ended. Turns go in the order the
runs' tasks came: a task of the current run that arrives after one of another run waits too,
so neither run starves the other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_changed = threading.Condition()
_owner: list[str | None] = [None]  # the run whose turn it is
_active = [0]  # its tasks running now
_waiting: list[tuple[str, object]] = []  # (run, ticket) of the tasks waiting, in order


@contextmanager
def turn(run_id: str) -> Iterator[None]:
    """Run the block once no task of another run runs in this process (and none of another
    run came first)."""
    ticket = object()
    with _changed:
        _waiting.append((run_id, ticket))
        while not (_waiting[0][0] == run_id and _owner[0] in (None, run_id)):
            _changed.wait()
        _waiting.remove((run_id, ticket))
        _owner[0] = run_id
        _active[0] += 1
        _changed.notify_all()  # the next waiter of this run may come in too
    try:
        yield
    finally:
        with _changed:
            _active[0] -= 1
            if not _active[0]:
                _owner[0] = None
            _changed.notify_all()

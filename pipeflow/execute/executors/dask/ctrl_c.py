"""Ctrl-C left to the run on the workers of a cluster it starts on this machine.

A terminal sends SIGINT to every process of its foreground group: the worker processes of a
local cluster too. One taking it as KeyboardInterrupt dies, with the output of the step it ran
(and a warning that it died); the run stops its steps itself (`shutdown(cancel=True)`), after
asking the workers what those steps printed. A handler that does nothing, not SIG_IGN: a
program a step starts gets the default back when it starts, so Ctrl-C still stops it. A plugin,
so that a worker its nanny starts again has it too.

A worker process takes the plugin only once it has started and joined the cluster: seconds of
importing Dask, on a busy machine, in which a Ctrl-C killed it with a traceback. So a local
cluster is started with Ctrl-C held (`held`): the threads it starts, and the processes they
spawn, begin with SIGINT blocked, and a worker unblocks it once its handler is in place (a
Ctrl-C that came meanwhile then reaches the handler). multiprocessing's resource tracker is
started first: starting it unblocks SIGINT in the thread that does (`resource_tracker.py`),
which would be the thread that spawns the workers.

Imported only once `distributed` is: it is this module's base class."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class CtrlCLeftToTheRun(WorkerPlugin):
    name = "pipeflow-ctrl-c"

    def setup(self, worker: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _left_to_the_run)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held as it started


@contextlib.contextmanager
def held() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile: the threads it starts, and the processes they
    spawn, begin with it blocked (this process takes a Ctrl-C that came once it ends)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # not from a thread of the cluster's: see above
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _left_to_the_run(signum: int, frame: Any) -> None:
    """SIGINT on a worker: the run that started the cluster stops what runs here."""

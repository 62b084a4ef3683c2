"""Ctrl-C left to the run on the workers of a cluster it starts on this machine.

A terminal sends SIGINT to every process of its foreground group: the worker processes of a
local cluster too. One taking it as KeyboardInterrupt dies, with the output of the step it ran
(and a warning that it died); the run stops its steps itself (`shutdown(cancel=True)`), after
asking the workers what those steps printed. A handler that does nothing, not SIG_IGN: a
program a step starts gets the default back when it starts, so Ctrl-C still stops it. A plugin,
so that a worker its nanny starts again has it too.

Imported only once `distributed` is: it is this module's base class."""

from __future__ import annotations

import signal
import threading
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class CtrlCLeftToTheRun(WorkerPlugin):
    name = "pipeflow-ctrl-c"

    def setup(self, worker: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _left_to_the_run)


def _left_to_the_run(signum: int, frame: Any) -> None:
    """SIGINT on a worker: the run that started the cluster stops what runs here."""

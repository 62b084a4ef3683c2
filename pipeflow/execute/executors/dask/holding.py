"""After a failure the run starts nothing new (SPEC 6). A Dask cluster's scheduler has every
task handed to it; those handed over while every worker thread was busy, and whose start the
client has not heard of, are held: their claims say so, and a worker taking one ends it
withdrawn (`worker.run_task`). A task handed to a free thread runs, as on a pool: a step
ready beside one that fails at once still starts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from pipeflow.execute.executors.dask.protocol import CLAIMS, HELD
from pipeflow.execute.executors.in_flight import InFlight


class Holding:
    """The tasks of one executor in flight, against the cluster's threads."""

    def __init__(self, client: Any, topic: str) -> None:
        self._client = client
        self._topic = topic
        threads: int = sum(client.nthreads().values())  # of the workers there now
        self.in_flight = InFlight(threads)  # `handed()`: whether every thread was busy

    def hold(self, keys: Iterable[str]) -> None:
        """Have no worker begin the tasks of these keys."""
        for key in keys:
            with contextlib.suppress(Exception):  # the scheduler gone: nothing starts anyway
                self._client.set_metadata([CLAIMS, self._topic, key], HELD)

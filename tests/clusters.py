"""One local Dask cluster per test process, handed to each test module that asks for one only
when it is as a freshly started cluster would be for that module.

Starting a `LocalCluster` of two worker processes costs seconds (more on a loaded machine),
and some forty modules of the suite run steps on one: a cluster per module was minutes of the
suite's time. Its workers are kept from module to module, but a module gets the cluster only if

- its workers inherited what a cluster started now would: the same environment variables (an
  object store's server, started by a session fixture, sets some), `sys.path` and working
  directory (spawned workers start with the test process's);
- every worker it was started with is up and running, its nanny not ending (a test may have
  killed or restarted one);
- it is idle: no task on the scheduler, none left on a worker (a step's call that a test
  abandoned and that no interruption stops would hold the worker's only thread).

Otherwise the old cluster is closed and a new one started, as before.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

READY_WAIT = 15.0  # seconds: a restarted worker is back within a few, even under load
ENDING = ("stopping", "stopped", "closing", "closing_gracefully", "closed", "failed")


def local_cluster() -> Any:
    """A `distributed.LocalCluster` of two single-threaded worker processes, no dashboard,
    errors-only logs: reached by its address, as a remote cluster would be."""
    import distributed

    from pipeflow.execute.executors.dask.stopping import tolerate_unknown_removals

    # As pipeflow's own clusters: a worker a test restarted must not fail the cluster's close.
    return tolerate_unknown_removals(
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=40,  # errors only
        )
    )


def _inherited() -> tuple[object, ...]:
    """What a worker process spawned now would start with from this one. Taken once a cluster
    has started: starting one sets variables in this process's environment (OMP_NUM_THREADS
    and others, the same each time) and adds its scheduler's scratch folder to `sys.path`
    (each its own, which no step imports from)."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    path = tuple(entry for entry in sys.path if "dask-scratch-space" not in entry)
    return (sorted(environ.items()), path, os.getcwd())


class SharedCluster:
    """Hands out one cluster made by `start` while it stays as a new one would be."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self._start = start
        self._cluster: Any = None
        self._inherited: tuple[object, ...] = ()

    def address(self) -> str:
        """The scheduler address of a cluster that is ready, idle and inherited what a new
        one would."""
        if self._cluster is not None and (
            self._inherited != _inherited() or not self._ready_and_idle()
        ):
            self.close()
        if self._cluster is None:
            self._cluster = self._start()
            self._inherited = _inherited()
        return str(self._cluster.scheduler_address)

    def close(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()

    def _ready_and_idle(self) -> bool:
        import distributed

        # Defined here, so that they are sent by value: the workers need not import the suite.
        def tasks_on(dask_worker: Any) -> int:
            return len(dask_worker.state.tasks)

        def tasks_on_scheduler(dask_scheduler: Any) -> int:
            return len(dask_scheduler.tasks)

        cluster = self._cluster
        expected = len(cluster.worker_spec)
        deadline = time.monotonic() + READY_WAIT
        with distributed.Client(cluster, set_as_default=False) as client:
            while time.monotonic() < deadline:
                if cluster.status.name != "running":
                    return False
                nannies = list(cluster.workers.values())
                if any(nanny.status.name in ENDING for nanny in nannies):
                    return False
                workers = client.scheduler_info()["workers"]
                if len(nannies) == expected and len(workers) == expected:
                    on_workers = client.run(tasks_on)
                    scheduled = client.run_on_scheduler(tasks_on_scheduler)
                    idle = scheduled == 0 and not any(on_workers.values())
                    if idle and len(on_workers) == expected:
                        return True
                time.sleep(0.1)
        return False


@pytest.fixture(scope="session")
def shared_dask_cluster() -> Iterator[SharedCluster]:
    """The test process's `SharedCluster` of `local_cluster()`s, closed as the session ends."""
    shared = SharedCluster(local_cluster)
    try:
        yield shared
    finally:
        shared.close()

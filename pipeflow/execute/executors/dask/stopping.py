"""Ending a worker's process to stop a step it cannot stop itself (a timeout, Ctrl-C).

The worker's event loop is asked to exit at once (the nanny's own restart asks the worker to
close first, which waits for the running task and can race with the scheduler into closing the
nanny too). A worker that does not answer (a C call holding its GIL) is restarted by its nanny,
which kills the process; a worker without a nanny is retired (closed) instead."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Collection
from typing import Any

from pipeflow.execute.executors.dask.protocol import FREED, STOPPED
from pipeflow.execute.executors.dask.worker import exit_now, kill_programs

logger = logging.getLogger(__name__)

RESTART_TIMEOUT = 30.0
EXIT_WAIT = 3.0  # seconds for a worker told to exit to be gone, before its nanny kills it


def end_worker(
    client: Any,
    worker: str,
    *,
    freed: list[Any],
    stopped: Any,
    removed: threading.Event,
    answers: bool,
    quiet: bool,
) -> None:
    """End `worker`'s process (its nanny starts a new one): the claims `freed` withdrawn first
    (their tasks may start again elsewhere) and the claim `stopped` (if any) marked so, its
    task never to start again. A worker that `answers` is asked to exit and given EXIT_WAIT
    seconds to be gone (`removed` set); otherwise, or then, its nanny kills it."""
    for claim in freed:
        with contextlib.suppress(Exception):
            client.set_metadata(claim, FREED)
    if stopped is not None:
        with contextlib.suppress(Exception):
            client.set_metadata(stopped, STOPPED)
    if answers:  # its event loop ends the process at once
        ask_to_exit(client, worker)
        if removed.wait(EXIT_WAIT):
            return
    kill(client, worker, quiet=quiet)  # it does not answer: after a few seconds


def ask_to_exit(client: Any, worker: str) -> None:
    """Tell the worker to end its process, without waiting: in a thread, since a worker whose
    GIL is held by a C call never answers."""
    threading.Thread(
        target=client.run,
        args=(exit_now,),
        kwargs={"workers": [worker], "wait": False, "on_error": "ignore"},
        name="pipeflow-dask-exit",
        daemon=True,
    ).start()


def end_programs(client: Any, runs: Collection[str]) -> None:
    """Kill the programs the steps started on every worker (the run stopped): a cluster that
    closes ends its workers, not those, which would live on holding the run's stdout. The
    steps of `runs` there store nothing more (`kill_programs`). Waited for a bounded time: a
    worker whose GIL a C call holds never answers."""
    asking = threading.Thread(
        target=client.run,
        args=(kill_programs, list(runs)),
        kwargs={"on_error": "ignore"},
        name="pipeflow-dask-programs",
        daemon=True,
    )
    asking.start()
    asking.join(EXIT_WAIT)


def kill(client: Any, worker: str, *, quiet: bool = False) -> None:
    """Have the worker's nanny kill its process (and start a new one), or retire a worker
    without a nanny. Failures are logged (not when `quiet`: the client is closing)."""
    try:
        _restart(client, worker)
    except ValueError:  # no nanny: close it instead
        try:
            client.retire_workers([worker], close_workers=True)
        except Exception as error:
            logger.warning("could not stop Dask worker %s: %s", worker, error)
    except Exception as error:
        if not quiet:
            logger.warning("could not restart Dask worker %s: %s", worker, error)


def _restart(client: Any, worker: str) -> None:
    """Only the kill is waited for: the run goes on (and ends) without waiting for the new
    worker to join, which on a loaded machine can take longer than the run has left."""
    found = client.sync(client.scheduler.identity, n_workers=-1)["workers"].get(worker)
    if found is not None and found.get("nanny") is None:
        raise ValueError(f"Dask worker {worker} has no nanny")
    client.sync(
        client.scheduler.restart_workers,
        workers=[worker],
        timeout=RESTART_TIMEOUT,
        wait_for_workers=False,
        on_error="return",
        stimulus_id=f"pipeflow-restart-{time.time()}",
    )


def tolerate_unknown_removals(cluster: Any) -> Any:
    """`cluster`, whose watcher no longer fails on the removal of a worker it never saw added.

    distributed's clusters (`Cluster`, `SpecCluster`) look a removed worker up in what the
    scheduler reported before (`scheduler_info["workers"][address]`): a worker that died or was
    restarted before that report (a step stopped by its timeout, under load) raises KeyError in
    the watcher, and then in the cluster's `close()` at the end of the run (distributed issue
    5407). Such a removal changes nothing the cluster knows, so it is passed over; every other
    report goes through as before. A cluster without that watcher is returned as it is.
    """
    update = getattr(cluster, "_update_worker_status", None)
    info = getattr(cluster, "scheduler_info", None)
    if update is None or not isinstance(info, dict):
        return cluster

    def tolerant(op: str, msg: Any) -> Any:
        known = cluster.scheduler_info.get("workers", {})
        if op == "remove" and msg not in known:
            return None
        return update(op, msg)

    cluster._update_worker_status = tolerant
    return cluster


def cancel_all(client: Any, futures: list[Any]) -> None:
    """Cancel the run's tasks on the cluster (after Ctrl-C), whether they began or not."""
    try:
        client.cancel(futures, force=True, reason="pipeflow: interrupted")
    except Exception as error:
        logger.debug("cancelling the run's tasks failed: %s", error)

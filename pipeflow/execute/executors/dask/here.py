"""Dask workers that run in the run's own process: a cluster of threads, such as
`distributed.LocalCluster` with `processes: false` as an `executor.cluster` class, or one a
notebook made and passes by its address.

Ending such a worker's process (`worker.exit_now`) would end the run's, or the notebook's, at
once. So a step whose call outlives its timeout there is not stopped by ending its worker: it
fails, not retried (another attempt would run beside the call), as on the threads executor,
and Ctrl-C leaves the worker to the cluster's close. A worker knows it runs in the process of
the executor that sent its task by that executor's event topic, which no other process has."""

from __future__ import annotations

from dataclasses import replace

from pipeflow.execute.task import TaskResult

OURS: set[str] = set()  # the event topics of this process's dask executors


def here(topic: str) -> bool:
    """Whether the executor whose `topic` this is runs in this process."""
    return topic in OURS


def in_this_process(result: TaskResult, retries_left: bool) -> TaskResult:
    """The result of an attempt whose call outlived its timeout on a worker of this process."""
    why = (
        "its Dask worker runs in this process (a cluster of threads, such as "
        "`distributed.LocalCluster` with `processes: false`), where nothing can stop the call"
    )
    if retries_left:
        why += ", so it is not retried: another attempt would run beside it"
    advice = "; use a cluster of worker processes for steps with a timeout that block in such calls"
    return replace(result, error=f"{result.error or 'TimeoutError'}; {why}{advice}")

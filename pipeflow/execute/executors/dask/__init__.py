"""The dask executor: steps on a `distributed` cluster, or on a local one started for the run.

`executor.py` is the client's side (submitting, relaying what the workers report, timeouts,
lost workers, shutting down), `connect.py` reaching a scheduler at an address, `worker.py` what
runs on a worker for each task, and `protocol.py` what both sides agree on.
"""

from __future__ import annotations

from pipeflow.execute.executors.dask.executor import DaskExecutor

__all__ = ["DaskExecutor"]

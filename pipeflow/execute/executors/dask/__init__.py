"""The dask executor: steps on a `distributed` cluster, or on a local one started for the run.

`deferred.py` is what the engine holds: the cluster reached (or started) only when a task must
go to it, and restores run in this process; `executor.py` is the client's side (submitting,
relaying what the workers report, timeouts, lost workers, shutting down), `connect.py` reaching
a scheduler at an address, `worker.py` what runs on a worker for each task, `running.py` a task
as the client sees it, `stopping.py` ending a worker's process, and `protocol.py` what both
sides agree on.

With `address` (`tcp://host:8786`) the client connects to that scheduler (a clear error within
a few seconds if nothing answers there, or if it has no workers); without it a LocalCluster of
`workers` processes (default: one per CPU) with `threads_per_worker` threads each (default 1)
is started for the run and closed at its end. pipeflow must be installed on the workers; the
project's code and the files steps read travel to them through the results store (SPEC 14,
`pipeflow.execute.shipping`) unless `shared_filesystem` says they see this machine's files.

What is sent is the processes executor's `work` with the plain-data Task; the worker imports the
function (afresh for each run: a long-lived worker runs the code the cache keys were computed
from), runs it, persists the result itself and sends back the value with what the step printed
and logged, which the engine replays as events (its retries are told as they come, on the
executor's event topic). Output is collected per thread, so
`threads_per_worker` above 1 is safe; what threads a step starts itself print is not collected.
Values come back to the client (and go out again to the steps that take them).

Failures on the cluster's side never hang a run. A worker that dies while it runs a step (killed,
out of memory, its machine gone) is not the step's failure: the scheduler starts the task again
on another worker, where the step runs from its first attempt (its `retries` untouched), and the
client takes that run's result. Each task claims itself on the scheduler when it starts
(`set_metadata`): a repeat runs only if the claim names a worker that is gone, so a step never
runs twice at once, and a task whose worker the client stopped (below) never starts again.
After more deaths than the scheduler's `distributed.scheduler.allowed-failures` it gives up on
the task (KilledWorker), which fails the step with a message counting them; each death's
warning says which of the two follows (`deaths`). A task the scheduler
loses or cancels fails its step. A value kept on a worker that dies after its step finished
is never made again by running the step: the task Dask starts again reads it back from the
stored result (`kept`).

Timeouts. Tasks run on worker threads, where no timer can interrupt them: when a step's
`timeout` expires, the worker asks the call's thread to stop (as on the threads executor, see
`pipeflow.execute.timeouts`), which ends pure-Python code; a call that does not stop fails its
attempt, and the client restarts that worker (through its nanny), which stops the call; until
the restart the worker keeps the task's thread busy, so no other task starts beside the call.
Once the worker is gone, the step's next attempt, if it has one, goes to the cluster as a new
task (`again.py`). If the worker stops answering altogether (a C call that holds the
GIL), the client fails the attempt a few seconds after its timeout (`running.late`), restarts
the worker, and sends the next attempt the same way. Other steps running on a worker
restarted this way (only possible with `threads_per_worker` above 1) are started again
elsewhere, from the beginning. A worker without a nanny cannot be restarted: it is retired
(closed) instead. A worker that runs in the run's own process (a cluster of threads) is never
ended: its stuck step fails, not retried, as on the threads executor (`here`).

Ctrl-C (`shutdown(cancel=True)`) asks the workers what the running steps printed so far
(`said`), then cancels every task; a local cluster is closed (its worker processes end), and
on a remote cluster the workers running this run's steps are restarted. The workers of a
cluster the run starts leave the terminal's SIGINT to it (`ctrl_c`).
"""

from __future__ import annotations

from pipeflow.execute.executors.dask.deferred import DeferredDaskExecutor
from pipeflow.execute.executors.dask.executor import DaskExecutor

__all__ = ["DaskExecutor", "DeferredDaskExecutor"]

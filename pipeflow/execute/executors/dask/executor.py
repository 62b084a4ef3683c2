"""The dask executor, client side: submitting, relaying what the workers report, lost
workers, shutting down (timeouts: `restarting.py`). What it promises is in the package's
docstring."""

from __future__ import annotations

import logging
import pickle
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from pipeflow.execute import attempts
from pipeflow.execute.executors.dask.again import (
    retried,
    stuck_error,
)
from pipeflow.execute.executors.dask.connect import close_cluster, dashboard_link, open_cluster
from pipeflow.execute.executors.dask.deaths import Deaths, quiet_scheduler
from pipeflow.execute.executors.dask.gone import quiet_client
from pipeflow.execute.executors.dask.here import OURS, in_this_process
from pipeflow.execute.executors.dask.holding import Holding
from pipeflow.execute.executors.dask.kept import opened_value
from pipeflow.execute.executors.dask.restarting import Restarting
from pipeflow.execute.executors.dask.running import (
    Running,
    done,
    interrupted,
    untold,
    with_lost_output,
    with_value,
)
from pipeflow.execute.executors.dask.said import ask, news
from pipeflow.execute.executors.dask.sealing import sealed
from pipeflow.execute.executors.dask.stopping import (
    cancel_all,
    end_programs,
)
from pipeflow.execute.executors.dask.worker import noted_writes, run_task
from pipeflow.execute.executors.process_errors import unpicklable
from pipeflow.execute.executors.telling import Say
from pipeflow.execute.remotes import Remote, remotes_in
from pipeflow.execute.shipping import Project
from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.model.pipeline import ClusterConfig

__all__ = ["DaskExecutor"]

logger = logging.getLogger(__name__)


class DaskExecutor(Restarting):
    """Runs tasks on a Dask cluster: the scheduler at `address`, or a local cluster."""

    name = "dask"

    def __init__(
        self,
        workers: int | None = None,
        address: str | None = None,
        threads_per_worker: int | None = None,
        shared_filesystem: bool = False,
        project: Project | None = None,
        cluster: ClusterConfig | None = None,
    ) -> None:
        """`cluster`: a cluster class to start for the run (and close after it) instead of a
        local cluster; `project`: the run's code, sent to a cluster at `address` (or started
        from `cluster`) through the results store unless `shared_filesystem` says its workers
        see this machine's files."""
        super().__init__()
        self._restarting: dict[str, threading.Event] = {}  # worker stopped -> set when gone
        self._here: set[str] = set()  # workers that run in this process: never ended
        self._closed = False
        self._say: Say | None = None  # who hears each line a step prints, as it comes
        self._topic = f"pipeflow-{uuid.uuid4().hex}"
        OURS.add(self._topic)  # known to a worker that runs in this process (`here.py`)
        opened = open_cluster(
            workers=workers,
            address=address,
            threads_per_worker=threads_per_worker,
            shared_filesystem=shared_filesystem,
            project=project,
            cluster=cluster,
        )
        self._client, self._cluster, self._packer = opened.client, opened.cluster, opened.packer
        self.dashboard = dashboard_link(self._client)  # where people watch the cluster, if set
        self._deaths = Deaths(self._client)
        self._holding = Holding(self._client, self._topic)  # after a failure (`holding.py`)
        quiet_scheduler()
        quiet_client()
        # Blocking calls (cancel, restart) never run on the client's event loop, where the
        # event handlers are called: they go to these threads.
        self._actions = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pipeflow-dask")
        self._client.subscribe_topic(self._topic, self._on_worker_event)
        self._client.subscribe_topic("all", self._on_cluster_event)
        self._stop = threading.Event()
        self._watch = threading.Thread(
            target=self._watchdog, name="pipeflow-dask-watchdog", daemon=True
        )
        self._watch.start()

    # -- submitting -----------------------------------------------------------------------

    def hear(self, say: Say) -> None:
        """Hand each line a step prints or logs to `say` as its worker sends it (`said.py`)."""
        self._say = say

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]:
        problem = unpicklable(task)
        if problem is not None:
            return done(TaskResult(step=task.step, error=problem))
        noted = noted_writes(task.writes, shipped=self._packer is not None)
        if noted:  # what the workers see of them as this machine does (`worker.py`)
            task = replace(task, present=attempts.present(noted))
        running = Running(task, Future(), notify=notify, say=self._say)
        with self._lock:
            running.ahead = self._holding.in_flight.handed()
        self._send(running)
        return running.outer

    def _send(self, running: Running) -> None:
        """Hand the task to the cluster under a key of its own (after Ctrl-C: interrupted)."""
        task = running.task
        key = f"{task.step}-{uuid.uuid4().hex}"
        # Values of earlier steps that stayed on the cluster: dask hands them to the worker.
        with self._lock:
            needed = {
                remote.key: self._values.get(remote.key) for remote in remotes_in(task.inputs)
            }
            stopped = self._stop.is_set()
            if not stopped:
                self._tasks[key] = running
        if stopped:  # the next attempt of a stuck step, as Ctrl-C stopped the run
            self._passed(running, interrupted(running, None))
            return
        gone = [key for key, future in needed.items() if future is None]
        if gone:
            error = f"TaskLost: the value of `{gone[0]}` is no longer on the Dask cluster"
            self._end(key, TaskResult(step=task.step, error=error))
            return
        try:
            shipment = self._packer.shipment(task) if self._packer is not None else None
            future = self._client.submit(  # inputs sealed: the scheduler reads the task
                run_task, sealed(task), key, self._topic, needed, shipment, pure=False, key=key
            )
        except Exception as error:
            self._end(key, TaskResult(step=task.step, error=f"{type(error).__name__}: {error}"))
            return
        with self._lock:
            running.future = future
            if running.keep:
                self._values[key] = future
        future.add_done_callback(lambda finished: self._relay(key, finished))

    def hold(self) -> None:
        """Begin none of the tasks handed over while every worker thread was busy, and not
        heard of as begun (`holding.py`)."""
        with self._lock:
            held = [k for k, r in self._tasks.items() if r.ahead and not (r.started or r.ended)]
        self._holding.hold(held)

    def fetch(self, keys: Sequence[str]) -> list[Any]:
        """The values of these keys, brought from the workers that hold them."""
        with self._lock:
            futures = [self._values[key] for key in keys]
        results: list[TaskResult | None] = self._client.gather(futures)
        return [opened_value(result) for result in results]  # or TaskLost (`kept.py`)

    # -- what the cluster says ------------------------------------------------------------

    def _on_worker_event(self, event: tuple[float, Any]) -> None:
        """A worker's report on one of this executor's tasks (on the client's event loop)."""
        message = event[1]
        key, kind = message.get("key"), message.get("kind")
        with self._lock:
            running = self._tasks.get(key)
        if running is None:
            return
        if kind in ("said", "retry"):  # lines and retries, each in its place, said at once
            with self._lock:  # never once its result has come: it carries the rest
                if not running.ended and not running.heard:
                    running.hear(*news(message))
            return
        if kind == "finished":
            running.heard = True
            result = with_lost_output(untold(pickle.loads(message["result"]), running), running)
            if message.get("remote"):
                # The value stayed in the worker's memory, as the dask future's result.
                result = with_value(result, Remote(running.task.step, key))
                with self._lock:
                    running.keep = True
                    if running.future is not None:
                        self._values[key] = running.future
            if result.written:  # files to copy back first: not on the event loop
                self._act(self._end_back, running, result)
            else:
                self._end(key, result)
        elif kind == "started":
            with self._lock:
                running.start(str(message["worker"]))
                if message.get("here"):  # a worker of this process: never ended (`here.py`)
                    self._here.add(str(message["worker"]))
        elif kind == "beat":
            with self._lock:
                running.calling = bool(message.get("calling"))
        elif kind == "stuck":
            # The step's call outlived its timeout: the worker holds the task's thread until
            # it is restarted; the result comes this way meanwhile (`again.py`).
            result = with_lost_output(untold(pickle.loads(message["result"]), running), running)
            worker = str(message["worker"])
            if message.get("here"):  # nothing can stop the call (`here.py`)
                result = in_this_process(result, retried(running, result))
                self._end(key, result, (self._cancel, key))
                return
            result = stuck_error(result, worker)
            if retried(running, result) and self._pass_on(running):
                began = time.monotonic() - result.duration
                self._act(self._again, key, running, worker, result, began)
            else:
                self._end(key, result, (self._cancel, key), (self._stop_worker, worker, key))

    def _on_cluster_event(self, event: tuple[float, Any]) -> None:
        """The scheduler's news (on the client's event loop): a worker gone, say."""
        message = event[1]
        if not isinstance(message, dict) or message.get("action") != "remove-worker":
            return
        worker = message.get("worker")
        processing = set(message.get("processing-tasks") or ())
        with self._lock:
            if worker in self._restarting:
                self._restarting[worker].set()
            hit = [
                (key, running)
                for key, running in self._tasks.items()
                if key in processing and running.worker == worker and not running.ended
            ]
        for key, running in hit:
            if worker in self._restarting:
                # Restarted by this executor to stop another step: the scheduler starts this
                # one again elsewhere (its claim was withdrawn), which is not a loss.
                with self._lock:
                    running.worker = running.started = None
            else:
                # Started there and not finished: the worker died under it (killed, out of
                # memory, its machine gone). Not the step's failure: the scheduler starts the
                # task again on another worker, from its first attempt (its claim names a
                # worker that is gone), and the step gets the result of that run. After
                # `distributed.scheduler.allowed-failures` such deaths, it fails (KilledWorker).
                with self._lock:
                    running.worker = running.started = None
                deaths = self._deaths.count(key)
                self._act(self._tell_death, running.task, worker, deaths)

    def _tell_death(self, task: Task, worker: str, deaths: int) -> None:
        self._deaths.tell(logger, task, worker, deaths)

    # -- the end --------------------------------------------------------------------------

    def shutdown(self, *, cancel: bool = False) -> None:
        if self._closed:
            return
        self._stop.set()
        with self._lock:
            running = list(self._tasks.items())
        if cancel:
            said = ask(self._client, [(key, item.worker) for key, item in running])
            for key, item in running:
                self._end(key, interrupted(item, said.get(key)))
            cancel_all(self._client, [r.future for _, r in running if r.future is not None])
            if self._cluster is None:
                # A remote cluster: stop what this run's steps are doing there.
                for worker in {r.worker for _, r in running if r.worker is not None}:
                    self._act(self._stop_worker, worker, None)
            elif running:  # its own: closed below, but not the programs its steps started
                end_programs(self._client, {item.task.run_id for _, item in running})
        self._actions.shutdown(wait=True)
        self._closed = True
        with self._lock:
            self._values.clear()
        self._watch.join()
        close_cluster(self._client, self._cluster, self._topic)
        OURS.discard(self._topic)

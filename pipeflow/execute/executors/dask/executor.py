"""The dask executor, client side: submitting, relaying what the workers report, timeouts,
lost workers, shutting down. What it promises is in the package's docstring."""

from __future__ import annotations

import contextlib
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
    delay,
    next_attempt,
    retried,
    stuck_error,
    with_no_worker,
)
from pipeflow.execute.executors.dask.connect import close_cluster, dashboard_link, open_cluster
from pipeflow.execute.executors.dask.deaths import Deaths, quiet_scheduler
from pipeflow.execute.executors.dask.ending import Ending
from pipeflow.execute.executors.dask.gone import quiet_client
from pipeflow.execute.executors.dask.holding import Holding
from pipeflow.execute.executors.dask.kept import opened_value
from pipeflow.execute.executors.dask.protocol import CLAIMS
from pipeflow.execute.executors.dask.running import (
    Running,
    done,
    interrupted,
    late,
    silent,
    untold,
    with_lost_output,
    with_value,
)
from pipeflow.execute.executors.dask.said import ask, news
from pipeflow.execute.executors.dask.sealing import sealed
from pipeflow.execute.executors.dask.stopping import (
    RESTART_TIMEOUT,
    cancel_all,
    end_programs,
    end_worker,
)
from pipeflow.execute.executors.dask.worker import run_task
from pipeflow.execute.executors.process_errors import unpicklable
from pipeflow.execute.executors.telling import Say
from pipeflow.execute.remotes import Remote, remotes_in
from pipeflow.execute.shipping import Project
from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.model.pipeline import ClusterConfig

__all__ = ["DaskExecutor"]

logger = logging.getLogger(__name__)


class DaskExecutor(Ending):
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
        self._closed = False
        self._say: Say | None = None  # who hears each line a step prints, as it comes
        self._topic = f"pipeflow-{uuid.uuid4().hex}"
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
        if task.writes and self._packer is None:  # the workers see these files
            task = replace(task, present=attempts.present(task.writes))  # (`worker.py`)
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
        elif kind == "beat":
            with self._lock:
                running.calling = bool(message.get("calling"))
        elif kind == "stuck":
            # The step's call outlived its timeout: the worker holds the task's thread until
            # it is restarted; the result comes this way meanwhile (`again.py`).
            result = with_lost_output(untold(pickle.loads(message["result"]), running), running)
            worker = str(message["worker"])
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
                self._act(self._tell_death, running.task.step, worker, deaths)

    def _tell_death(self, step: str, worker: str, deaths: int) -> None:
        self._deaths.tell(logger, step, worker, deaths)

    def _claim(self, key: str) -> list[str]:
        return [CLAIMS, self._topic, key]

    # -- timeouts -------------------------------------------------------------------------

    def _watchdog(self) -> None:
        """Fail the attempt of a step whose worker has gone silent past its timeout, and
        restart the worker; the step's next attempt, if it has one, starts once it is gone."""
        while not self._stop.wait(0.2):
            with self._lock:
                overdue = late(self._tasks.items(), time.monotonic())
            for key, running in overdue:
                result = silent(running)
                worker, began = running.worker, running.started
                if worker is not None and began is not None and retried(running, result):
                    if self._pass_on(running):  # its next attempt once the worker is gone
                        self._act(self._again, key, running, worker, result, began, False)
                    continue
                then: list[tuple[Any, ...]] = [(self._cancel, key)]
                if worker is not None:
                    then.append((self._stop_worker, worker, key, False))
                self._end(key, result, *then)

    # -- actions (never on the event loop) ------------------------------------------------

    def _cancel(self, key: str) -> None:
        with self._lock:
            running = self._tasks.get(key)
        if running is None or running.future is None:
            return
        try:
            running.future.cancel(reason="pipeflow: the step has ended")
        except Exception as error:
            logger.debug("cancelling %s failed: %s", key, error)
        self._forget(key)

    def _pass_on(self, running: Running) -> bool:
        """End this task's part in its step, which goes on in another task (`_again`): False
        if it has ended already, or Ctrl-C stopped the run."""
        with self._lock:
            if running.ended or self._stop.is_set():
                return False
            running.ended = True  # in flight still: the next task ends it (`_end`)
            return True

    def _again(
        self,
        key: str,
        running: Running,
        worker: str,
        result: TaskResult,
        began: float,
        answers: bool = True,
    ) -> None:
        """The next attempt of a step stuck on `worker` (which `answers`, or has stopped
        answering), once that worker's process is gone; `began`: its first attempt's start."""
        self._cancel(key)
        wait = delay(running, result)
        if running.notify is not None and result.error is not None:
            running.notify(running.task.step, result.attempts, result.error, wait)
        self._stop_worker(worker, key, answers)
        with self._lock:
            removed = self._restarting.get(worker, threading.Event())
        deadline = time.monotonic() + RESTART_TIMEOUT
        while not (removed.wait(0.1) or self._stop.is_set() or time.monotonic() > deadline):
            pass
        if self._stop.is_set() or (removed.is_set() and self._stop.wait(wait)):  # Ctrl-C
            self._passed(running, replace(result, error="interrupted"))
        elif not removed.is_set():  # the call may still run there: no attempt beside it
            self._passed(running, result)
        elif not self._a_worker():  # it was the last, without a nanny to bring it back
            self._passed(running, with_no_worker(result, self._stop.is_set()))
        else:
            self._send(next_attempt(running, result, began))

    def _a_worker(self) -> bool:
        """Whether the cluster has a worker, waited for up to RESTART_TIMEOUT (a restarted one
        comes back within seconds); False at once after Ctrl-C."""
        deadline = time.monotonic() + RESTART_TIMEOUT
        while not self._stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # the scheduler busy: ask again
                if self._client.nthreads():
                    return True
            self._stop.wait(0.25)
        return False

    def _passed(self, running: Running, result: TaskResult) -> None:
        """The result of a step passed on (`_pass_on`) before its next task was sent."""
        self._holding.in_flight.ended()
        running.outer.set_result(result)

    def _stop_worker(self, worker: str, key: str | None, answers: bool = True) -> None:
        """End a worker's process to stop what it runs for the task `key`; its nanny starts a
        new one. Other unfinished tasks of this executor started there may start again
        elsewhere: their claims are withdrawn first (none with `key` None, for Ctrl-C)."""
        with self._lock:
            if worker in self._restarting:
                return
            removed = self._restarting[worker] = threading.Event()
            spared = [
                other
                for other, running in self._tasks.items()
                if key is not None and other != key and running.worker == worker
                if not running.ended
            ]
        end_worker(
            self._client,
            worker,
            freed=[self._claim(other) for other in spared],
            stopped=self._claim(key) if key is not None else None,  # its step has its result
            removed=removed,
            answers=answers,
            quiet=self._closed,
        )

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

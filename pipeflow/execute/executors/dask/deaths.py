"""Workers that die under a step (killed, out of memory, `os._exit`, a crash in compiled code):
what the client says as each death is heard, and the step's error once Dask gives up on it.

The scheduler starts a task whose worker died again elsewhere until more workers have died
running it than its `distributed.scheduler.allowed-failures`; then the task errs
(KilledWorker). That limit is the scheduler's: it is asked of the scheduler once, at the first
death, so that each death's warning says truly whether the step starts again."""

from __future__ import annotations

import logging
import threading
from typing import Any

from pipeflow.execute import ctrl_c
from pipeflow.execute.task import Task

LIMIT = "`distributed.scheduler.allowed-failures`"
CAUSES = (
    "killed, out of memory, exited (`os._exit`) or crashed in compiled code; see the workers' logs"
)


class Deaths:
    """The worker deaths heard per task, against the scheduler's limit."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._allowed: int | None = None
        self._counts: dict[str, int] = {}

    def count(self, key: str) -> int:
        """One more death under the task `key`; how many now. Counted as Dask tells them, on
        the client's event loop: before the task's own end, which forgets its count."""
        with self._lock:
            deaths = self._counts[key] = self._counts.get(key, 0) + 1
            return deaths

    def tell(self, log: logging.Logger, task: Task, worker: str, deaths: int) -> None:
        """Say the death of `worker` (see `heard`), unless the run is stopping on Ctrl-C or
        SIGTERM: sent to the whole process group (systemd, a terminal), it ends a local
        cluster's workers too, and no step starts again anywhere."""
        if not ctrl_c.stopping():
            log.warning("%s", self.heard(task, worker, deaths))

    def heard(self, task: Task, worker: str, deaths: int) -> str:
        """What to say of the death of `worker`, the `deaths`th under `task` (call it off
        the client's event loop: the first asks the scheduler). A `foreach` item is named by
        its number: of hundreds of items, the one that kills its worker is the one to see."""
        allowed = self.allowed()
        item = f" item {task.item + 1}" if task.item is not None else ""
        said = f"the Dask worker running `{task.step}`{item} ({worker}) died"
        if deaths > allowed:
            dead = "1 worker has" if deaths == 1 else f"{deaths} workers have"
            return (
                f"{said}; {dead} died running it, more than Dask allows ({LIMIT}: "
                f"{allowed}), so the step fails"
            )
        return (
            f"{said}; the step starts again on another worker ({deaths} of the {allowed} "
            f"death{'' if allowed == 1 else 's'} Dask allows, {LIMIT})"
        )

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def allowed(self) -> int:
        """The scheduler's limit; this machine's Dask config when the scheduler cannot say
        (no pipeflow where it runs, say)."""
        with self._lock:
            if self._allowed is not None:
                return self._allowed
        try:
            allowed = int(self._client.run_on_scheduler(_scheduler_allows))
        except Exception:
            import dask

            allowed = int(dask.config.get("distributed.scheduler.allowed-failures", 3))
        with self._lock:
            self._allowed = allowed
        return allowed


def _scheduler_allows(dask_scheduler: Any) -> int:
    """On the scheduler (`Client.run_on_scheduler`): its limit of deaths per task."""
    return int(dask_scheduler.allowed_failures)


def given_up(step: str, raised: BaseException) -> str:
    """The error of a step whose task Dask gave up on (`raised`: its KilledWorker)."""
    allowed = getattr(raised, "allowed_failures", None)
    last = getattr(getattr(raised, "last_worker", None), "address", None)
    if not isinstance(allowed, int) or allowed < 1:
        where = f" ({last})" if last else ""
        return f"WorkerDied: the Dask worker running `{step}`{where} died: {CAUSES}"
    where = f" (the last: {last})" if last else ""
    return (
        f"WorkerDied: {allowed + 1} Dask workers died running `{step}`{where}, more than Dask "
        f"allows ({LIMIT}: {allowed}): {CAUSES}"
    )


class _SaidByPipeflow(logging.Filter):
    """Drops the scheduler's own line on a task it gave up on: the step's error says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Task %s marked as failed because %d workers died")


_FILTER = _SaidByPipeflow()


def quiet_scheduler() -> None:
    """For a scheduler in this process (a cluster the run started): no raw ERROR line beside
    pipeflow's words on a task Dask gave up on."""
    logging.getLogger("distributed.scheduler").addFilter(_FILTER)  # once: a set of one

"""What runs on a Dask worker for each task: `work`, plus the reports the client needs."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeflow.execute import attempts
from pipeflow.execute.commits import interrupt
from pipeflow.execute.executors.dask.here import here
from pipeflow.execute.executors.dask.kept import kept, kept_manifest, read_back
from pipeflow.execute.executors.dask.protocol import BEAT, CLAIMS, HELD, INLINE, STOPPED, died
from pipeflow.execute.executors.dask.said import retried, saying
from pipeflow.execute.executors.dask.sealing import (
    Unreadable,
    Untravelled,
    cannot_travel,
    opened,
    opened_task,
    seal,
)
from pipeflow.execute.executors.dask.turns import turn
from pipeflow.execute.executors.working import enter_project, work
from pipeflow.execute.landing import client_words, collect, unpack
from pipeflow.execute.remotes import Remote, fill, pick, remotes_in
from pipeflow.execute.shipping import Shipment
from pipeflow.execute.task import Task, TaskResult, withdrawn
from pipeflow.model.words import a_kind
from pipeflow.storage.blobs import WriteSpec


def run_task(
    task: Task, key: str, topic: str, values: dict[str, Any], shipment: Shipment | None = None
) -> TaskResult | None:
    """Run one task on a dask worker: `work`, plus reports the client needs to keep time.

    `values` are the results (kept on the cluster) of the steps whose values the task takes;
    dask brings them here. The client learns how the step ended from a "finished" report; the
    value goes with it when it is small, and otherwise stays here as this task's result."""
    # Never beside a task of another run in this process: they import different code.
    with turn(task.run_id):
        return _run_task(task, key, topic, values, shipment)


def _run_task(
    task: Task, key: str, topic: str, values: dict[str, Any], shipment: Shipment | None
) -> TaskResult | None:
    """`run_task`, in the turn of the task's run."""
    from distributed import get_client, get_worker
    from distributed.core import Status

    serving = (Status.running, Status.paused)
    worker = get_worker()
    claim = [CLAIMS, topic, key]
    client: Any = get_client()  # the worker's own client
    first = client.get_metadata(claim, default=None)
    manifest = kept_manifest(first)  # it finished: its kept value was lost with its worker
    if manifest:  # stored: read back, never made anew (another value under the same key)
        again = _read_back(task, manifest, shipment, Path(worker.local_directory) / "pipeflow")
        # Its failure too stays as the task's result: the steps that take it say it is lost.
        return _report(again, key, topic, client, keep=True) or again
    if manifest is not None:  # not stored: made again, as Dask does, with nothing to go stale
        first = None
    if first == HELD:  # the run stopped after a failure before this task began (SPEC 6)
        return _report(withdrawn(task), key, topic, client)
    if first is not None and (first == STOPPED or first in client.scheduler_info()["workers"]):
        # Started already, and still running there, or stopped by the client (its step has
        # its result): never twice at once. A claim by a worker that died does not count:
        # the scheduler starts the task again, and the step runs again here.
        return TaskResult(step=task.step, error=died(task.step, str(first)))
    client.set_metadata(claim, worker.address)
    # Through the client, which waits until the scheduler has it: a step that then holds the
    # GIL would keep the worker's own event loop from sending it.
    started = {"kind": "started", "key": key, "worker": worker.address, "here": here(topic)}
    client.log_event(topic, started)

    # What is said of the task names the client's files, not their copies here (`landing`).
    words: Callable[[str], str] = str
    base = Path(worker.local_directory) / "pipeflow"
    workspace = base / "work" / key
    if shipment is not None:
        words = client_words(shipment, base, workspace)

    def tell(step: str, attempt: int, error: str, delay: float) -> None:  # said as it comes
        error = words(error)
        if retried(key, attempt, error, delay):  # in its place among the step's lines
            return
        # The error's text as bytes: a lone surrogate in it (a file name's) is no msgpack str.
        said = error.encode("utf-8", "surrogatepass")
        news = {
            "kind": "retry",
            "key": key,
            "worker": worker.address,
            "attempt": attempt,
            "error": said,
            "delay": delay,
        }
        client.log_event(topic, news)

    original = task
    if shipment is not None:
        try:
            task = unpack(task, shipment, base, workspace, _arrived)
        except Untravelled as untravelled:
            shutil.rmtree(workspace, ignore_errors=True)
            failed = TaskResult(
                step=task.step, error=cannot_travel(task.step, worker.address, untravelled)
            )
            return _report(failed, key, topic, client)
        except Exception as error:
            shutil.rmtree(workspace, ignore_errors=True)
            unshipped = TaskResult(
                step=task.step,
                error=(
                    f"{type(error).__name__}: the Dask worker {worker.address} could not get "
                    f"the project's code or files from the results store: {error}"
                ),
            )
            return _report(unshipped, key, topic, client)
    if task.project_dir and not os.path.isdir(task.project_dir):
        missing = TaskResult(
            step=task.step,
            error=(
                f"FileNotFoundError: the project folder {task.project_dir} does not exist on "
                f"the Dask worker {worker.address}, though `executor.shared_filesystem: true` "
                "says the workers see it at the same path; leave `shared_filesystem` out to "
                "send the project's code with the run (through a results store the workers reach)"
            ),
        )
        return _report(missing, key, topic, client)
    try:
        if shipment is None:
            task = _arrived(task)
        filled = _filled(task, values) or _with_inputs(task, values)
    except Untravelled as untravelled:
        failed = TaskResult(
            step=task.step, error=cannot_travel(task.step, worker.address, untravelled)
        )
        if shipment is not None:
            shutil.rmtree(workspace, ignore_errors=True)
        return _report(failed, key, topic, client)
    if task.present is not None and (first is not None or task.attempt > 1):
        # Its attempt ran in a process that was ended (a call stuck past its timeout, its
        # worker dead, or restarted to stop another step): what it added is not its output.
        noted = noted_writes(task.writes, shipped=shipment is not None)
        attempts.clear_attempt(noted, task.present, task.project_dir)
    before = set(threading.enumerate())
    name = f"pipeflow-step-{task.step}"  # the thread `task.execute` calls a timed step on

    def calls() -> list[threading.Thread]:
        return [
            thread
            for thread in threading.enumerate()
            if thread.name == name and thread not in before and thread.is_alive()
        ]

    done = threading.Event()
    if task.timeout is not None and task.stored is None:

        def beat() -> None:
            while not done.wait(BEAT):
                worker.log_event(topic, {"kind": "beat", "key": key, "calling": bool(calls())})

        threading.Thread(target=beat, name=f"pipeflow-beat-{task.step}", daemon=True).start()
    try:
        # What it prints: sent as it comes, and kept for the client should Ctrl-C stop it.
        with saying(key, topic) as said:
            result = (
                filled if isinstance(filled, TaskResult) else work(filled, tell=tell, into=said)
            )
    finally:
        done.set()
    if shipment is not None:
        result = collect(original, task, result, shipment.store, workspace)
        result = _apart(_in_words(result, words), worker.address)
    left = _stopping(calls)
    if left:
        # The call outlived its timeout and still runs: send the result ahead and keep this
        # thread (so no other task starts here) until the client restarts the worker, or
        # the call ends by itself.
        message = {
            "kind": "stuck",
            "key": key,
            "worker": worker.address,
            "result": pickle.dumps(result),
            "here": here(topic),  # then nothing ends this worker (`here.py`)
        }
        client.log_event(topic, message)
        while any(thread.is_alive() for thread in left) and worker.status in serving:
            time.sleep(0.1)
        return None
    return _report(result, key, topic, client)


def _read_back(task: Task, manifest: str, shipment: Shipment | None, base: Path) -> TaskResult:
    """`kept.read_back` with the task's project code on the path (its classes may be the
    project's): the client's folder, or the package sent with the run (under `base`)."""
    if shipment is None:
        enter_project(task)
        return read_back(task, manifest)
    workspace = base / "reading" / uuid.uuid4().hex
    try:
        code = replace(shipment, files={})  # its value, not its inputs
        return read_back(unpack(task, code, base, workspace, _entered), manifest)
    except Exception as error:
        return TaskResult(step=task.step, error=f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _entered(task: Task) -> Task:
    enter_project(task)
    return task


def noted_writes(writes: Sequence[WriteSpec], *, shipped: bool) -> tuple[WriteSpec, ...]:
    """The declared writes whose content the client notes before a task's first attempt, for
    a worker that runs it again to remove what an ended attempt added: all of them where the
    workers see the client's files, else those under a URL (the rest go to each task's own
    workspace on its worker, a new one each time)."""
    return tuple(write for write in writes if not shipped or "://" in write.location)


SETTLE = 0.5  # seconds a call asked to stop (its last attempt timed out) has to end


def _stopping(calls: Callable[[], list[threading.Thread]]) -> list[threading.Thread]:
    """The calls of the step still running, once those asked to stop have had SETTLE to
    end: Python code ends at its next bytecode, and only a call blocked in C is worth the
    restart of this worker, which would end every other task here too."""
    left = calls()
    deadline = time.monotonic() + SETTLE
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    return calls() if left else left


def _in_words(result: TaskResult, words: Callable[[str], str]) -> TaskResult:
    """The result with its error, traceback and retries' errors said by `words`."""
    return replace(
        result,
        error=None if result.error is None else words(result.error),
        traceback=None if result.traceback is None else words(result.traceback),
        retries=tuple((attempt, words(error), delay) for attempt, error, delay in result.retries),
    )


# The errors of a file or folder that is not where the step looked for it.
_MISSING = ("FileNotFoundError: ", "NotADirectoryError: ")


def _apart(result: TaskResult, address: str) -> TaskResult:
    """A step's failure to find a file on a worker that shares no filesystem with the client,
    with why: only what the config names travels (docs/executors.md)."""
    if result.error is None or not result.error.startswith(_MISSING):
        return result
    why = (
        f" (the step ran on the Dask worker {address}, which shares no filesystem with this "
        "machine: it has the files that its path inputs or `reads:` name, and what it "
        "writes comes back only where `writes:` says; name the file there)"
    )
    return replace(result, error=result.error + why)


def _filled(task: Task, values: dict[str, Any]) -> TaskResult | None:
    """A failed result if a value the task takes was lost on the cluster, else None."""
    for remote in remotes_in(task.inputs):
        held = values.get(remote.key)
        if not isinstance(held, TaskResult) or not held.ok:
            return TaskResult(
                step=task.step,
                error=(
                    f"TaskLost: the value of `{remote.step}` was lost with the Dask worker "
                    "that held it; run the pipeline again"
                ),
            )
    return None


def _arrived(task: Task) -> Task:
    """The task with its inputs opened (`sealing`), its project's code on the path first."""
    enter_project(task)
    return opened_task(task)


def _with_inputs(task: Task, values: dict[str, Any]) -> Task:
    """The task with the values kept on the cluster that it takes, opened."""
    if not values:
        return task
    opened_values: dict[str, Any] = {}

    def value(remote: Remote) -> Any:
        if remote.key not in opened_values:
            try:
                opened_values[remote.key] = opened(values[remote.key].value)
            except Unreadable as error:
                raise Untravelled(f"the value of `{remote.step}`", error) from None
        return pick(opened_values[remote.key], remote)

    return replace(task, inputs=fill(dict(task.inputs), value))


def _report(
    result: TaskResult, key: str, topic: str, client: Any, *, keep: bool = False
) -> TaskResult | None:
    """Tell the client how the step ended; the value too when it is small (else it stays, as
    it does whatever its size with `keep`: the task's steps after it wait for it here)."""
    remote = False
    if result.ok and result.value is not None:
        try:
            remote = keep or not _smaller_than(result.value, INLINE)
        except Exception as error:
            result = TaskResult(
                step=result.step,
                error=(
                    f"ValueError: step `{result.step}` returned "
                    f"{a_kind(type(result.value).__name__)}, which cannot be sent from a Dask "
                    f"worker ({error}); return plain data"
                ),
                attempts=result.attempts,
                duration=result.duration,
                output=result.output,
                retries=result.retries,
            )
    if remote:  # should its worker die, the task reads it back rather than run (`kept`)
        client.set_metadata([CLAIMS, topic, key], kept(result))
    news = replace(result, value=None) if remote else result
    client.log_event(
        topic, {"kind": "finished", "key": key, "remote": remote, "result": pickle.dumps(news)}
    )
    # Kept here for later tasks and the client: sealed, as its class may be the project's.
    return replace(result, value=seal(result.value), output=(), retries=()) if remote else None


class _TooBig(Exception):
    pass


class _Counter:
    """A file that only counts what is written to it, up to a limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        self.size += size
        if self.size > self.limit:
            raise _TooBig
        return size


def _smaller_than(value: Any, limit: int) -> bool:
    """Whether the value pickles to fewer than `limit` bytes (found without pickling it all)."""
    try:
        pickle.Pickler(_Counter(limit), protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except _TooBig:
        return False
    return True


async def exit_now() -> None:
    """On a worker's event loop (`Client.run`): end the process now; its nanny restarts it.

    The programs its steps started (`subprocess.run`), and theirs, are killed first: they are
    the work of the step being stopped, which must not go on beside its next attempt or after
    the run (an orphan would also keep the run's output open)."""
    await kill_programs()
    os._exit(1)


async def kill_programs(runs: Collection[str] = ()) -> None:
    """On a worker's event loop (`Client.run`): kill the programs its steps started, and
    theirs: the run that sent those steps has stopped (`stopping.end_programs`). The steps of
    the stopped `runs` here store nothing from now on, and are stopped: a step that waited
    for a program killed under it (`Popen.wait()`) would return, and have its result stored
    as if it were whole."""
    for run_id in runs:
        interrupt(run_id, wait=0)
    import psutil  # distributed's own dependency

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()

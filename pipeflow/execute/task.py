"""A task: the plain data a worker needs to run one step, and the function that runs it.

Everything in a Task can cross a process boundary: a dotted path, resolved input values, a
store URL. The worker imports the function, calls it (with retries and a timeout), splits
the value into its named parts, and persists each part before it returns, so large values
are written where they were made.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from pipeflow.cache.source import Source
from pipeflow.cache.unchanged import FileStamp, changed_since, writing
from pipeflow.cache.versions import value_version
from pipeflow.execute import attempts, calls, timeouts
from pipeflow.execute.awaiting import synchronous
from pipeflow.execute.capture import working_for
from pipeflow.execute.commits import begin_commit, end_commit
from pipeflow.execute.ctrl_c import by_signal
from pipeflow.execute.failures import StepError, compact_traceback, describe
from pipeflow.execute.isolation import isolated, isolated_inputs
from pipeflow.execute.persisting import Persist, persist_parts
from pipeflow.execute.remotes import client_paths
from pipeflow.importing import load_callable
from pipeflow.model.pipeline import SINGLE_PART, RetryPolicy
from pipeflow.model.words import a_kind
from pipeflow.records import record
from pipeflow.storage import (
    Manifest,
    PartRecord,
    ResultStore,
)
from pipeflow.storage.blobs import FileHash, Restoration, WriteSpec, snapshot
from pipeflow.storage.restoring import restore
from pipeflow.storage.written import WrittenFiles

Notify = Callable[[str, int, str, float], None]  # (step, attempt, error, delay) before a retry


@record
class Task:
    run_id: str
    step: str
    function: str
    inputs: Mapping[str, Any]
    outputs: tuple[str, ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float | None = None
    persist: Persist | None = None
    key: str = ""
    consumed_params: Mapping[str, Any] = field(default_factory=dict)
    # Set for a cached step whose value a running step needs: load it instead of calling.
    stored: Manifest | None = None
    store: ResultStore | None = None
    project_dir: str = ""  # put on sys.path in a worker process, so `function` imports
    allow_imports: tuple[str, ...] = ()  # the config's: the worker checks `function` again
    item: int | None = None  # the index of the item, for one item of a `foreach` step
    # Copy the inputs before each call (`isolation.py`): they may be objects other steps take
    # too; and the value it returns, which its module may keep and change later. False once
    # the task was pickled to a worker process: its inputs are its own there, and its value
    # leaves as it was returned (a step with retries still gets a copy for each attempt: `_call`).
    isolate: bool = True
    writes: tuple[WriteSpec, ...] = ()  # checked, and stored with the result, after the call
    # Local files and folders (absolute paths or globs) its `reads:` names, besides the path
    # inputs: what a worker that shares no filesystem with the client gets sent.
    reads: tuple[str, ...] = ()
    # For a cached step whose files or target payloads must be put back first.
    restore: Restoration | None = None
    load: bool = True  # with `stored`: read the value too (a step that runs needs it)
    # Its result is not stored, and a step after it may be cached: hash its value where it
    # is made (`TaskResult.version`), since no stored checksum will stand for it.
    fingerprint: bool = False
    # On a worker that shares no filesystem with the client: the folder its files were copied
    # into (`landing.py`). A path into it in the returned value is the client's path again
    # before the value is stored or sent back (`client_paths`).
    workspace: str = ""
    # The source files its code key was computed from, as they were then: one edited since
    # (while the run went on) may be the code that ran, so the result is not stored.
    sources: tuple[Source, ...] = ()
    # The local files and folders its key was computed from, as they were hashed: one changed
    # since (another run wrote it while the step ran) may be what it read: nothing is stored.
    stamps: tuple[FileStamp, ...] = ()
    # The run's results stores on this machine's disk (absolute): a read folder that holds
    # one may change as other steps store their results there, which a failure says.
    stores: tuple[str, ...] = ()
    # The number of its first attempt: above 1 when the attempts before it ran in a process
    # the executor ended to stop a call that outlived its timeout (a Dask worker restarted).
    attempt: int = 1
    # On Dask workers that see the client's files: what its declared writes held before its
    # first attempt (`attempts.present`), noted by the client. A worker that runs it again
    # after the process of an attempt was ended first removes what that attempt added.
    present: attempts.Present | None = None


@record
class TaskResult:
    step: str
    value: Any = None
    error: str | None = None
    traceback: str | None = None
    attempts: int = 1
    duration: float = 0.0
    records: Mapping[str, PartRecord] = field(default_factory=dict)
    locations: tuple[str, ...] = ()
    manifest: Manifest | None = None  # the manifest written for this result
    version: str | None = None  # an unstored value's `value_version`, with `Task.fingerprint`
    # From another process: what the step printed and logged, and its retries, replayed by
    # the engine as events (in-process executors emit them as they happen).
    output: tuple[tuple[str, str], ...] = ()
    retries: tuple[tuple[int, str, float], ...] = ()
    # (path, size, mtime_ns, sha256) of local files written or restored and hashed on the
    # way: remembered by the client, which then does not hash them again.
    hashes: tuple[FileHash, ...] = ()
    # What the step wrote on a worker that shares no filesystem with the client (declared
    # write label -> its files, each a blob in the results store), for the client to copy
    # back into its workspace.
    written: Mapping[str, WrittenFiles] = field(default_factory=dict)
    # Handed over but never begun: the run had stopped after a failure (`withdrawn`).
    withdrawn: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def withdrawn(task: Task) -> TaskResult:
    """The result of a task that never began: the run stopped after a failure, and starts
    nothing new (SPEC 6)."""
    return TaskResult(step=task.step, error="not started: the run stopped", withdrawn=True)


def holds_run(task: Task, result: TaskResult) -> bool:
    """Whether this end of `task` stops the run: a failure of its step's function (a stored
    result that cannot be read is rebuilt instead, and a withdrawn task is no failure)."""
    return not result.ok and task.stored is None and not result.withdrawn


def execute(
    task: Task,
    notify: Notify | None = None,
    *,
    in_place: timeouts.Due | None = None,
    ends_worker: bool = False,
) -> TaskResult:
    """Run one step to the end: call with retries, split, persist. Never raises a step's error.

    Attempts never overlap (see `timeouts`); `in_place`: on a worker process's main thread,
    where a timer can interrupt the call itself, told each attempt's deadline, past which
    the executor ends the process; `ends_worker`: on a Dask worker, whose process the
    executor ends to stop a call that does not stop."""
    started = time.perf_counter()
    if task.stored is not None:
        return _load(task, started)
    attempt = task.attempt - 1
    before = attempts.present(task.writes) if task.writes else {}
    project = task.project_dir  # nothing is removed through a link the step made out of it
    with working_for(task.run_id, task.step), writing() as own:
        while True:
            attempt += 1
            try:
                value = _call(task, attempt, in_place=in_place, ends_worker=ends_worker)
                value = client_paths(value, task.workspace)
                if task.isolate:  # taken as returned, whatever changes the object later
                    value = isolated(value)
                break
            except timeouts.StillRunning as error:
                return _failure(task, error, attempt, started)
            except calls.Stop:  # Ctrl-C or SIGTERM stopped the run (`commits.interrupt`)
                attempts.clear_attempt(task.writes, before, project)  # no half-written file
                return _failure(task, KeyboardInterrupt("interrupted"), attempt, started)
            # `sys.exit()` in a step, or a KeyboardInterrupt it raises itself: its failure.
            except (Exception, SystemExit, KeyboardInterrupt) as error:
                attempts.clear_attempt(task.writes, before, project)  # never kept or stored
                if isinstance(error, KeyboardInterrupt) and by_signal():
                    raise  # Ctrl-C: the run stops (the engine)
                if attempt > task.retry.retries:
                    return _failure(task, error, attempt, started)
                delay = task.retry.delay_before(attempt + 1, jitter=random.random())
                if notify is not None:
                    notify(task.step, attempt, describe(error), delay)
                if not calls.pause(task.run_id, delay):  # Ctrl-C or SIGTERM meanwhile
                    return _failure(task, KeyboardInterrupt("interrupted"), attempt, started)
        changed = changed_since(task.sources, task.stamps, task.project_dir, own, task.stores)
        if changed is not None:
            attempts.clear_attempt(task.writes, before, project)
            return _failure(task, changed, attempt, started)
        if not begin_commit(task.run_id):  # what it returned after Ctrl-C is dropped
            return _failure(task, KeyboardInterrupt("interrupted"), attempt, started)
        # Splitting and storing are not retried: calling the function again would not help.
        try:
            parts = split_parts(value, task.outputs, task.step)
            store = task.persist.store if task.persist is not None else None
            files, hashes = snapshot(task.writes, store, project) if task.writes else ({}, [])
            files = attempts.mark_kept(files, task.writes, before)
            manifest = persist_parts(task, parts, files) if task.persist else None
        except Exception as error:
            # A declared write missing, parts that do not match `outputs:`: the step failed
            # after its call, and what it wrote goes as after a call that raised.
            attempts.clear_attempt(task.writes, before, project)
            return _failure(task, error, attempt, started)
        finally:
            end_commit(task.run_id)
        # `--frozen` stores nothing: a value not stored counts by its hash, as one never stored.
        frozen = task.persist is not None and task.persist.frozen
        version = (
            value_version(parts) if (task.fingerprint or frozen) and manifest is None else None
        )
    locations: tuple[str, ...] = ()
    if manifest is not None and task.persist is not None:
        store = task.persist.store
        locations = tuple(dict.fromkeys(store.location(p.path) for p in manifest.parts.values()))
    return TaskResult(
        step=task.step,
        # With `outputs:`, the value is kept as its named parts (a tuple becomes a dict).
        value=parts if task.outputs else value,
        attempts=attempt,
        duration=time.perf_counter() - started,
        records=manifest.parts if manifest is not None else {},
        locations=locations,
        manifest=manifest,
        hashes=tuple(hashes),
        version=version,
    )


def _load(task: Task, started: float) -> TaskResult:
    """A cached step's stored value, read and checked against its manifest; its files and
    target payloads put back first when it is to be restored."""
    manifest, store = task.stored, task.store
    assert manifest is not None
    assert store is not None
    hashes: list[FileHash] = []
    try:
        if task.restore:
            hashes = restore(store, task.restore)
        # In `outputs:` order: a manifest read back from the store lists its parts sorted.
        names = (task.outputs or tuple(manifest.parts)) if task.load else ()
        values = {name: store.read(manifest.parts[name]) for name in names}
    except Exception as error:
        return _failure(task, error, 1, started)
    value = values if task.outputs else values.get(SINGLE_PART)
    return TaskResult(
        step=task.step,
        value=value,
        duration=time.perf_counter() - started,
        records=manifest.parts,
        locations=tuple(dict.fromkeys(store.location(p.path) for p in manifest.parts.values())),
        manifest=manifest,
        hashes=tuple(hashes),
    )


def _failure(task: Task, error: BaseException, attempt: int, started: float) -> TaskResult:
    return TaskResult(
        step=task.step,
        error=describe(error),
        traceback=compact_traceback(error) or None,
        attempts=attempt,
        duration=time.perf_counter() - started,
    )


def _call(task: Task, attempt: int, *, in_place: timeouts.Due | None, ends_worker: bool) -> Any:
    function = synchronous(
        load_callable(task.function, project_dir=task.project_dir, allow_imports=task.allow_imports)
    )
    # Each attempt gets fresh copies: a failed attempt may have changed its inputs. A task
    # pickled to a worker process owns its inputs, but a step that may be retried there gets
    # copies too, or its next attempt would take what the failed one left of them.
    copied = task.isolate or task.retry.retries > 0
    inputs = isolated_inputs(task.inputs) if copied else task.inputs
    folder = _working_folder()
    try:
        if task.timeout is None:
            with calls.stoppable(task.run_id):  # Ctrl-C stops it on a thread (`stop_calls`)
                return function(**inputs)
        return timeouts.call(
            function,
            inputs,
            timeout=task.timeout,
            step=task.step,
            run_id=task.run_id,
            in_place=in_place,
            last=attempt > task.retry.retries,
            ends_worker=ends_worker,
        )
    finally:
        _back_to(folder)


def _working_folder() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # removed from under the process
        return None


def _back_to(folder: str | None) -> None:
    """The working folder a step's call found, put back should the call have moved it
    (`os.chdir`): the steps after it on this process resolve their relative paths there."""
    if folder is not None and _working_folder() != folder:
        with contextlib.suppress(OSError):  # removed meanwhile: nowhere to go back to
            os.chdir(folder)


def split_parts(value: Any, outputs: tuple[str, ...], step: str) -> dict[str, Any]:
    """Name the parts of a step's value: the dict keys or tuple items `outputs:` lists."""
    if not outputs:
        return {SINGLE_PART: value}
    if isinstance(value, Mapping):
        missing = [name for name in outputs if name not in value]
        if missing:
            raise StepError(
                f"step `{step}` returned a dict without "
                + ", ".join(f"`{name}`" for name in missing)
                + f" (it has {', '.join(f'`{k}`' for k in value) or 'no keys'}); "
                "`outputs:` must list keys of the returned dict"
            )
        return {name: value[name] for name in outputs}
    if isinstance(value, tuple | list):
        if len(value) != len(outputs):
            raise StepError(
                f"step `{step}` returned {len(value)} values but `outputs:` names {len(outputs)}"
            )
        return dict(zip(outputs, value, strict=True))
    raise StepError(
        f"step `{step}` declares `outputs:` but returned {a_kind(type(value).__name__)}; "
        "return a dict (or a tuple) with those parts"
    )

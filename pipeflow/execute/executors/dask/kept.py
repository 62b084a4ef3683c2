"""A step's value kept on the worker that made it (64 KiB or more), lost with that worker after
the step finished.

Dask makes a lost value anew by running its task again, on another worker: the step would run
twice in one run, unrecorded, and store its result again under the same key (another value,
for a step that is not deterministic), so that the steps after it were computed from a version
the store no longer holds. A finished step never runs again: as its worker keeps the value, it
writes the step's manifest in the task's claim on the scheduler (`kept`); a task started again
with such a claim reads the value back from that stored result, checked against its manifest
(`read_back`). A value that was not stored (`result: false`, `persist: false`, `--frozen`) is
made again, as Dask does: no stored result can go stale (the step's side effects happen
twice, as after any lost worker)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pipeflow.execute.executors.dask.protocol import KEPT
from pipeflow.execute.executors.dask.sealing import opened
from pipeflow.execute.task import Task, TaskResult, execute
from pipeflow.storage import Manifest


class TaskLost(Exception):
    """A value the run's process asked for that was lost and could not be read back."""


def opened_value(result: TaskResult | None) -> Any:
    """The value of a task's result brought to the run's process, or TaskLost."""
    if result is None or not result.ok:
        error = result.error if result is not None else None
        raise TaskLost((error or "its value was lost on the cluster").removeprefix("TaskLost: "))
    return opened(result.value)


def kept(result: TaskResult) -> list[Any]:
    """The claim of a finished task whose value its worker keeps: its manifest, if stored."""
    manifest = result.manifest
    return [KEPT, None if manifest is None else manifest.to_json().decode("utf-8")]


def kept_manifest(claim: Any) -> str | None:
    """The manifest text of a `kept` claim ("" for a value not stored); None for another."""
    if isinstance(claim, (list, tuple)) and len(claim) == 2 and claim[0] == KEPT:
        return claim[1] or ""
    return None


def read_back(task: Task, manifest: str) -> TaskResult:
    """The result of a finished task whose kept value was lost: read from its stored result,
    or a failure when it was not stored. Its project's code is on the path (its classes)."""
    if not manifest or task.persist is None:
        return TaskResult(
            step=task.step,
            error=(
                f"TaskLost: the value of `{task.step}` was lost with the Dask worker that held "
                "it, and it was not stored; run the pipeline again"
            ),
        )
    stored = Manifest.from_json(manifest.encode("utf-8"))
    result = execute(replace(task, stored=stored, store=task.persist.store))
    return replace(result, manifest=stored)

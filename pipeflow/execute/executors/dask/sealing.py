"""Values on their way through a Dask cluster, as bytes only the two ends read.

A step's value may be of a class defined in the project (a dataclass `steps.model.Model`).
Dask unpickles a task's arguments on the scheduler, which never has the project's code, and
on the worker before the task runs, when the shipped code is not yet on its path. So the
values a task takes (its inputs) and the value a worker keeps for later tasks are pickled by
pipeflow into a `Sealed` (plain bytes to Dask), and opened only where the project's code is
importable: on the worker, once the task's project folder is on its path, and on the client.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pipeflow.execute.task import Task
from pipeflow.records import record


@record
class Sealed:
    """A value pickled by pipeflow: Dask carries the bytes without reading them."""

    data: bytes


class Unreadable(Exception):
    """A sealed value names a class (or function) this process cannot import."""

    def __init__(self, name: str, error: BaseException) -> None:
        super().__init__(f"{name}: {type(error).__name__}: {error}")
        self.name = name  # `module.QualifiedName`
        self.error = error


class _Reader(pickle.Unpickler):
    """An unpickler that names the class it could not find."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except Exception as error:
            raise Unreadable(f"{module}.{name}", error) from error


def seal(value: Any) -> Sealed:
    return Sealed(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def opened(value: Any) -> Any:
    """The value a `Sealed` holds (anything else as it is); `Unreadable` names a class that
    cannot be imported here."""
    if not isinstance(value, Sealed):
        return value
    return _Reader(io.BytesIO(value.data)).load()


def sealed(task: Task) -> Task:
    """The task with each input and param sealed, for the scheduler to pass on unread."""
    return replace(
        task,
        inputs={name: seal(value) for name, value in task.inputs.items()},
        consumed_params={name: seal(value) for name, value in task.consumed_params.items()},
    )


class Untravelled(Exception):
    """What could not be opened on a worker: which input (or which step's value) and class."""

    def __init__(self, what: str, unreadable: Unreadable) -> None:
        super().__init__(what)
        self.what = what  # "its input `model`", "the value of `train`"
        self.unreadable = unreadable


def opened_task(task: Task) -> Task:
    """The task with its inputs and params opened; `Untravelled` says which could not be."""
    return replace(
        task,
        inputs=_opened_all(task.inputs, "input"),
        consumed_params=_opened_all(task.consumed_params, "param"),
    )


def _opened_all(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in values.items():
        try:
            result[name] = opened(value)
        except Unreadable as error:
            raise Untravelled(f"its {kind} `{name}`", error) from None
    return result


def cannot_travel(step: str, worker: str, untravelled: Untravelled) -> str:
    """The error of a step whose value could not be read on the worker."""
    error = untravelled.unreadable
    return (
        f"TypeError: step `{step}` cannot run on the Dask worker {worker}: {untravelled.what} "
        f"holds a `{error.name}`, which cannot be imported there "
        f"({type(error.error).__name__}: {error.error}); define the class in a module of the "
        "project that a step imports (not in the script that starts the run), or pass plain data"
    )

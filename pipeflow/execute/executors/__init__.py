"""Executors: where tasks run. Found by name, imported only when used."""

from __future__ import annotations

import importlib
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from pipeflow.execute.task import Notify, Task, TaskResult
from pipeflow.model.pipeline import EXECUTOR_TYPES

__all__ = [
    "EXECUTOR_TYPES",
    "Executor",
    "ExecutorUnavailable",
    "Holding",
    "SelfHolding",
    "create_executor",
]


_MODULES = {
    "sequential": ("pipeflow.execute.executors.local", "SequentialExecutor"),
    "threads": ("pipeflow.execute.executors.local", "ThreadExecutor"),
    "processes": ("pipeflow.execute.executors.processes", "ProcessExecutor"),
    "dask": ("pipeflow.execute.executors.dask", "DeferredDaskExecutor"),
}


class Executor(Protocol):
    """Runs tasks; the engine loop is the same for every executor."""

    name: str

    def submit(self, task: Task, notify: Notify) -> Future[TaskResult]: ...

    def shutdown(self, *, cancel: bool = False) -> None: ...


@runtime_checkable
class Holding(Protocol):
    """An executor that can begin none of the tasks it was handed and has not begun: after
    a failure the run starts nothing new (SPEC 6)."""

    def hold(self) -> None: ...


@runtime_checkable
class SelfHolding(Holding, Protocol):
    """A pool whose worker holds it itself as its task fails (with `hold_after_failure`),
    before it takes the next task handed over: the run hears of the failure after that."""

    hold_after_failure: bool


class ExecutorUnavailable(Exception):
    """An executor type that this installation cannot provide."""


def create_executor(kind: str, **options: Any) -> Executor:
    """Build the executor of this name."""
    if kind not in _MODULES:
        raise ExecutorUnavailable(
            f"executor `{kind}` is not available in this version; use "
            + " or ".join(f"`{name}`" for name in _MODULES)
        )
    module_name, class_name = _MODULES[kind]
    factory = getattr(importlib.import_module(module_name), class_name)
    executor: Executor = factory(**options)
    return executor

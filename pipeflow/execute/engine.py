"""The engine: one scheduling loop for every executor.

It submits each step once everything it needs has finished, passes values in memory,
skips what a false `when` rules out, and applies the failure policy: after a failure,
start nothing new (or, with keep_going, everything that does not need the failed step),
let running steps finish, and mark the rest as not run.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeflow.execute.capture import OutputCapture
from pipeflow.execute.executors import Executor
from pipeflow.execute.task import Persist, Task, TaskResult
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.pipeline import SINGLE_PART, Pipeline, Step
from pipeflow.model.refs import Ref, lookup_path, resolve
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import truthy
from pipeflow.storage import ResultStore, TargetFields


class ReferenceFailure(Exception):
    """A reference that cannot be resolved while the run is going on."""


@dataclass
class RunResult:
    """What a run ended with: every step's outcome and the values kept in memory."""

    run_id: str
    pipeline: str
    started: datetime
    duration: float
    outcomes: dict[str, StepOutcome]
    values: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(
            o.state in (StepState.DONE, StepState.CACHED, StepState.SKIPPED)
            for o in self.outcomes.values()
        )

    @property
    def failed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.state is StepState.FAILED]


@dataclass(frozen=True)
class RunSettings:
    run_id: str
    started: datetime
    params: Mapping[str, Any]
    keys: Mapping[str, str]
    store: ResultStore | None  # None: nothing is persisted
    keep_going: bool = False
    secrets: frozenset[str] = frozenset()  # params from the environment: never stored or shown


def env_lookup(ref: Ref) -> str:
    name = ref.path[0]
    value = os.environ.get(name)
    if value is None:
        if ref.default is None:
            raise ReferenceFailure(f"environment variable `{name}` is not set")
        return ref.default
    return value


class Engine:
    """Runs one plan of one pipeline on one executor."""

    def __init__(
        self,
        pipeline: Pipeline,
        graph: StepGraph,
        decisions: Sequence[Decision],
        settings: RunSettings,
        *,
        executor: Executor,
        emit: Callable[[Event], None],
    ) -> None:
        self.pipeline = pipeline
        self.graph = graph
        self.decisions = {d.step: d for d in decisions}
        self.settings = settings
        self.executor = executor
        self._emit = emit
        self._lock = threading.Lock()
        self.values: dict[str, Any] = {}
        self.outcomes: dict[str, StepOutcome] = {}
        self._stopping = False  # a step failed: start nothing new (unless keep_going)
        self._capture = OutputCapture(self._on_output)
        self._position: dict[str, int] = {}
        self._waiting_on: dict[str, int] = {}
        self._ready: list[tuple[int, str]] = []

    def emit(self, event: Event) -> None:
        with self._lock:  # events come from worker threads too
            self._emit(event)

    # -- references -----------------------------------------------------------------------

    def lookup(self, ref: Ref) -> Any:
        if ref.scope == "params":
            try:
                return lookup_path(self.settings.params, ref.path)
            except KeyError as missing:
                raise ReferenceFailure(f"no param `{missing.args[0]}`") from None
        if ref.scope == "env":
            return env_lookup(ref)
        if ref.scope == "run":
            return self.settings.run_id if ref.path[0] == "id" else self.settings.started
        return self._step_value(ref)

    def _step_value(self, ref: Ref) -> Any:
        value = self.values[ref.step]
        part = ref.part
        if part is None:
            return value
        step = self.pipeline.steps[ref.step]
        if step.outputs:
            return value[part]
        if isinstance(value, Mapping) and part in value:
            return value[part]
        raise ReferenceFailure(
            f"`{ref.text}`: step `{ref.step}` returned a {type(value).__name__} "
            f"with no key `{part}`"
        )

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = time.perf_counter()
        self.emit(
            RunStarted(
                run_id=self.settings.run_id,
                pipeline=self.pipeline.name,
                started=self.settings.started,
                params=redact(self.settings.params, self.settings.secrets),
                plan=tuple(self.decisions.values()),
            )
        )
        order = self.graph.order()
        self._position = {name: index for index, name in enumerate(order)}
        self._waiting_on = {name: len(self.graph.upstream[name]) for name in order}
        self._ready = [(self._position[n], n) for n in order if not self._waiting_on[n]]
        heapq.heapify(self._ready)
        running: dict[Future[TaskResult], str] = {}
        interrupted = False
        try:
            with self._capture:
                while True:
                    while self._ready and (not self._stopping or self.settings.keep_going):
                        self._start(heapq.heappop(self._ready)[1], running)
                    if not running:
                        break
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in done:
                        self._collect(running.pop(future), future.result())
        except KeyboardInterrupt:
            interrupted = True
            self.executor.shutdown(cancel=True)
            for name in running.values():
                self._finish(
                    StepOutcome(name, StepState.FAILED, "interrupted", error="interrupted")
                )
        else:
            self.executor.shutdown()
        for name in order:
            if name not in self.outcomes:
                self._finish(StepOutcome(name, StepState.NOT_RUN, self._why_not_run(name)))
        result = RunResult(
            run_id=self.settings.run_id,
            pipeline=self.pipeline.name,
            started=self.settings.started,
            duration=time.perf_counter() - started,
            outcomes={n: self.outcomes[n] for n in order},
            values=self.values,
            interrupted=interrupted,
        )
        self.emit(
            RunFinished(
                run_id=self.settings.run_id,
                pipeline=self.pipeline.name,
                ok=result.ok,
                duration=result.duration,
                outcomes=tuple(result.outcomes.values()),
                interrupted=interrupted,
            )
        )
        return result

    def _start(self, name: str, running: dict[Future[TaskResult], str]) -> None:
        """Submit a step whose dependencies have all finished, or finish it without running."""
        decision = self.decisions[name]
        if decision.action is Action.SKIPPED:
            self._finish(StepOutcome(name, StepState.SKIPPED, decision.reason))
            return
        blocker = self._blocker(name)
        if blocker is not None:
            self._finish(StepOutcome(name, *blocker))
            return
        step = self.pipeline.steps[name]
        try:
            if step.when is not None and not truthy(resolve(step.when, self.lookup)):
                self._finish(StepOutcome(name, StepState.SKIPPED, "`when` is false"))
                return
            task = self._task(step)
        except (ReferenceFailure, KeyError) as error:
            self._stopping = True
            self._finish(StepOutcome(name, StepState.FAILED, "inputs", error=str(error)))
            return
        self.emit(StepStarted(self.settings.run_id, name, 1))
        future = self.executor.submit(task, self._on_retry)
        if future.done():  # the sequential executor has already run it
            self._collect(name, future.result())
        else:
            running[future] = name

    def _blocker(self, name: str) -> tuple[StepState, str] | None:
        """Why a step whose dependencies have finished will not run, or None."""
        value_deps = set(self.pipeline.steps[name].value_upstream())
        for dep in self.graph.upstream[name]:
            state = self.outcomes[dep].state
            if state is StepState.SKIPPED and dep in value_deps:
                return StepState.SKIPPED, f"needs `{dep}`, which was skipped"
            if state in (StepState.FAILED, StepState.NOT_RUN):
                return StepState.NOT_RUN, f"`{dep}` did not succeed"
        return None

    def _task(self, step: Step) -> Task:
        inputs = {name: resolve(value, self.lookup) for name, value in step.inputs.items()}
        key = self.settings.keys.get(step.name, "")
        persist = self._persist(step, key)
        return Task(
            run_id=self.settings.run_id,
            step=step.name,
            function=step.run or "",
            inputs=inputs,
            outputs=step.outputs,
            retry=step.retry,
            timeout=step.timeout,
            persist=persist,
            key=key,
            consumed_params=self._consumed_params(step),
        )

    def _persist(self, step: Step, key: str) -> Persist | None:
        store = self.settings.store
        if store is None or not step.result.persist or not self.pipeline.results.persist:
            return None
        if step.result.root is not None:
            root = resolve(step.result.root, self.lookup)
            options = resolve(dict(step.result.storage_options), self.lookup)
            store = ResultStore(store_url(root, self.pipeline.project_dir), options)
        prefix = f".pipeflow/results/{self.pipeline.name}/{step.name}/{key}"
        return Persist(
            store=store,
            manifest_path=f".pipeflow/manifests/{self.pipeline.name}/{step.name}/{key}.json",
            target=step.result.target,
            default_prefix=prefix,
            format=step.result.format,
            fields=TargetFields(
                pipeline=self.pipeline.name,
                step=step.name,
                output=SINGLE_PART,
                run_id=self.settings.run_id,
                date=self.settings.started,
                params=self.settings.params,
                key=key,
                ext="",
            ),
        )

    def _consumed_params(self, step: Step) -> dict[str, Any]:
        consumed: dict[str, Any] = {}
        for ref in step.references():
            if ref.scope == "params":
                consumed[".".join(ref.path)] = lookup_path(self.settings.params, ref.path)
        return redact(consumed, self.settings.secrets)

    def _collect(self, name: str, result: TaskResult) -> None:
        self._capture.end_step(name)
        if result.ok:
            self.values[name] = result.value
            self._finish(
                StepOutcome(
                    name,
                    StepState.DONE,
                    self.decisions[name].reason,
                    duration=result.duration,
                    attempts=result.attempts,
                    locations=result.locations,
                )
            )
            return
        self._stopping = True
        self._finish(
            StepOutcome(
                name,
                StepState.FAILED,
                "raised an error",
                duration=result.duration,
                attempts=result.attempts,
                error=result.error,
                traceback=result.traceback,
            )
        )

    def _why_not_run(self, name: str) -> str:
        failed = [n for n, o in self.outcomes.items() if o.state is StepState.FAILED]
        if failed:
            return f"the run stopped after `{failed[0]}` failed"
        return "not reached"

    def _finish(self, outcome: StepOutcome) -> None:
        self.outcomes[outcome.step] = outcome
        self.emit(StepFinished(self.settings.run_id, outcome))
        for name in self.graph.downstream[outcome.step]:
            self._waiting_on[name] -= 1
            if not self._waiting_on[name]:
                heapq.heappush(self._ready, (self._position[name], name))

    def _on_output(self, step: str, stream: str, text: str) -> None:
        self.emit(StepOutput(self.settings.run_id, step, stream, text))

    def _on_retry(self, step: str, attempt: int, error: str, delay: float) -> None:
        self.emit(StepRetrying(self.settings.run_id, step, attempt + 1, error, delay))


REDACTED = "***"


def redact(params: Mapping[str, Any], secrets: frozenset[str]) -> dict[str, Any]:
    """Params as they may be stored or shown: values from the environment are masked."""
    if not secrets:
        return dict(params)

    def walk(value: Any, path: str) -> Any:
        if path in secrets or any(path.startswith(s + ".") for s in secrets):
            return REDACTED
        if isinstance(value, Mapping):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        return value

    masked: dict[str, Any] = walk(params, "")
    return masked


def store_url(root: Any, project_dir: str) -> str:
    """A results root as a store URL: relative local paths resolve against the project."""
    text = str(root)
    if "://" in text or os.path.isabs(text):
        return text
    return os.path.normpath(os.path.join(project_dir, text))

"""The engine: one scheduling loop for every executor.

It starts each step once everything it needs has finished, passes values in memory, takes
cached results from the store (reading them only when a step that runs needs them), skips
what a false `when` rules out, and applies the failure policy: after a failure, start
nothing new (or, with keep_going, everything that does not need the failed step), let
running steps finish, and mark the rest as not run (what the plan skipped, or took from
the cache, as such: `readiness.unreached`).

Which values the run keeps in memory, and when they are dropped or fetched from the
executor's workers, is `keeping.py`'s; a `foreach` step's items are `fanout.py`'s (those in
flight `fanning.py`'s); what the run says, and in what order, is `voice.py`'s.

Decisions come from the planner before the run; a step whose inputs come from a step that
ran is decided again when that result exists, so an unchanged result keeps what follows it
cached.
"""

from __future__ import annotations

import functools
import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from pipeflow.execute import ctrl_c, fanout, readiness
from pipeflow.execute.capture import OutputCapture
from pipeflow.execute.closing import close_stores
from pipeflow.execute.commits import interrupt
from pipeflow.execute.context import RunContext, RunSettings
from pipeflow.execute.dispatching import Dispatcher
from pipeflow.execute.executors import Executor
from pipeflow.execute.failures import FROZEN, failure_reason
from pipeflow.execute.fanning import FanOuts
from pipeflow.execute.fanout import NotAList, SharedTarget
from pipeflow.execute.keeping import Keeper
from pipeflow.execute.outcome import RunResult, cached_outcome, task_outcome
from pipeflow.execute.readiness import why_not_run
from pipeflow.execute.step_files import ReferenceFailure
from pipeflow.execute.stopping import Stopwatch
from pipeflow.execute.task import Task, TaskResult
from pipeflow.execute.voice import Voice
from pipeflow.importing import READS_OTHER_RESULTS
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
)
from pipeflow.model.locations import NotAPath
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import resolve
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import Planner, WhenUndecided, truthy
from pipeflow.storage.journal import hold

__all__ = ["Engine", "ReferenceFailure", "RunResult", "RunSettings"]
# What fails a step before it starts (its inputs, its items, its `when:`), with its words.
_CANNOT_START = (ReferenceFailure, KeyError, NotAPath, NotAList, SharedTarget, WhenUndecided)


class Engine:
    """Runs one plan of one pipeline on one executor."""

    def __init__(
        self,
        pipeline: Pipeline,
        graph: StepGraph,
        planner: Planner,
        decisions: Sequence[Decision],
        settings: RunSettings,
        *,
        executor: Executor,
        emit: Callable[[Event], None],
    ) -> None:
        self.pipeline = pipeline
        self.graph = graph
        self.planner = planner
        self.decisions = {d.step: d for d in decisions}
        self.settings = settings
        self.context = RunContext(pipeline, planner, settings)
        self.context.fetch = getattr(executor, "fetch", None)
        hear = getattr(executor, "hear", None)  # a worker's lines as they come (`processes`)
        self.executor = executor
        self._stopwatch = Stopwatch(planner, settings.run_id)  # what a step Ctrl-C stops says
        self._voice = Voice(
            settings, emit, self._stopwatch, self.decisions, lambda task: self._fans.said(task)
        )
        self._dispatch = Dispatcher(executor, self._voice.retrying, keep_going=settings.keep_going)
        self.outcomes: dict[str, StepOutcome] = {}
        self._stopping = False  # a step failed: start nothing new (unless keep_going)
        self._capture = OutputCapture(settings.run_id, self._voice.output)
        self._position: dict[str, int] = {}
        self._waiting_on: dict[str, int] = {}
        self._ready: list[tuple[int, str]] = []
        self._fans = FanOuts(  # `foreach` steps whose items are running
            self.context, planner, self._submit, self._refuse, self._end_fan_out, self._stop
        )
        self._kept = Keeper(pipeline, graph, planner, self.context, warn=self._voice.warn)
        self.stale: dict[str, str] = {}  # `--frozen`: steps that would have run, and why
        if hear is not None:
            hear(self._voice.output)

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = time.perf_counter()
        self._voice.emit(
            RunStarted(
                run_id=self.settings.run_id,
                pipeline=self.pipeline.name,
                started=self.settings.started,
                params=self.settings.secrets.redact(self.settings.params),
                plan=tuple(self.decisions.values()),
            )
        )
        order = self.graph.order()
        self._position = {name: index for index, name in enumerate(order)}
        self._waiting_on = {name: len(self.graph.upstream[name]) for name in order}
        self._ready = [(self._position[n], n) for n in order if not self._waiting_on[n]]
        heapq.heapify(self._ready)
        interrupted = False
        if getattr(self.executor, "in_process", False):
            hold(self.settings.run_id)  # small results written in batches (`journal.py`)
        try:
            with ctrl_c.noting(), self._capture:
                if self.settings.interrupted:  # as its executor opened (`RunSettings`)
                    raise KeyboardInterrupt
                while True:
                    while self._ready and (not self._stopping or self.settings.keep_going):
                        self._start(heapq.heappop(self._ready)[1])
                    if not self._dispatch.running:
                        break
                    batch = self._dispatch.ended()
                    for name, task, got, _ in batch:
                        self._collect(name, task, got)
                    self._dispatch.handled([future for *_, future in batch])
        except KeyboardInterrupt:
            interrupted = True
        if not interrupted:
            self._kept.settle(fetch=True)
            self._dispatch.shutdown()
            self.context.files.end()  # nothing runs now: no step writes there
            return self._ended(order, started, interrupted=False)
        # Ctrl-C again (or SIGTERM) waits for the stop: cut short, it left the steps running,
        # and the process waited at its exit for them to end by themselves, then stored them.
        with ctrl_c.held():
            self._stopped()
            return self._ended(order, started, interrupted=True)

    def _stopped(self) -> None:
        """Stop the steps running (Ctrl-C): those that end now say so, the others are stopped."""
        interrupt(self.settings.run_id)  # a step left running on a thread stores nothing
        for name, task, ended, _ in self._dispatch.committed():
            self._collect(name, task, ended)  # its result was stored as the run stopped
        self._kept.settle(fetch=False)
        self._dispatch.shutdown(cancel=True)
        for name, begun in self._dispatch.stopped(self._voice.output).items():
            if name not in self.outcomes:
                calls = self._fans.calls(name)  # the items' that ended, and begun
                calls = calls + begun if calls is not None else None
                self._finish(self._stopwatch.stopped(name, self.decisions[name].key, calls))
        self.context.files.end()  # what stopped steps half-wrote goes

    def _ended(self, order: list[str], started: float, *, interrupted: bool) -> RunResult:
        """Finish the steps not reached, close the stores, and say how the run ended."""
        reason = why_not_run(self.outcomes, interrupted=interrupted)
        for name in (n for n in order if n not in self.outcomes):  # as it would have ended
            args = (self.decisions[name], reason, self.pipeline, self.graph, self.outcomes)
            state, why = readiness.unreached(name, *args)
            if state is StepState.CACHED:
                self._finish_cached(name)
            else:
                self._finish(StepOutcome(name, state, why))
        for failed in close_stores(self.planner, self.settings.run_id, self.outcomes):
            # its result was not stored
            self._voice.emit(StepFinished(self.settings.run_id, failed))
        result = RunResult(
            run_id=self.settings.run_id,
            pipeline=self.pipeline.name,
            started=self.settings.started,
            duration=time.perf_counter() - started,
            outcomes={n: self.outcomes[n] for n in order},
            context=self.context,
            interrupted=interrupted,
            decisions=dict(self.decisions),
        )
        self._voice.emit(
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

    def _start(self, name: str) -> None:
        """Start a step whose dependencies have all finished, or finish it without running."""
        decision = self.decisions[name]
        if decision.action is Action.SKIPPED:
            self._finish(StepOutcome(name, StepState.SKIPPED, decision.reason))
            return
        blocker = readiness.blocker(name, self.pipeline, self.graph, self.outcomes)
        if blocker is not None:
            self._finish(StepOutcome(name, *blocker))
            return
        step = self.pipeline.steps[name]
        try:
            if step.when is not None and not truthy(
                resolve(step.when, self.context.concrete_lookup)
            ):
                self._finish(StepOutcome(name, StepState.SKIPPED, "`when` is false"))
                return
            self.planner.settle(name)  # all it waited for has finished: its files are final
            if step.foreach is not None:
                self._start_fan_out(name, step, decision)
                return
            if decision.action is Action.RUN and not decision.key:
                # Its inputs came from steps that ran: decide now that their results exist.
                upstream = self.planner.upstream_versions(step)
                decision = self.planner.decide(name, upstream, starting=True)
                self.decisions[name] = decision
            if decision.action in (Action.CACHED, Action.RESTORE):
                restoration = self.planner.restorations.get(name)
                needed = self._value_needed(name)
                if needed or restoration:
                    task = self.context.load_task(step, restore=restoration, load=needed)
                    self._submit(name, task)
                else:
                    self._finish_cached(name)
                return
            task = self.context.run_task(step, decision.key)
        except _CANNOT_START as error:
            self._stop()
            self._finish(StepOutcome(name, StepState.FAILED, "inputs", error=str(error)))
            return
        self._submit(name, task, announce=True)

    def _start_fan_out(self, name: str, step: Step, decision: Decision) -> None:
        if decision.action is Action.CACHED and not self._value_needed(name):
            self._finish_cached(name)
            return
        fan = fanout.prepare(step, self.context, self.planner)
        fan.planned_cached = decision.action is Action.CACHED
        if not fan.planned_cached:  # read back, like any cached step: no start
            self._voice.started(name)
        self._fans.start(name, fan)

    def _submit(self, name: str, task: Task, *, announce: bool = False) -> None:
        """Hand `task` over; `announce`: the step is said started as a worker takes it."""
        if self.settings.frozen and task.stored is None and not self._computes_again(name):
            item = task.item is not None  # the step's plan says why it waits, not the item
            self._refuse(
                name, task, self._fans.why_runs(task) if item else self.decisions[name].reason
            )
            return
        started = None
        if announce:
            self._voice.expect(name)
            started = functools.partial(self._voice.started, name)
        result = self._dispatch.submit(name, task, started)
        if result is not None:  # the sequential executor has run it: handled before the next
            self._collect(name, task, result)

    def _computes_again(self, name: str) -> bool:
        """Whether `--frozen` runs `name`: a `pipeflow.read` step (it reads again), or one whose
        result is never stored (it computes a value nothing keeps); the steps after it are
        decided then (the plan skipped those of the second kind that none waits for)."""
        step = self.pipeline.steps[name]
        return step.run in READS_OTHER_RESULTS or self.planner.caches.get(name) is None

    def _value_needed(self, name: str) -> bool:
        return readiness.value_needed(
            name, self.pipeline, self.graph, self.outcomes, self.decisions
        )

    def _collect(self, name: str, task: Task, result: TaskResult) -> None:
        if result.withdrawn:  # never begun: a step ends as the run stopped, an item uncounted
            if task.item is not None:
                self._fans.collect(name, task, result)
            return
        if task.stored is None and task.item is None:
            self._voice.started(name)  # once: a step the run held before saying so ran
        self._capture.end_step(name)
        # From another process: replay what the step printed and its retries, in order.
        for attempt, error, delay in result.retries:
            self._voice.retrying(task, attempt, error, delay)
        for stream, text in result.output:
            self._voice.output(name, stream, text)
        self.planner.remember(result.hashes)
        if result.ok:
            self.context.files.ended(name, task.item)
        # For the manifest index of the store; a frozen run stores nothing (`persisting.py`).
        cache = None if self.settings.frozen else self.planner.caches.get(name)
        if result.manifest is not None and task.stored is None and cache is not None:
            cache.published(result.manifest)
        if task.item is not None:
            self._fans.collect(name, task, result)
            return
        if result.manifest is not None:
            self._kept.stored.add(name)
        if task.stored is not None:
            self._collect_load(name, task, result)
            return
        if result.ok:
            self.context.values[name] = result.value
            self.planner.ran(name, result.manifest, result.version)
        else:
            self._stop()
        elapsed = result.duration or self._stopwatch.elapsed(name)
        self._finish(task_outcome(name, result, self.decisions[name].reason, elapsed))

    def _collect_load(self, name: str, task: Task, result: TaskResult) -> None:
        if result.ok:
            if task.load:
                self.context.values[name] = result.value
            self._finish_cached(name)
            return
        # The stored result cannot be read back or restored (damaged, or gone since the
        # plan): rebuild it, and decide again what was decided from it.
        what = "restored" if task.restore else "read"
        if self.settings.frozen:
            self._refuse(name, None, f"its stored result could not be {what} ({result.error})")
            return
        self._voice.warn(
            name,
            f"the stored result of `{name}` could not be {what} ({result.error}); running it again",
        )
        self.planner.manifests.pop(name, None)
        self.planner.versions.pop(name, None)
        for later in self.planner.reopen(name, self.outcomes):
            self.decisions[later] = Decision(later, Action.RUN, f"`{name}` runs first", "")
        step = self.pipeline.steps[name]
        key = self.planner.keys.get(name, "")
        reason = f"its stored result could not be {what}"
        self.decisions[name] = Decision(name, Action.RUN, reason, key)
        self._submit(name, self.context.run_task(step, key), announce=True)

    def _refuse(self, name: str, task: Task | None, reason: str) -> None:
        """`--frozen`: fail a step (or an item's `task`) that turned out to need running,
        without running it; `stale` keeps why, for the run's error (exit 3)."""
        error = f"{FROZEN}: `{name}` would run: {reason}"  # an item's end names the item
        if task is not None and task.item is not None:
            reason = f"{self._fans.said(task)}: {reason}"
        self.stale.setdefault(name, reason)
        if task is not None and task.item is not None:
            self._collect(name, task, TaskResult(step=name, error=error))  # the fan-out's end
            return
        self._stop()
        self._finish(StepOutcome(name, StepState.FAILED, failure_reason(error), error=error))

    def _end_fan_out(self, name: str, fan: fanout.FanOut, outcome: StepOutcome) -> None:
        """A `foreach` step whose items have all ended (items may end while being handed over),
        or, after a failure, those begun."""
        if outcome.state is StepState.NOT_RUN:  # its other items never started
            why = why_not_run(self.outcomes, interrupted=False)
            outcome = replace(outcome, reason=f"{why}: {outcome.reason}")
        elif outcome.state is StepState.FAILED:
            self._stop()
        else:
            self.context.values[name] = fan.values
            if self.context.fetch is not None:
                self._kept.item_manifests[name] = fan.item_manifests()
        self._finish(outcome)

    def _stop(self) -> None:
        """A step failed: start nothing new (unless keep_going). Neither what waits for a
        worker, nor what a pool was handed and has not begun, nor a `foreach` step's next
        items; the steps running finish. Once: what it withdraws may end a step that failed."""
        stopped, self._stopping = self._stopping, True
        if stopped or self.settings.keep_going:
            return
        self._fans.halt()
        for name, task in self._dispatch.hold():
            if task.item is not None:
                self._fans.withdrawn(name, task)

    def _finish_cached(self, name: str) -> None:
        step = self.pipeline.steps[name]
        self._finish(cached_outcome(self.planner, step, self.decisions[name]))

    def _finish(self, outcome: StepOutcome) -> None:
        outcome = self.settings.secrets.outcome(outcome)  # kept in the run's result, too
        self._voice.ending(outcome.step)
        self.outcomes[outcome.step] = outcome
        self._voice.emit(StepFinished(self.settings.run_id, outcome))
        for name in self.graph.downstream[outcome.step]:
            self._waiting_on[name] -= 1
            if not self._waiting_on[name]:
                heapq.heappush(self._ready, (self._position[name], name))
        self._kept.release(outcome.step, self.outcomes)

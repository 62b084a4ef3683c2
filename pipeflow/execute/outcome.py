"""What a run ended with, and where a step's stored result is.

`RunResult` is the engine's: every step's outcome and the values kept in memory. `Run` is the
API's view of it (`ok`, `state(step)`, `output(step, part)`, reading a cached value from the
store on demand); `StoredResult` is what `Pipeline.result()` found for one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any, Protocol

from pipeflow.errors import did_you_mean
from pipeflow.execute.context import RunContext, declared_part
from pipeflow.execute.failures import failure_reason
from pipeflow.execute.isolation import isolated
from pipeflow.execute.step_files import ReferenceFailure
from pipeflow.execute.task import TaskResult
from pipeflow.model.pipeline import SINGLE_PART, Step
from pipeflow.model.refs import Ref, resolve
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.model.words import a_kind
from pipeflow.plan.planner import Planner
from pipeflow.records import record
from pipeflow.storage import Manifest


class Steps(Protocol):
    """The pipeline a `Run` belongs to (the API's `Pipeline`): its name and its steps."""

    @property
    def name(self) -> str: ...

    def step(self, name: str) -> Step:
        """The step of this name; KeyError naming the pipeline otherwise."""
        ...


@record(frozen=False)
class RunResult:
    """What a run ended with: every step's outcome and the values kept in memory."""

    run_id: str
    pipeline: str
    started: datetime
    duration: float
    outcomes: dict[str, StepOutcome]
    context: RunContext
    interrupted: bool = False
    decisions: dict[str, Decision] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(
            o.state in (StepState.DONE, StepState.CACHED, StepState.SKIPPED)
            for o in self.outcomes.values()
        )

    @property
    def failed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.state is StepState.FAILED]


class Run:
    """A finished run: `ok`, each step's state, and each step's value."""

    def __init__(self, pipeline: Steps, result: RunResult, params: Mapping[str, Any]) -> None:
        self.pipeline = pipeline
        self.result = result
        self.params = dict(params)

    @property
    def id(self) -> str:
        return self.result.run_id

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def outcomes(self) -> dict[str, StepOutcome]:
        return dict(self.result.outcomes)

    def state(self, step: str) -> StepState:
        self.pipeline.step(step)
        return self.result.outcomes[step].state

    def output(self, step: str, part: str | None = None) -> Any:
        """The value a step returned (read from the store if it was cached), or one part; for
        a step that runs a sub-pipeline, one of the outputs it declares. Each call gives a
        copy of its own (`isolation.isolated`, as a step's inputs are): what the caller changes
        in it, no later call sees."""
        return isolated(self._output(step, part))

    def _output(self, step: str, part: str | None = None) -> Any:
        outputs = self.result.context.pipeline.subpipelines.get(step)
        if outputs is not None:
            return self._sub_output(step, outputs, part)
        definition = self.pipeline.step(step)
        outcome = self.result.outcomes[step]
        if outcome.state not in (StepState.DONE, StepState.CACHED):
            why = f": {outcome.reason}" if outcome.reason else ""
            stored = (
                f"; its stored result, if it has one: pipeline.result({step!r}).load()"
                if outcome.state is not StepState.FAILED
                else ""
            )
            raise KeyError(
                f"step `{step}` has no value in this run (it is {outcome.state}{why}){stored}"
            )
        try:
            value = self.result.context.value_of(step)
        except ReferenceFailure as error:
            raise KeyError(str(error)) from None
        if part is None or (part == SINGLE_PART and not definition.outputs):
            return value
        if definition.outputs and part not in definition.outputs:
            raise KeyError(f"step `{step}` has no output `{part}`; it has {definition.outputs}")
        if definition.outputs:
            return declared_part(definition, value, part)
        if definition.foreach is not None and isinstance(value, list):
            return [_part(step, item, part, f" (item {n})") for n, item in enumerate(value)]
        return _part(step, value, part, "")

    def _sub_output(self, step: str, outputs: Mapping[str, Any], part: str | None) -> Any:
        """The output `part` of the sub-pipeline step `step` runs, as the parent reads it."""
        names = ", ".join(f"`{name}`" for name in outputs) or "none (it declares no `outputs:`)"
        if part is None:
            raise KeyError(
                f"step `{step}` runs a sub-pipeline, which has no single value; its outputs: "
                f"{names}: call output({step!r}, NAME)"
            )
        if part not in outputs:
            hint = did_you_mean(part, outputs)
            raise KeyError(
                f"the sub-pipeline of step `{step}` has no output `{part}`; "
                + (f"{hint} (its outputs: {names})" if hint else f"its outputs: {names}")
            )
        found = outputs[part]
        if isinstance(found, Ref) and found.scope == "steps":
            return self._output(found.step, found.part)
        return resolve(found, self._lookup, text_lookup=self._lookup)

    def _lookup(self, ref: Ref) -> Any:
        if ref.scope == "steps":
            return self._output(ref.step, ref.part)
        return self.result.context.concrete_lookup(ref)

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else "failed"
        return f"<Run {self.id} of {self.pipeline.name}: {verdict}>"


def _part(step: str, value: Any, part: str, where: str) -> Any:
    """One key of a step's value that is a mapping; a KeyError saying what the value has."""
    if isinstance(value, Mapping):
        if part in value:
            return value[part]
        keys = ", ".join(f"`{key}`" for key in list(value)[:10]) or "no keys"
        more = ", ..." if len(value) > 10 else ""
        raise KeyError(
            f"the value of step `{step}`{where} has no part `{part}`; it is a mapping with "
            f"{keys}{more}"
        )
    raise KeyError(
        f"the value of step `{step}`{where} has no part `{part}`: it is "
        f"{a_kind(type(value).__name__)}, not a mapping; call output({step!r}) for the whole value"
    )


@record
class StoredResult:
    """Where the current result of a step is, for `pipeflow result` and `pipeflow.read`.

    `current` is False for a `cache: false` step, which is never up to date: its result is the
    latest one stored (`manifest.run_id` made it, at `manifest.created`). A `foreach` step's
    result is its items' (`items`, in item order, and `item_locations`); `manifest` is None."""

    step: str
    manifest: Manifest | None
    locations: Mapping[str, str]  # part -> URL or path, for people (secrets masked)
    planner: Planner
    current: bool = True
    items: tuple[Manifest, ...] = ()
    item_locations: tuple[Mapping[str, str], ...] = ()  # per item, as `locations`
    # The targets (store paths) a run would put back, deleted or changed since, each with its
    # part's name: their parts are read from the copies the store keeps, which `locations`
    # names.
    restored: tuple[tuple[str, str], ...] = ()  # (part, target)

    def load(self, part: str | None = None) -> Any:
        """The value (a `foreach` step's: the list of its items' values), or one part of it
        (of each item's)."""
        cache = self.planner.caches[self.step]
        assert cache is not None
        outputs = self.planner.pipeline.steps[self.step].outputs  # the order of its parts
        if self.manifest:
            value = cache.load(self.manifest, outputs)
        else:
            value = cache.load_all(self.items, outputs)
        if part is None or (part == SINGLE_PART and not outputs):
            return value
        return declared_part(self.planner.pipeline.steps[self.step], value, part)


def task_outcome(name: str, result: TaskResult, reason: str, elapsed: float) -> StepOutcome:
    """The outcome of step `name` whose task ended with `result`: done (for `reason`, the
    plan's), or failed (for the reason its error gives) after `elapsed` seconds."""
    if result.ok:
        return StepOutcome(
            name,
            StepState.DONE,
            reason,
            duration=result.duration,
            attempts=result.attempts,
            locations=result.locations,
        )
    return StepOutcome(
        name,
        StepState.FAILED,
        failure_reason(result.error),
        duration=elapsed,
        attempts=result.attempts,
        error=result.error,
        traceback=result.traceback,
    )


def cached_outcome(planner: Planner, step: Step, decision: Decision) -> StepOutcome:
    """The outcome of a step taken from the cache (`restored: ...` when its files were put
    back), with where its stored result is."""
    reason = decision.reason
    if decision.action is Action.RESTORE:
        reason = f"restored: {reason}"
    if step.foreach is not None:
        locations = _item_locations(planner, step.name)
    else:
        cache = planner.caches[step.name]
        manifest = planner.manifests[step.name]
        locations = cache.locations(manifest) if cache is not None else ()
    return StepOutcome(step.name, StepState.CACHED, reason, locations=locations)


def _item_locations(planner: Planner, name: str) -> tuple[str, ...]:
    """Where the stored results of a `foreach` step found cached before the run are (each
    file once), for a step whose value no step needs, which is not read back."""
    cache = planner.caches.get(name)
    found = planner.item_manifests.get(name) or []
    if cache is None:
        return ()
    return tuple(dict.fromkeys(place for item in found for place in cache.locations(item)))

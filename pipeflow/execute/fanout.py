"""`foreach`: one task per item, each item cached on its own, the step's value their list.

The engine hands a `foreach` step to a FanOut once everything it needs has finished. Each
item gets its own cache key (the step's key without the list, plus the item), so adding an
item, or re-running after one item failed, runs only the items without a stored result. The
step ends when every item has: its value is the list of item values in item order; if any
item failed, the step failed (the items that succeeded stay stored). After a failure, of
an item or of another step, the run starts nothing new (SPEC 6): the step is `halted`, its
items not yet begun never start, and it ends once those running have (without keep_going).
Two items whose
targets lead to one place fail the step before any item is handed over (`storage/clashes.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import field
from typing import Any

from pipeflow.cache.consumed import step_target
from pipeflow.cache.layout import local_root
from pipeflow.cache.versions import KEY_LENGTH, FanOutHasher, data_version, digest
from pipeflow.execute.context import RunContext
from pipeflow.execute.failures import failure_reason
from pipeflow.execute.task import Task, TaskResult
from pipeflow.model.pipeline import SINGLE_PART, Step
from pipeflow.model.refs import resolve
from pipeflow.model.run import StepOutcome, StepState
from pipeflow.plan.planner import Planner
from pipeflow.records import record
from pipeflow.storage import Manifest
from pipeflow.storage.blobs import Restoration
from pipeflow.storage.clashes import clash_message, item_clash
from pipeflow.storage.templates import TargetFields

WINDOW = 1000  # items of one `foreach` step handed to the executor at most at once


class NotAList(Exception):
    """A `foreach` value that is not a list."""


class SharedTarget(Exception):
    """Two items of a `foreach` step whose targets lead to one place (`storage/clashes.py`)."""


@record(frozen=False)
class FanOut:
    """The items of one `foreach` step in this run.

    Per item it keeps only the item and its value: keys are worked out when an item is handed
    over, what was stored before the run is kept for the items that have it, and the items'
    versions go into the step's version as soon as every item before them has ended, so the
    bookkeeping of a million items is that of the items in flight."""

    step: Step
    items: list[Any]
    key_of: Callable[[Any], str]  # an item's cache key
    values: list[Any] = field(default_factory=list)
    errors: list[tuple[int, TaskResult]] = field(default_factory=list)
    ran: int = 0
    cached: int = 0
    done: int = 0
    duration: float = 0.0  # wall time: from its first item's start to its last item's end
    began: float | None = None  # when its first item was handed over (`perf_counter`)
    attempts: int = 0
    locations: list[str] = field(default_factory=list)
    manifests: dict[int, Manifest] = field(default_factory=dict)  # what each item stored
    found: dict[int, Manifest] = field(default_factory=dict)  # stored before the run
    restorations: dict[int, Restoration] = field(default_factory=dict)  # to put back first
    version: FanOutHasher = field(default_factory=FanOutHasher)  # the items' versions, in order
    versioned: int = 0  # items whose version is in `version`
    ended: dict[int, str] = field(default_factory=dict)  # versions of items ended early
    next: int = 0  # the next item to hand to the executor
    running: int = 0  # items handed to the executor and not back yet
    feeding: bool = False  # the engine is handing items over (a sequential executor
    # finishes an item inside `submit`: it must not start handing over again from there)
    planned_cached: bool = False  # the plan took the step from the cache (an empty list too)
    halted: bool = False  # the run starts nothing new: no item after those handed over

    def __post_init__(self) -> None:
        self.values = [None] * len(self.items)

    def key(self, index: int) -> str:
        return self.key_of(self.items[index])

    def add_version(self, index: int, version: str) -> None:
        """Note an item's version; those of the items from `versioned` on that have ended
        go into the step's version, in item order."""
        self.ended[index] = version
        while self.versioned in self.ended:
            self.version.update(self.ended.pop(self.versioned))
            self.versioned += 1

    def item_manifests(self) -> list[Manifest | None]:
        return [self.manifests.get(index) for index in range(len(self.items))]


def prepare(step: Step, context: RunContext, planner: Planner) -> FanOut:
    """The fan-out of a step: its items, their keys, and which of them are stored already."""
    items = resolve(step.foreach, context.concrete_lookup)
    if isinstance(items, tuple):
        items = list(items)
    if not isinstance(items, list):
        raise NotAList(
            f"`foreach` of step `{step.name}` must be a list, got {type(items).__name__}"
        )
    if step.writes:  # one run at a time in the items' files (`write_locks.py`)
        context.files.claim_items(step, items, f"run {context.settings.run_id}")
    upstream = planner.upstream_versions(step) or {}
    fingerprint = planner.fingerprints[step.name]
    fan = FanOut(step=step, items=items, key_of=fingerprint.item_keys(upstream))
    cache = planner.caches.get(step.name)
    if cache is not None and planner.policy.use and step.result.target is not None:
        _check_targets(fan, context)
    use_cache = planner.cacheable(step) is None and step.name not in planner.forced
    if cache is not None and use_cache:
        for index, item in enumerate(items):
            manifest, assessment = planner.stored(step.name, fan.key(index), item=item)
            if manifest is not None:
                fan.found[index] = manifest
                if assessment.restoration:
                    fan.restorations[index] = assessment.restoration
    for index, item in enumerate(items):
        if index not in fan.found:
            context.files.check_reads(step, item)
    return fan


def _check_targets(fan: FanOut, context: RunContext) -> None:
    """SharedTarget when two items would store their results at one place: raised before
    any item is handed over, so nothing is written (a list known before the run was checked
    by `validate` already; this is the one that comes from a step's value)."""
    step, settings = fan.step, context.settings
    assert step.result.target is not None
    item_name = step.item_name or "item"
    fields = TargetFields(
        pipeline=context.pipeline.name,
        step=step.name,
        output=SINGLE_PART,
        run_id=settings.run_id,
        date=settings.started,
        params=settings.params,
        key="",
        ext=step.result.format or "ext",
        item_name=item_name,
    )
    parts = step.parts or (SINGLE_PART,)
    target = step_target(step, context.lookup)
    assert target is not None
    cache = context.planner.caches.get(step.name)
    local = cache is not None and local_root(cache.store.url) is not None  # folds case
    clash = item_clash(target, fields, fan.items, key_of=fan.key, parts=parts, fold_case=local)
    if clash is not None:
        raise SharedTarget(clash_message(step.name, fan.items, clash, item_name))


def feed(fan: FanOut, context: RunContext, submit: Callable[[Task], None]) -> None:
    """Hand a `foreach` step's next items to `submit`, up to WINDOW at once: what is kept per
    item in flight (tasks, futures, the cluster's bookkeeping) stays bounded however long the
    list is."""
    if fan.feeding or fan.halted:
        return
    fan.feeding = True
    try:
        while fan.next < len(fan.items) and fan.running < WINDOW and not fan.halted:
            index = fan.next
            if fan.began is None:
                fan.began = time.perf_counter()
            fan.next += 1
            fan.running += 1
            submit(task_for(fan, index, context))
    finally:
        fan.feeding = False


def task_for(fan: FanOut, index: int, context: RunContext) -> Task:
    """The task of one item: a run, or a read of its stored result. Made when it is handed
    to the executor, so a long list does not hold a task per item all at once."""
    manifest = fan.found.get(index)
    if manifest is not None:
        return context.load_item_task(fan.step, index, manifest, fan.restorations.get(index))
    return context.run_task(fan.step, fan.key(index), item=(index, fan.items[index]))


def collect(fan: FanOut, task: Task, result: TaskResult, context: RunContext) -> Task | None:
    """Take one item's result; a task to submit when a stored item must be rebuilt."""
    index = task.item
    assert index is not None
    if result.withdrawn:  # handed over, never begun: the run had stopped
        fan.running -= 1
        return None
    if task.stored is not None and not result.ok:
        # Its stored result could not be read back: run the item instead.
        fan.found.pop(index, None)
        return context.run_task(fan.step, fan.key(index), item=(index, fan.items[index]))
    fan.done += 1
    fan.running -= 1
    if fan.began is not None:  # items run side by side: not the sum of their times
        fan.duration = time.perf_counter() - fan.began
    if task.stored is None:  # the step's attempts: its function's calls, over its items
        fan.attempts += result.attempts
    fan.locations += result.locations
    if not result.ok:
        fan.errors.append((index, result))
        fan.add_version(index, "")
        return None
    fan.values[index] = result.value
    if result.manifest is not None:
        fan.manifests[index] = result.manifest
    if task.stored is not None:
        fan.cached += 1
        fan.add_version(index, data_version(task.stored))
    else:
        fan.ran += 1
        manifest = result.manifest
        fan.add_version(
            index,
            data_version(manifest)
            if manifest is not None
            else result.version or digest("unstored", task.key),
        )
    return None


def item_said(fan: FanOut, index: int) -> str:
    """How messages name an item: `item 2 of 3 ('b')`."""
    return f"item {index + 1} of {len(fan.items)} ({fan.items[index]!r})"


def finished(fan: FanOut) -> bool:
    """Every item has ended, or every item begun has, once the run stopped."""
    return fan.running == 0 and (fan.halted or fan.next == len(fan.items))


def outcome(fan: FanOut, planner: Planner) -> StepOutcome:
    """How the step ended, once every item has; notes its value's version for what follows."""
    name = fan.step.name
    count = len(fan.items)
    unstarted = count - fan.done  # after a failure: never begun
    if fan.errors:
        index, first = fan.errors[0]
        others = f" (and {len(fan.errors) - 1} more)" if len(fan.errors) > 1 else ""
        if unstarted:
            others += f" ({_items(unstarted)} not started)"
        return StepOutcome(
            name,
            StepState.FAILED,
            failure_reason(first.error),
            duration=fan.duration,
            attempts=fan.attempts,
            error=f"{item_said(fan, index)}{others}: {first.error}",
            traceback=first.traceback,
        )
    if unstarted:  # another step failed: the items that ended are stored, for a re-run
        return StepOutcome(
            name,
            StepState.NOT_RUN,
            f"{fan.done} of {_items(count)} ended ({unstarted} not started)",
            duration=fan.duration,
            attempts=fan.attempts,
        )
    planner.versions[name] = fan.version.hexdigest()[:KEY_LENGTH]
    state = StepState.CACHED if fan.ran == 0 and (count or fan.planned_cached) else StepState.DONE
    reason = f"{count} items: {fan.ran} ran, {fan.cached} from the cache"
    return StepOutcome(
        name,
        state,
        reason,
        duration=fan.duration,
        attempts=fan.attempts,
        locations=tuple(dict.fromkeys(fan.locations)),  # items in one journal: said once
    )


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"

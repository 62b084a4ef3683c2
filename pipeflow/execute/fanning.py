"""The engine's `foreach` steps in flight: their items handed over as the window allows
(`fanout.feed`), taken back as they end, and each step ended once all its items have."""

from __future__ import annotations

from collections.abc import Callable

from pipeflow.execute import fanout
from pipeflow.execute.context import RunContext
from pipeflow.execute.task import Task, TaskResult, holds_run, withdrawn
from pipeflow.model.run import StepOutcome
from pipeflow.plan.planner import Planner
from pipeflow.plan.reasons import why_items_run

Submit = Callable[[str, Task], None]  # hands an item's task of a step over
Refuse = Callable[[str, Task, str], None]  # `--frozen`: an item that would run, and why
End = Callable[[str, fanout.FanOut, StepOutcome], None]  # a step whose items have all ended
Failed = Callable[[], None]  # an item failed: the run starts nothing new (unless keep_going)


class FanOuts:
    """The `foreach` steps of one run whose items are running."""

    def __init__(
        self,
        context: RunContext,
        planner: Planner,
        submit: Submit,
        refuse: Refuse,
        end: End,
        failed: Failed,
    ) -> None:
        self._context = context
        self._planner = planner
        self._submit = submit
        self._refuse = refuse
        self._end = end
        self._failed = failed
        self._fans: dict[str, fanout.FanOut] = {}

    def start(self, name: str, fan: fanout.FanOut) -> None:
        """Hand the first items over; an empty list, or items that all ended at once, end
        the step now."""
        self._fans[name] = fan
        self._feed(name)
        self._end_if_done(name)

    def collect(self, name: str, task: Task, result: TaskResult) -> None:
        """Take one item's result: its stored result rebuilt if it could not be read, the
        next items handed over, the step ended after its last."""
        fan = self._fans[name]
        again = fanout.collect(fan, task, result, self._context)
        if again is not None and self._context.settings.frozen:
            self._refuse(name, again, f"its stored result could not be read ({result.error})")
        elif again is not None:
            self._submit(name, again)
        else:
            if holds_run(task, result):
                self._failed()  # may halt this step, and end it
            self._feed(name)
            self._end_if_done(name)

    def halt(self) -> None:
        """The run starts nothing new: no step hands over another item."""
        for fan in self._fans.values():
            fan.halted = True

    def withdrawn(self, name: str, task: Task) -> None:
        """An item's task that was never handed over: the run had stopped."""
        self.collect(name, task, withdrawn(task))

    def said(self, task: Task) -> str:
        """How messages name the item of `task`: `item 2 of 3 ('b')`."""
        assert task.item is not None
        return fanout.item_said(self._fans[task.step], task.item)

    def why_runs(self, task: Task) -> str:
        """Why the item of `task` runs: it has no stored result for its key (and what changed
        since the step's closest stored result, when that says more than the item)."""
        assert task.item is not None
        fan = self._fans[task.step]
        step, planner = fan.step, self._planner
        upstream = planner.upstream_versions(step) or {}
        fingerprint = planner.fingerprints[step.name]
        cache = planner.caches.get(step.name)
        why = why_items_run(cache, step, fingerprint, upstream, fan.items[task.item])
        return "it has no stored result" + (f" ({why})" if why else "")

    def calls(self, name: str) -> int | None:
        """The calls of its function a `foreach` step's items that ended made (None for a
        step that is not one)."""
        fan = self._fans.get(name)
        return fan.attempts if fan is not None else None

    def _feed(self, name: str) -> None:
        fan = self._fans.get(name)
        if fan is not None:
            fanout.feed(fan, self._context, lambda task: self._submit(name, task))

    def _end_if_done(self, name: str) -> None:
        fan = self._fans.get(name)
        if fan is None or not fanout.finished(fan):
            return
        del self._fans[name]
        self._end(name, fan, fanout.outcome(fan, self._planner))

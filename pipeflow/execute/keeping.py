"""Which values a run keeps in memory, and for how long.

A stored value is dropped as soon as no step still to finish takes it (`Run.output()` reads
it back from the store, equal to what was made: storage/fidelity.py), so a pipeline of large
values holds only what is still needed; unstored values and `foreach` lists (stored item by
item) stay. Before the executor closes, values that stayed on its workers (`Remote`) are
dropped when they were persisted (read from the store when asked) and fetched otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pipeflow.execute.context import RunContext
from pipeflow.execute.remotes import Remote
from pipeflow.execute.step_files import ReferenceFailure
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.run import StepOutcome
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import Planner
from pipeflow.storage import Manifest


class Keeper:
    """Tracks what this run stored, and drops or fetches the run's values accordingly."""

    def __init__(
        self,
        pipeline: Pipeline,
        graph: StepGraph,
        planner: Planner,
        context: RunContext,
        *,
        warn: Callable[[str, str], None],
    ) -> None:
        self.pipeline = pipeline
        self.graph = graph
        self.planner = planner
        self.context = context
        self._warn = warn
        self.stored: set[str] = set()  # steps whose value this run has in the store
        self.item_manifests: dict[str, list[Manifest | None]] = {}  # see `settle`
        self._takers: dict[str, int] = {}  # per step, the steps taking its value not finished

    def release(self, finished: str, outcomes: Mapping[str, StepOutcome]) -> None:
        """Drop the stored values that no step still to finish takes, now that `finished`
        has (`outcomes`: the steps finished so far, `finished` among them)."""
        steps = self.pipeline.steps
        for name in steps[finished].value_upstream():
            left = self._takers.get(name)
            if left is None:  # counted when the first step that takes it finishes
                left = sum(
                    consumer not in outcomes
                    for consumer in self.graph.downstream[name]
                    if name in steps[consumer].value_upstream()
                )
            else:
                left -= 1
            self._takers[name] = left
            if left or name not in self.stored or steps[name].foreach is not None:
                continue
            if self.planner.manifests.get(name) is not None:
                self.context.values.pop(name, None)

    def settle(self, *, fetch: bool) -> None:
        """Before the executor closes: values that stayed on its workers are read from the
        store when asked, if they were persisted, and are fetched now if not (unless the
        run was interrupted)."""
        if self.context.fetch is None:
            return
        values = self.context.values
        for name, value in list(values.items()):
            if isinstance(value, Remote):
                stored = name in self.stored
            elif isinstance(value, list) and any(isinstance(item, Remote) for item in value):
                manifests = self.item_manifests.get(name, [])
                stored = len(manifests) == len(value) and None not in manifests
                if stored:
                    self.planner.item_manifests[name] = [m for m in manifests if m is not None]
            else:
                continue
            if stored or not fetch:
                del values[name]
                continue
            try:
                values[name] = self.context.concrete(value)
            except ReferenceFailure as error:
                del values[name]
                self._warn(name, f"{error}; it is not available after the run")

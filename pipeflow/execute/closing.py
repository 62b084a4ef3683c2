"""A run's end on the store's side: each store's manifest index published, and this process's
journals of the run closed (`storage/journal.py`). A step whose held record could not be
written then has no stored result after all: it failed, and says why."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace

from pipeflow.model.run import StepOutcome, StepState
from pipeflow.plan.planner import Planner
from pipeflow.storage.journal import close_run


def close_stores(
    planner: Planner, run_id: str, outcomes: MutableMapping[str, StepOutcome]
) -> list[StepOutcome]:
    """Publish the run's manifest indexes and close its journals; the outcomes that changed
    to failed (updated in `outcomes`), for the run to report again."""
    for cache in {id(c): c for c in planner.caches.values() if c is not None}.values():
        cache.publish_index()
    changed = []
    for step, error in close_run(run_id):
        outcome = outcomes.get(step)
        if outcome is not None and outcome.state is StepState.DONE:
            outcomes[step] = replace(
                outcome, state=StepState.FAILED, reason="not stored", error=error
            )
            changed.append(outcomes[step])
    return changed

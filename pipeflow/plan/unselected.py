"""How the planner decides a step outside the selection (`--only/--from/--until/--tag`):
skipped when its `when` is known false, cached when a stored result fits and its files are
known before the run, else skipped; one a selected step needs is reported as missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pipeflow.model.run import Action, Decision
from pipeflow.plan.fan_out import decide_fan_out

if TYPE_CHECKING:
    from pipeflow.plan.planner import Planner


def decide_unselected(
    planner: Planner,
    name: str,
    upstream: Mapping[str, str] | None,
    needed: set[str],
) -> Decision:
    """A step outside `--only/--from/--until/--tag`: cached when a stored result fits (its
    files put back only when a selected step needs them), else skipped; a step a selected one
    needs and that has no stored result is noted in `planner.missing`."""
    step = planner.pipeline.steps[name]
    if step.when is not None and planner.when_known(step) is False:  # as a whole run skips it
        return Decision(name, Action.SKIPPED, "`when` is false")
    if upstream is not None and planner.cacheable(step) is None and files_known(planner, name):
        if step.foreach is not None:
            fanned = decide_fan_out(planner, name, upstream)
            if fanned.action is Action.RESTORE:  # not selected: nothing is put back
                planner.timing.restored.pop(name, None)
            found = fanned if fanned.action is Action.CACHED else None
        else:
            found = planner.find(name, upstream)
        if found is not None and found.action is Action.RESTORE and name not in needed:
            # Its files are put back only for a step that is selected and needs them.
            planner.restorations.pop(name, None)
            planner.timing.restored.pop(name, None)
            planner.timing.republished.discard(name)
            stored_by = f"stored by run {planner.manifests[name].run_id}"
            return Decision(name, Action.CACHED, f"{stored_by} (not restored)", found.key)
        if found is not None:
            return found
    if name in needed:
        # The step that takes its value: selected, or needed in turn (said so itself).
        user = next(
            s for s in planner.graph.downstream[name] if s in planner.selected or s in needed
        )
        planner.missing.append((name, user))
    return Decision(name, Action.SKIPPED, "not selected")


def files_known(planner: Planner, name: str) -> bool:
    """Whether the files of `name`, a step outside the selection, are fingerprinted as
    the steps before it will leave them: not when one of them runs (or is restored in a way
    that cannot be foreseen), as a value it takes would not be known (`timing.py`)."""
    return (
        planner.timing.waiting(name, None, planner.decisions) is None
        and planner.timing.predict(name, planner.decisions, planner.fingerprints) is None
    )

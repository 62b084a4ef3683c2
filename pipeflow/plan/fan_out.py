"""How the planner decides a `foreach` step before the run: cached when every item has a
stored result for its key, restored when some need their files put back, else it runs (the
engine then decides item by item), with the reason its first item without a result gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pipeflow.cache.versions import data_version as stored_version
from pipeflow.cache.versions import fan_out_version
from pipeflow.cache.workspace import Unpredictable
from pipeflow.model.run import Action, Decision
from pipeflow.plan.reasons import why_items_run

if TYPE_CHECKING:
    from pipeflow.plan.planner import Planner


def decide_fan_out(planner: Planner, name: str, upstream: Mapping[str, str]) -> Decision:
    """A `foreach` step is cached when every item is; the engine decides item by item."""
    cache = planner.caches.get(name)
    items = planner.items_of(name)
    if cache is None or not isinstance(items, list):
        return Decision(name, Action.RUN, "runs once per item; each item is cached", "")
    key_of = planner.fingerprints[name].item_keys(upstream)
    try:
        stored = [planner.stored(name, key_of(item), item=item) for item in items]
    except Unpredictable:  # an item names files a restore before it puts back
        return Decision(name, Action.RUN, planner.timing.unpredictable(name, planner.decisions), "")
    missing = [item for item, (found, _) in zip(items, stored, strict=True) if found is None]
    if missing:
        step = planner.pipeline.steps[name]
        why = why_items_run(cache, step, planner.fingerprints[name], upstream, missing[0])
        return Decision(
            name,
            Action.RUN,
            f"{len(missing)} of {len(items)} items have no stored result"
            + (f" ({why})" if why is not None else ""),
            "",
        )
    found = [m for m, _ in stored if m is not None]
    planner.item_manifests[name] = found
    planner.versions[name] = fan_out_version([stored_version(m) for m in found])
    restoring = [assessment.reason for _, assessment in stored if assessment.restoration]
    if restoring:
        planner.timing.restored[name] = tuple(
            override
            for manifest, assessment in stored
            if manifest is not None
            for override in assessment.overrides(manifest.files)
        )
        return Decision(
            name,
            Action.RESTORE,
            f"{len(restoring)} of {len(items)} items to restore: {restoring[0]}",
            "",
        )
    return Decision(name, Action.CACHED, f"all {len(items)} items are stored", "")

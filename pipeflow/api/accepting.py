"""`Pipeline.accept`: today's keys of a step (or of each of its items) put on the stored results
that a change of its code alone separates from them (`cache/accepting.py` picks those)."""

from __future__ import annotations

from typing import Any

from pipeflow.cache.accepting import Acceptance, acceptable, acceptable_items
from pipeflow.errors import NoCurrentResult, UsageError
from pipeflow.plan.planner import Planner
from pipeflow.plan.reasons import why_not_stored
from pipeflow.storage import Manifest


def accepted(planner: Planner, step: str) -> Acceptance:
    """Re-stamp `step`'s results with the keys `planner` computed for it; nothing stamped, and
    UsageError (exit 2) when it can have nothing to accept (it stores nothing, or has `cache:
    false`), NoCurrentResult (exit 3) when what it takes from other steps is not up to date
    or no result of it (none of its items) can be taken: a run is what makes one."""
    cache = planner.caches[step]
    definition = planner.pipeline.steps[step]
    if cache is None:
        why = why_not_stored(planner.pipeline, definition)
        raise UsageError(f"step `{step}` stores no result ({why}): nothing to accept")
    if not definition.cache:  # never up to date: no stamp would make it so
        raise UsageError(
            f"step `{step}` has `cache: false`: it runs every time, whatever its stored "
            "results, so there is nothing to accept"
        )
    upstream = planner.upstream_versions(definition)
    if upstream is None:
        pending = [name for name in definition.value_upstream() if name not in planner.versions]
        _refuse_unknowable(planner, step, pending)
        raise NoCurrentResult(
            f"cannot accept `{step}`: the results it takes from "
            + ", ".join(f"`{name}`" for name in pending)
            + " are not up to date; run or accept those first"
        )
    fingerprint = planner.fingerprints[step]
    if definition.foreach is None:
        components = fingerprint.components(upstream)
        taken = acceptable(cache, step, components, fingerprint.params)
        key = fingerprint.key(upstream)
        if taken.key == key:  # already today's: nothing to write
            return Acceptance((taken,), current=1)
        stamped = cache.restamp(taken, key, components)
        cache.publish_index()
        return Acceptance((stamped,))
    items = planner.items_of(step)
    if not isinstance(items, list):
        raise NoCurrentResult(
            f"cannot accept `{step}`: its items (`foreach`) are not known before it runs "
            "(the value they come from is too large to read, or not a list); run it"
        )
    key_of = fingerprint.item_keys(upstream)
    wanted = [(key_of(item), fingerprint.item_components(upstream, item)) for item in items]
    found = acceptable_items(cache, step, [components for _, components in wanted])
    done: dict[str, Manifest] = {}  # by key: an item twice in the list is stamped once
    unmatched: list[Any] = []
    already: set[str] = set()  # keys whose result already counted for them
    for item, manifest, (key, components) in zip(items, found, wanted, strict=True):
        if manifest is None:
            unmatched.append(item)
        elif key not in done:
            current = manifest.key == key  # already counted for today's key
            if current:
                already.add(key)
            done[key] = manifest if current else cache.restamp(manifest, key, components)
    cache.publish_index()
    return Acceptance(tuple(done.values()), tuple(unmatched), len(already))


def _refuse_unknowable(planner: Planner, step: str, pending: list[str]) -> None:
    """NoCurrentResult when some of `pending`, the steps `step` takes values from, give their
    value only by running (`result: false`, `cache: false`, `pipeflow.read`): no result of
    theirs can be run or accepted first, and `accept` runs no step."""
    running: dict[str, str] = {}
    for name in pending:
        why = planner.cacheable(planner.pipeline.steps[name])
        if why is not None:
            running[name] = why
    if not running:
        return
    names = ", ".join(f"`{name}`" for name in running)
    reasons = "; ".join(f"`{name}`: {why}" for name, why in running.items())
    raise NoCurrentResult(
        f"cannot accept `{step}`: its key takes the value of {names}, known only by running "
        f"it ({reasons}), and `accept` runs no step; run the pipeline (`{step}` runs again and "
        f"its result is stored for today's key), or make {names} a step whose result is "
        "stored and cached"
    )

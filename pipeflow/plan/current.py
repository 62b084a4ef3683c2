"""The keys a planned pipeline would look up now, per store: what `pipeflow gc` keeps as current."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeflow.cache.layout import stored_name
from pipeflow.plan.planner import Planner
from pipeflow.storage import ResultStore


@dataclass
class StoreKeys:
    """One store's current keys: pipeline -> stored step name -> keys, and the steps whose
    keys cannot be known before they run (a `foreach` over the value of a step that would
    run)."""

    store: ResultStore
    current: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    keep_all: set[tuple[str, str]] = field(default_factory=set)


def current_keys(planner: Planner) -> list[StoreKeys]:
    """Per store the planner's steps use, the keys `status` computed for them. A step whose
    key is not known (a step it takes values from would run first) has none: only its latest
    and recent results keep it."""
    stores: dict[str, StoreKeys] = {}
    for name, cache in planner.caches.items():
        if cache is None:
            continue
        found = stores.setdefault(cache.store.url, StoreKeys(cache.store))
        steps = found.current.setdefault(cache.pipeline, {})
        keys = steps.setdefault(stored_name(name), set())
        step = planner.pipeline.steps[name]
        if step.foreach is None:
            if planner.keys.get(name):
                keys.add(planner.keys[name])
            continue
        upstream = planner.upstream_versions(step)
        items = planner.items_of(name)  # None: made of a value only known during a run
        if not isinstance(items, list):
            found.keep_all.add((cache.pipeline, stored_name(name)))
        elif upstream is not None:
            fingerprint = planner.fingerprints[name]
            keys.update(fingerprint.item_key(upstream, item) for item in items)
    return list(stores.values())

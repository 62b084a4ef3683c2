"""The keys a planned pipeline would look up now, per store: what `pipeflow gc` keeps as current."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeflow.cache.consumed import step_target
from pipeflow.cache.layout import stored_name
from pipeflow.cache.results import ResultCache
from pipeflow.cache.versions import canonical_json, digest
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref, references
from pipeflow.plan.planner import Planner
from pipeflow.plan.when import stored_items
from pipeflow.storage import Manifest, ResultStore
from pipeflow.storage.paths import relative_path
from pipeflow.storage.templates import TemplateError, target_pattern, template_params, with_params


@dataclass
class StoreKeys:
    """One store's current keys: pipeline -> stored step name -> keys, and the steps whose
    keys cannot be known before they run (a `foreach` over the value of a step that would
    run), and per `foreach` step over steps' values the digests of the items its upstream's
    latest results hold (its latest list, each item's newest result kept)."""

    store: ResultStore
    current: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    keep_all: set[tuple[str, str]] = field(default_factory=set)
    latest_items: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # folder -> the names (globs) its steps' target templates give the files in it
    targets: dict[str, set[str]] = field(default_factory=dict)


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
        place = target_place(step_target(step, planner.lookup), planner.lookup)
        if place is not None:
            found.targets.setdefault(place[0], set()).add(place[1])
        if step.foreach is None:
            if planner.keys.get(name):
                keys.add(planner.keys[name])
            continue
        latest = _latest_items(planner, step)
        if latest is not None:
            where = (cache.pipeline, stored_name(name))
            found.latest_items.setdefault(where, set()).update(latest)
        upstream = planner.upstream_versions(step)
        items = planner.items_of(name)  # None: made of a value only known during a run
        if not isinstance(items, list):
            found.keep_all.add((cache.pipeline, stored_name(name)))
        elif upstream is not None:
            fingerprint = planner.fingerprints[name]
            keys.update(fingerprint.item_key(upstream, item) for item in items)
    return list(stores.values())


def _latest_items(planner: Planner, step: Step) -> set[str] | None:
    """The digests of the items a `foreach` over steps' values would have with each of those
    steps' latest result this config stored (None when one is not known: none, too large,
    or a `foreach` step's value, which has no single latest). Latest per instance: `one/make`
    and `two/make` store under one name, and the config's runs alone are gc's to judge."""
    if not any(ref.scope == "steps" for ref in references(step.foreach)):
        return None  # made of params and literals: its current items are its items
    owner = planner.pipeline.name

    def latest(name: str) -> tuple[Manifest, ResultCache] | None:
        cache = planner.caches.get(name)
        if cache is None:
            return None
        own = (m for m in cache.versions(name) if m.step == name and m.pipeline == owner)
        manifest = next(own, None)  # versions come newest first
        return (manifest, cache) if manifest is not None else None

    items: Any = stored_items(
        step.foreach, planner.lookup, planner.pipeline.steps, latest, lambda _name: None
    )
    if not isinstance(items, list):
        return None
    return {digest(canonical_json(item)) for item in items}


def target_place(template: str | None, lookup: Callable[[Ref], Any]) -> tuple[str, str] | None:
    """The folder a target template writes in and the names (a glob) it gives files there,
    its `{params.*}` filled in with the config's values: where a run killed as it first
    wrote the target left its temporary, before any manifest named it. None without a
    target, or when the folder itself is made of fields (`{item}/x.npy`): gc lists no folder
    it cannot name."""
    if template is None:
        return None
    params: dict[str, Any] = {}
    for dotted in template_params(template):
        *above, name = dotted.split(".")
        try:
            value = lookup(Ref("params", tuple(dotted.split("."))))
        except Exception:  # a param known only in a run: left as a field
            continue
        level = params
        for key in above:
            level = level.setdefault(key, {})
        level[name] = value
    try:
        pattern = target_pattern(with_params(template, params))
    except TemplateError:
        pattern = target_pattern(template)
    if pattern is None:
        return None
    folder, name = posixpath.split(pattern)
    if "*" in folder:
        return None
    try:
        return relative_path(folder, folder=True), name
    except ValueError:
        return None

"""Why a step runs, said by what changed since its stored results (`cache/explain.py` names
the change): "param test_data_ratio changed (0.2 -> 0.3)", or, for a `foreach` step, what
changed for its first item without a result."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from pipeflow.cache.explain import NOTHING_CHANGED, explain, input_named, param_changes
from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.results import ResultCache
from pipeflow.cache.settings_reasons import result_settings
from pipeflow.model.locations import shown_in
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import references_in
from pipeflow.model.secrets import MASK
from pipeflow.storage import Manifest


def why_runs(
    cache: ResultCache | None,
    step: Step,
    fingerprint: Fingerprint,
    upstream: Mapping[str, str],
    *,
    closest: bool = True,
    project_dir: str | None = None,
) -> str:
    """Why `step`, with no usable stored result for its key, runs: compared with its closest
    stored result, the newest of those with the same values (params, literals) when there is
    one, and of those the ones that differ from today in the fewest other parts (upstream
    results, files, settings, code). After runs with two values of a param, the newest is as
    often as not the other value's; and the instances of one sub-pipeline store under its step
    names, so a step taking only upstream values has "the same values" in both.

    Finding that one reads every stored version of the step: `closest=False` (a step the run
    is starting, decided again after its upstream ran) compares with the newest alone, so a
    run after many param values does not read them all for each step it runs."""
    if cache is None:
        return "no stored result yet"
    ignored = cache.ignored(step.name)
    if ignored is not None:
        return f"its stored result was ignored: {ignored}"
    before = cache.latest(step.name)
    if before is None:
        return "no stored result yet"
    now = fingerprint.components(upstream)
    if closest:
        before = closest_stored(cache, step.name, before, lambda m: _distance(m, now, step.name))
    hidden = _hidden(step, fingerprint.params)
    settings = result_settings(step)
    missing, named = _missing_in(project_dir), _named_in(project_dir)
    shown = functools.partial(shown_in, project_dir=project_dir)
    return explain(now, before, fingerprint.params, missing, hidden, settings, named, shown)


def _hidden(step: Step, params: Mapping[str, Any]) -> dict[str, str] | None:
    """For each input of `step` that takes a value no message shows (`${env.X}`, or a param
    shown as `***`: from the environment, or a secret), what it takes: a reason names it."""
    found: dict[str, str] = {}
    for name, value in step.inputs.items():
        taken = []
        for ref in references_in(value):
            dotted = ".".join(ref.path)
            if ref.scope == "env":
                taken.append(f"${{env.{dotted}}}")
            elif ref.scope == "params" and params.get(dotted) == MASK:
                taken.append(f"param {dotted}")
        if taken:
            found[f"inputs.{name}"] = "; ".join(dict.fromkeys(taken))
    return found or None


def closest_stored(
    cache: ResultCache,
    name: str,
    newest: Manifest,
    distance: Callable[[Manifest], tuple[int, int, int]],
) -> Manifest:
    """The stored result of step `name` a reason compares today's with: its `newest` when that is
    as close to today's as can be (`distance` all zero), else the closest of its stored
    versions (the newest of equals: `min` keeps the first, and versions come newest first).
    Every reason chooses by this rule (`_distance`, what is known of today's key parts)."""
    if distance(newest) == (0, 0, 0):
        return newest
    return min(cache.versions(name), key=distance)


def _missing_in(project_dir: str | None) -> Callable[[str], bool]:
    """Whether a file a manifest names (a path in the project, as written) is gone; a URL, a
    pattern or a name with a secret masked in it is not looked for."""

    def missing(name: str) -> bool:
        if project_dir is None or "://" in name or MASK in name or any(c in name for c in "*?["):
            return False
        return not os.path.lexists(os.path.join(project_dir, name))

    return missing


def _named_in(project_dir: str | None) -> Callable[[str], str]:
    """What a path a manifest names is called in a reason: a folder of the project is an
    "input folder", a file of the project whose own name holds a wildcard (`data/report[1].txt`)
    an "input file", and any other as its name tells (`input_named`: a glob's "input files
    matching ...")."""

    def named(name: str) -> str:
        if project_dir is None or "://" in name or MASK in name:
            return input_named(name)
        path = os.path.join(project_dir, name)
        shown = shown_in(name, project_dir)  # a sub-pipeline's path is absolute
        if os.path.isdir(path):
            return f"input folder {shown}"
        return f"input file {shown}" if os.path.lexists(path) else input_named(shown)

    return named


def why_not_stored(pipeline: Pipeline, step: Step) -> str:
    """Why `step` has no stored results: its pipeline's, its sub-pipeline's or its own
    setting."""
    if not pipeline.results.persist:
        return "nothing is stored (`results: {persist: false}`)"
    if step.origin is not None and not step.origin.persist:
        return (
            f"nothing sub-pipeline `{step.origin.pipeline}` runs is stored "
            "(`results: {persist: false}` in its config)"
        )
    return "its result is never stored (`result: false`)"


def why_waits(cache: ResultCache | None, step: Step, fingerprint: Fingerprint) -> str | None:
    """A step that runs after a step it takes values from runs, and that would run whatever
    that step's result: the params it consumes changed since its closest stored result (as
    `why_runs` chooses it, from what is known before the upstream step runs) ("param seed
    changed (42 -> 2024)"); None when they did not (or it has none, or no result yet)."""
    if not fingerprint.params or cache is None or cache.ignored(step.name) is not None:
        return None
    before = cache.latest(step.name)
    if before is None:
        return None
    if not param_changes(fingerprint.params, before):
        return None  # nothing to look further for: its newest names no param change
    # Today's upstream results are not known yet, nor its files (a step before it may write
    # them): the stored result is chosen by its values and settings.
    known = {"values": dict(fingerprint.values), "settings": fingerprint.settings}
    before = closest_stored(cache, step.name, before, lambda m: _distance(m, known, step.name))
    changes = param_changes(fingerprint.params, before)
    return "; ".join(changes) if changes else None


def _distance(then: Manifest, now: Mapping[str, Any], name: str) -> tuple[int, int, int]:
    """How far a stored result's key parts are from today's: whether its values differ, then
    how many other parts of those `now` holds do (the code, being what is edited, does not
    count), then whether
    another instance of its sub-pipeline stored it. `min` keeps the first of equals, and
    versions come newest first."""
    parts = then.components
    others = sum(
        parts.get(part) != now[part] for part in ("upstream", "files", "settings") if part in now
    )
    return (parts.get("values") != now["values"], others, then.step != name)


def why_items_run(
    cache: ResultCache | None,
    step: Step,
    fingerprint: Fingerprint,
    upstream: Mapping[str, str],
    item: Any,
) -> str | None:
    """What changed for an item of a `foreach` step without a result since the step's closest
    stored result (as `why_runs`, on what all items share: the newest when it has today's
    values, else one with them, else of those as far from today's, its own instance's), if
    anything but the item. When that is another item's, what is the item's own (the files it
    names, its `reads:`/`writes:`) is left out on both sides: another item's files are not
    files this one no longer reads."""
    name = step.name
    before = cache.latest(name) if cache is not None else None
    if cache is None or before is None:
        return None
    now = fingerprint.item_components(upstream, item)
    static = set(fingerprint.files)
    hidden = _hidden(step, fingerprint.params)  # inputs whose values no reason shows
    settings = result_settings(step)
    if set(now.get("files", {})) - static:  # files of the item's own: its own result says
        own = _same_item(cache, name, now.get("item"))
        if own is not None:
            why = explain(now, own, fingerprint.params, hidden=hidden, settings=settings)
            if why != NOTHING_CHANGED:
                return why
    wide = _step_wide(now, static)
    before = closest_stored(cache, name, before, lambda m: _item_distance(m, wide, static, name))
    if before.components.get("item") != now.get("item"):
        now = wide
        before = replace(before, components=_step_wide(before.components, static))
    why = explain(now, before, fingerprint.params, hidden=hidden, settings=settings)
    return None if why == NOTHING_CHANGED else why


def _same_item(cache: ResultCache, name: str, item: Any) -> Manifest | None:
    """The newest stored result of the item `item` (its key component) of step `name`."""
    return next((m for m in cache.versions(name) if m.components.get("item") == item), None)


def _item_distance(
    then: Manifest, wide: Mapping[str, Any], static: set[str], name: str
) -> tuple[int, int, int]:
    """`_distance` of an item's stored result from today's step-wide components `wide`."""
    shared = _step_wide(then.components, static)
    return _distance(replace(then, components=shared), wide, name)


def _step_wide(components: Mapping[str, Any], static: set[str]) -> dict[str, Any]:
    """A `foreach` result's key components without what is its item's own."""
    found = dict(components)
    found["files"] = {k: v for k, v in components.get("files", {}).items() if k in static}
    found["values"] = {
        k: v for k, v in components.get("values", {}).items() if not k.endswith(".item")
    }
    return found

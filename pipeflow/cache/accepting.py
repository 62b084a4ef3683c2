"""Which stored results `pipeflow accept STEP` re-stamps with the step's current key.

`accept` declares a change of a step's *code* harmless, nothing else. So the result it takes
is one that this change alone separates from today's key: computed from the same params,
literals, input files, upstream results and result settings, differing only in the code part
(`keys.py`). The newest such intact one wins. The step's newest result, whatever it came
from, would not do: after runs with two values of a param, or from two instances of one
sub-pipeline (both store under the sub-pipeline's own step names), it is as often as not
another input's, and stamping it would make today's key serve a value computed from others.
A `foreach` step's items are taken the same way, each by its own key parts: those with such
a result are stamped, the others run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow.cache.explain import explain
from pipeflow.cache.results import ResultCache
from pipeflow.cache.versions import canonical_json
from pipeflow.errors import NoCurrentResult
from pipeflow.records import record
from pipeflow.storage import Manifest


@record
class Acceptance:
    """What `accept` re-stamped (in the order asked, items without a result left out) and the
    `foreach` items that had no result to take (they run)."""

    stamped: tuple[Manifest, ...]
    unmatched: tuple[Any, ...] = ()
    current: int = 0  # of `stamped`, those that already counted for today's key (not written)


def acceptable(
    cache: ResultCache, step: str, components: Mapping[str, Any], params: Mapping[str, Any]
) -> Manifest:
    """The newest intact stored result of `step` whose key parts differ from `components`
    (today's) in the code alone; `params`: the params it consumes today, to name a change.

    NoCurrentResult when there is none, naming what else changed since its newest result."""
    stored = cache.versions(step)
    by_inputs = _by_inputs(stored)
    found = _taken(cache, by_inputs, components)
    if found is not None:
        return found
    newest = stored[0] if stored else None
    if newest is not None and not by_inputs.get(_apart_from_code(components)):
        # Only what is not code: the code is what `accept` is asked to overlook.
        then = {**components, "code": newest.components.get("code", {})}
        raise NoCurrentResult(
            f"cannot accept `{step}`: none of its stored results was computed from its "
            f"current params, inputs and upstream results (since its newest one: "
            f"{explain(then, newest, params)}); `accept` declares a change of its code "
            f"harmless, and nothing else, so run `{step}`"
        )
    raise NoCurrentResult(f"step `{step}` has no intact stored result to accept; run `{step}`")


def acceptable_items(
    cache: ResultCache, step: str, wanted: Sequence[Mapping[str, Any]]
) -> list[Manifest | None]:
    """Per item of a `foreach` step (its key parts today, in `wanted`), the newest intact
    stored result that differs from it in the code alone, or None; NoCurrentResult when no
    item has one."""
    by_inputs = _by_inputs(cache.versions(step))
    taken = [_taken(cache, by_inputs, components) for components in wanted]
    if wanted and all(found is None for found in taken):
        raise NoCurrentResult(
            f"cannot accept `{step}`: none of its {len(wanted)} items has a stored result "
            "computed from its current params, inputs and upstream results; `accept` "
            f"declares a change of its code harmless, and nothing else, so run `{step}`"
        )
    return taken


def _by_inputs(stored: Sequence[Manifest]) -> dict[str, list[Manifest]]:
    """Stored results (newest first) by their key parts apart from the code."""
    found: dict[str, list[Manifest]] = {}
    for manifest in stored:
        found.setdefault(_apart_from_code(manifest.components), []).append(manifest)
    return found


def _taken(
    cache: ResultCache, by_inputs: Mapping[str, list[Manifest]], components: Mapping[str, Any]
) -> Manifest | None:
    same = by_inputs.get(_apart_from_code(components), [])
    # One that already counts for today's code first (accepted before): nothing to stamp.
    today = canonical_json(dict(components))
    same = sorted(same, key=lambda manifest: canonical_json(manifest.components) != today)
    return next((manifest for manifest in same if cache.damaged_part(manifest) is None), None)


def _apart_from_code(components: Mapping[str, Any]) -> str:
    return canonical_json({name: part for name, part in components.items() if name != "code"})

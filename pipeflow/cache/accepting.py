"""Which stored result `pipeflow accept STEP` re-stamps with the step's current key.

`accept` declares a change of a step's *code* harmless, nothing else. So the result it takes
is one that this change alone separates from today's key: computed from the same params,
literals, input files, upstream results and result settings, differing only in the code part
(`keys.py`). The newest such intact one wins. The step's newest result, whatever it came
from, would not do: after runs with two values of a param, or from two instances of one
sub-pipeline (both store under the sub-pipeline's own step names), it is as often as not
another input's, and stamping it would make today's key serve a value computed from others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.cache.explain import explain
from pipeflow.cache.results import ResultCache
from pipeflow.cache.versions import canonical_json
from pipeflow.errors import PipeflowError
from pipeflow.storage import Manifest


def acceptable(
    cache: ResultCache, step: str, components: Mapping[str, Any], params: Mapping[str, Any]
) -> Manifest:
    """The newest intact stored result of `step` whose key parts differ from `components`
    (today's) in the code alone; `params`: the params it consumes today, to name a change.

    PipeflowError when there is none, naming what else changed since its newest result."""
    stored = cache.versions(step)
    wanted = _apart_from_code(components)
    same = [manifest for manifest in stored if _apart_from_code(manifest.components) == wanted]
    for manifest in same:
        if cache.damaged_part(manifest) is None:
            return manifest
    if not same:
        newest = stored[0] if stored else None
        if newest is not None:
            # Only what is not code: the code is what `accept` is asked to overlook.
            then = {**components, "code": newest.components.get("code", {})}
            raise PipeflowError(
                f"cannot accept `{step}`: none of its stored results was computed from its "
                f"current params, inputs and upstream results (since its newest one: "
                f"{explain(then, newest, params)}); `accept` declares a change of its code "
                f"harmless, and nothing else, so run `{step}`"
            )
    raise PipeflowError(f"step `{step}` has no intact stored result to accept; run `{step}`")


def _apart_from_code(components: Mapping[str, Any]) -> str:
    return canonical_json({name: part for name, part in components.items() if name != "code"})

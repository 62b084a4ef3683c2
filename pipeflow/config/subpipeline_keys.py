"""The step keys a `pipeline:` step does not use: each one written there is a problem at it.

A sub-pipeline step is replaced by the child's steps (`subpipelines.py`), which keep their own
settings; of its own keys only `pipeline`, `params`, `after`, `tags` and `description` (shown
nowhere, as a comment) mean anything. Any other would be silently ignored, so it is refused
before any step runs, with where it belongs instead. Checked on the document, not the built
`Step`: a parent's `defaults:` fill in a step's retries, timeout and cache without it saying so.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeflow.config.reader import Document
from pipeflow.errors import Problem

_PARAMS = "pass values to the sub-pipeline with `params:`"
_ITS_STEPS = "set it on the sub-pipeline's steps"
_ITS_DEFAULTS = f"{_ITS_STEPS}, or under `defaults:` in its config"

# Each key, in the order the schema lists them, with what to do instead.
UNUSED: Mapping[str, str] = {
    "inputs": _PARAMS,
    "reads": _ITS_STEPS,
    "writes": _ITS_STEPS,
    "outputs": "the sub-pipeline's top-level `outputs:` are what the step gives",
    "result": _ITS_STEPS,
    "cache": _ITS_DEFAULTS,
    "retries": _ITS_DEFAULTS,
    "retry_delay": _ITS_DEFAULTS,
    "retry_backoff": _ITS_DEFAULTS,
    "timeout": _ITS_DEFAULTS,
    "foreach": _PARAMS,
    "as": _PARAMS,
    "when": _PARAMS,
    "code_version": _ITS_STEPS,
}


def unused_keys(document: Document, name: str) -> list[Problem]:
    """A problem at each key of step `name` (a `pipeline:` step) that such a step ignores."""
    steps = document.data.get("steps") if isinstance(document.data, Mapping) else None
    raw = steps.get(name) if isinstance(steps, Mapping) else None
    if not isinstance(raw, Mapping):
        return []
    return [
        document.problem(
            ["steps", name, key],
            f"`{key}` is not used on a sub-pipeline step",
            hint=hint,
            key=True,
        )
        for key, hint in UNUSED.items()
        if key in raw
    ]

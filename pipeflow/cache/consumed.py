"""The params a step consumes, and how its manifest records them and its reasons name them.

Light on purpose: loading a config (`config/subpipelines.py`) records what a sub-pipeline's
steps consume, and `validate` must not import the cache keys' machinery to do it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeflow.model.pipeline import Step
from pipeflow.model.plain import json_value
from pipeflow.model.refs import Ref
from pipeflow.model.secrets import Secrets
from pipeflow.storage.templates import template_params


def consumed_param_refs(step: Step, targets: list[Ref] | None = None) -> list[Ref]:
    """The params a step consumes: those its inputs, `foreach` and `when` name, and those
    its result's `target` is rendered with (`{params.version}`; `targets` when the caller has
    them already), each once."""
    refs = [ref for ref in step.references() if ref.scope == "params"]
    targets = target_param_refs(step) if targets is None else targets
    return refs + [ref for ref in targets if ref not in refs] if targets else refs


def shown_params(
    step: Step, lookup: Callable[[Ref], Any], secrets: Secrets, targets: list[Ref] | None = None
) -> dict[str, Any]:
    """The params a step consumes, as its manifest records them and its reasons name them
    (from the environment: `***`) in their JSON form (`json_value`: a date as its ISO text);
    a sub-pipeline's step's own were filled in at load and kept beside it (`Origin.params`)."""
    refs = consumed_param_refs(step, targets)
    inlined = step.origin.params if step.origin is not None else None
    if not refs and not inlined:
        return {}  # most steps of a big pipeline: nothing to show
    consumed = {".".join(ref.path): lookup(ref) for ref in refs}
    params = secrets.redact(consumed) if consumed else {}
    if inlined:
        params = {**inlined, **params}
    return {name: json_value(value) for name, value in params.items()}


def target_param_refs(step: Step) -> list[Ref]:
    target = step.result.target
    if not target or "{params." not in target:
        return []
    return [Ref("params", tuple(name.split("."))) for name in sorted(template_params(target))]

"""The params a step consumes, and how its manifest records them and its reasons name them.

Light on purpose: loading a config (`config/subpipelines.py`) records what a sub-pipeline's
steps consume, and `validate` must not import the cache keys' machinery to do it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipeflow.model.pipeline import Step
from pipeflow.model.plain import json_value
from pipeflow.model.refs import Ref, references_in, resolve
from pipeflow.model.secrets import Secrets
from pipeflow.storage.templates import TemplateError, template_params, with_params


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
    if inlined and references_in(inlined):  # a `${run.*}` its parent passed: this run's value
        inlined = resolve(dict(inlined), lookup)
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


def run_values(values: Mapping[str, Any], lookup: Callable[[Ref], Any]) -> Mapping[str, Any]:
    """A sub-pipeline's params as this run gives them: a `${run.*}` its parent passed it is
    filled in by `lookup` (the sub-pipeline run alone has it filled in so too)."""
    return resolve(dict(values), lookup) if references_in(values) else values


def step_target(step: Step, lookup: Callable[[Ref], Any]) -> str | None:
    """The template a step's result is stored by. A sub-pipeline's step had its target's
    `{params.*}` filled in when it was inlined, `${run.*}` values as stand-ins (for
    `validate`): where one is, the target is the sub-pipeline's own, filled in with this
    run's values, as the sub-pipeline run alone renders it."""
    origin = step.origin
    if origin is None or origin.target is None or not references_in(origin.target_values):
        return step.result.target
    params: dict[str, Any] = {}
    for dotted, value in run_values(origin.target_values, lookup).items():
        *above, name = dotted.split(".")
        level = params
        for key in above:
            level = level.setdefault(key, {})
        level[name] = value
    own = origin.target.replace("{pipeline}", origin.pipeline).replace("{step}", origin.step)
    try:
        return with_params(own, params)
    except TemplateError:  # a value known only during the run (a pattern): as validated
        return step.result.target

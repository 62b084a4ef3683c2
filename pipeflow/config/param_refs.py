"""What a `${params.*}` reference that names no param is told, wherever it is written
(`inputs`, `when`, `foreach`, a sub-pipeline's `params:`): one wording, so that the checks
that meet one reference say the same and it is reported once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.config.param_types import describe
from pipeflow.config.suggest import did_you_mean
from pipeflow.model.refs import Ref, dotted_spelling, lookup_path
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.model.words import counted, indexes


def missing_param(
    ref: Ref, params: Mapping[str, Any], secrets: Secrets = NO_SECRETS
) -> tuple[str, str] | None:
    """(message, hint) when `ref` names no param of `params`, else None."""
    try:
        lookup_path(params, ref.path)
    except KeyError as missing:
        name = str(missing.args[0])
    else:
        return None
    written = ".".join(ref.path)
    dotted = dotted_spelling(written)
    if dotted is not None:
        return (
            f"`{ref.text}` names no param `{name}`: a reference walks lists and mappings with "
            "dots, not brackets",
            f"write `${{params.{dotted}}}`",
        )
    level = name.split(".")[:-1]
    last = name.split(".")[-1]
    try:
        siblings = lookup_path(params, tuple(level)) if level else params
    except KeyError:
        siblings = {}
    parent = ".".join(level)
    if isinstance(siblings, list | tuple):
        count = len(siblings)
        return (
            f"`{ref.text}`: param `{parent}` is a list of {counted(count, 'item')}, "
            f"so it has no `{last}`",
            f"name an item by its index: {indexes(count, lambda i: f'${{params.{parent}.{i}}}')}"
            if count
            else f"give `{parent}` items, or use `${{params.{parent}}}`",
        )
    if not isinstance(siblings, Mapping):
        return (
            f"`{ref.text}`: param `{parent}` is {describe(siblings, secrets)}, "
            f"so it has no `{last}`",
            f"use `${{params.{parent}}}`, or make `{parent}` a mapping",
        )
    return (
        f"`{ref.text}` names no param `{name}`",
        did_you_mean(last, list(siblings)) or "declare it under `params:` at the top of the config",
    )

"""Overrides given in Python (`params={"model.depth": 4}`), read as `--param` reads its keys,
and copies of params that share no mapping or list with what a caller passed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.config.param_types import python_numbers


def nested_overrides(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides given in Python, read as `--param` reads its keys: a dotted key nests
    (`{"model.depth": 4}` is `{"model": {"depth": 4}}`), and each later layer's (or key's)
    mapping merges into what came before it key by key, its other values winning. The result
    shares no mapping or list with the layers: merging never changes what a caller passed."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            names = key.split(".") if isinstance(key, str) else [key]
            path = names if all(names) else [key]  # `a..b`: an unknown param as it is
            *above, last = path
            into = merged
            for name in above:
                if not isinstance(into.get(name), dict):
                    into[name] = {}
                into = into[name]
            into[last] = _layered(into.get(last), value)
    return merged


def _layered(below: Any, value: Any) -> Any:
    """`value` over `below` (a mapping merged key by key), as a copy of both."""
    if not isinstance(value, Mapping):
        return python_numbers(copied(value))
    merged = copied(below) if isinstance(below, dict) else {}
    for key, item in value.items():
        merged[key] = _layered(merged.get(key), item)
    return merged


def copied(value: Any) -> Any:
    """`value` with each of its mappings and lists copied (what they hold is shared)."""
    if isinstance(value, Mapping):
        return {key: copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copied(item) for item in value]
    return value

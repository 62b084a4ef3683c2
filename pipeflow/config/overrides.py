"""Overrides given in Python (`params={"model.depth": 4}`), read as `--param` reads its keys,
and copies of params that share no mapping or list with what a caller passed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.config.param_types import python_numbers
from pipeflow.model.refs import list_index


def nested_overrides(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Overrides given in Python, read as `--param` reads its keys: a dotted key nests
    (`{"model.depth": 4}` is `{"model": {"depth": 4}}`), and each later layer's (or key's)
    mapping merges into what came before it key by key, its other values winning; an index
    names an item of a list given before (`{"files": [...], "files.0": "y"}`). The result
    shares no mapping or list with the layers: merging never changes what a caller passed."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            names = key.split(".") if isinstance(key, str) else [key]
            path = names if all(names) else [key]  # `a..b`: an unknown param as it is
            into: Any = merged
            for depth, name in enumerate(path[:-1]):
                below = _item(into, name)
                # A list given before, in this mapping or a layer below, takes an item by
                # its index (`files.0` after `files: [...]`), as a later `--param` does.
                index = path[depth + 1]
                if not isinstance(below, dict) and not (
                    isinstance(below, list) and list_index(str(index), len(below)) is not None
                ):
                    below = {}
                    _put(into, name, below)
                into = below
            _put(into, path[-1], _layered(_item(into, path[-1]), value))
    return merged


def _item(into: dict[Any, Any] | list[Any], name: Any) -> Any:
    """What `name` holds in a mapping, or the item of a list it is the index of."""
    if isinstance(into, list):
        return into[int(name)]  # an index of it: `nested_overrides` looked
    return into.get(name)


def _put(into: dict[Any, Any] | list[Any], name: Any, value: Any) -> None:
    if isinstance(into, list):
        into[int(name)] = value
    else:
        into[name] = value


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

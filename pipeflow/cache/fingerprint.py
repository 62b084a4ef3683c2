"""A step's fingerprint (`Fingerprint`): the half of its cache key that does not depend on
other steps, part by part, and the keys it makes with the data versions of those it takes
values from (`keys.py` computes fingerprints)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from pipeflow.cache.versions import canonical_json, digest
from pipeflow.records import record

# One item of a `foreach` step -> (the files it adds to the key, the values it adds).
ItemPart = Callable[[Any], tuple[dict[str, str], dict[str, str]]]

_ITEM_MARK = "\0item\0"  # stands for an item's digest (hex digits) while keys are written


@record
class Fingerprint:
    """The half of a step's key that does not depend on other steps, part by part."""

    code: Mapping[str, str]
    values: Mapping[str, str]  # "inputs.x", "foreach", ... -> hash of the resolved value
    params: Mapping[str, Any]  # consumed param -> value as shown (secrets masked)
    files: Mapping[str, str]  # path as written (secrets masked) -> content fingerprint
    settings: str
    # For a step inlined from a sub-pipeline: upstream step names as the sub-pipeline calls
    # them, so its key is the same whether the sub-pipeline runs alone or inside another.
    upstream_names: Mapping[str, str] = field(default_factory=dict)
    # For a `foreach` step: what one item adds (its files, and its reads and writes).
    item_part: ItemPart | None = field(default=None, compare=False, repr=False)
    # For a `foreach` step: the upstream steps it takes only its list of items from. An item
    # that is plain JSON data is all of that list its result depends on: their data versions
    # leave its key, so a list that grows by one runs one item (`item_components`).
    items_from: frozenset[str] = frozenset()

    def key(self, upstream: Mapping[str, str]) -> str:
        """The cache key, given the data version of each step this one takes values from."""
        return digest(canonical_json(self.components(upstream)))

    def key_and_components(self, upstream: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """`key` and the `components` it hashes, made once."""
        components = self.components(upstream)
        return digest(canonical_json(components)), components

    def item_key(self, upstream: Mapping[str, str], item: Any) -> str:
        """The key of one item of a `foreach` step: the other items do not count."""
        return digest(canonical_json(self.item_components(upstream, item)))

    def item_keys(self, upstream: Mapping[str, str]) -> Callable[[Any], str]:
        """`item_key` for many items of one step: what they share is written once, and each
        key is the same as `item_key` gives."""
        if self.item_part is not None:
            return functools.partial(self.item_key, upstream)
        if self.items_from:
            fast = self._item_keys(upstream)
            slow = functools.partial(self.item_key, upstream)
            return lambda item: fast(item) if plain_data(item) else slow(item)
        return self._item_keys(upstream)

    def _item_keys(self, upstream: Mapping[str, str]) -> Callable[[Any], str]:
        """`item_keys` for items that are plain data (or any item, without `items_from`)."""
        components = self.item_components(upstream, None)
        components["item"] = _ITEM_MARK
        text = canonical_json(components)
        mark = canonical_json(_ITEM_MARK)
        if text.count(mark) != 1:
            return functools.partial(self.item_key, upstream)
        before, after = text.split(mark)

        def item_key(item: Any) -> str:
            return digest(f'{before}"{digest(canonical_json(item))}"{after}')

        return item_key

    def item_components(self, upstream: Mapping[str, str], item: Any) -> dict[str, Any]:
        if self.items_from and plain_data(item):
            upstream = {k: v for k, v in upstream.items() if k not in self.items_from}
        components = self.components(upstream)
        components["values"] = {k: v for k, v in self.values.items() if k != "foreach"}
        components["item"] = digest(canonical_json(item))
        if self.item_part is not None:
            files, values = self.item_part(item)
            if files:
                components["files"] = {**components["files"], **files}
            components["values"].update(values)
        return components

    def components(self, upstream: Mapping[str, str]) -> dict[str, Any]:
        """Everything the key is made of, JSON-able; stored in the manifest."""
        return {
            "code": dict(self.code),
            "values": dict(self.values),
            "files": dict(self.files),
            "settings": self.settings,
            "upstream": dict(
                sorted((self.upstream_names.get(k, k), v) for k, v in upstream.items())
            ),
        }


def plain_data(value: Any, depth: int = 0) -> bool:
    """Whether a value is plain JSON data (str, int, float, bool, None, and lists and dicts
    with string keys of them), which its canonical JSON names exactly: not a tuple (written as
    a list), a set, a date, or an object written by its `repr` (a DataFrame's is cut short)."""
    if value is None or type(value) in (str, int, float, bool):
        return True
    if depth > 100:
        return False
    if type(value) is list:
        return all(plain_data(part, depth + 1) for part in value)
    if type(value) is dict:
        return all(type(key) is str and plain_data(part, depth + 1) for key, part in value.items())
    return False

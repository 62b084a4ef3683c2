"""Two items of one `foreach` step whose targets lead to one place of its store.

Each item's result is published at its target: two items that render one path (`{ratio:.1f}`
of 0.2 and of 0.25) overwrite each other on every run, and every later run finds one of them
changed. `validate` refuses that when the items are known before the run
(`config/targets.py`), the run when they are known only then (`execute/fanout.py`), before
any item is stored; both word it here. Items with the same key (the same item twice) store
the same result, so they never clash. Every item's target is rendered (about 15 µs each) and
kept until a clash or the end: only a `foreach` step with a target pays, and it writes a file
per item anyway; a target with the whole `{key}` in it is not rendered at all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pipeflow.records import record
from pipeflow.storage.templates import TargetFields, TemplateError, render_target


@record
class Clash:
    """Two items (their indexes, the first before the second) whose target is one place."""

    first: int
    second: int
    place: str


def item_clash(
    template: str,
    fields: TargetFields,
    items: Sequence[Any],
    *,
    key_of: Callable[[int], str],
    parts: Sequence[str],
    fold_case: bool = False,
) -> Clash | None:
    """The first two items of `items` whose target (for any of `parts`) is one place, else
    None. `fields` is the step's (its `item_name` set); `key_of` gives an item's key. A target
    that cannot render is left to the checks that report it. `fold_case`: the store is a
    local folder, where two targets that differ only in case are one file on a disk that
    ignores case (macOS, Windows)."""
    if "{key}" in template:
        return None  # each item's key whole: items with different keys never meet
    claimed: dict[str, tuple[int, str, str]] = {}
    for index, item in enumerate(items):
        key = key_of(index)
        for part in parts:
            try:
                rendered = render_target(template, replace(fields, output=part, item=item, key=key))
            except TemplateError:
                return None
            place = posixpath.normpath(rendered)
            other = claimed.setdefault(
                place.casefold() if fold_case else place, (index, key, place)
            )
            if other[0] != index and other[1] != key:
                if other[2] == place:
                    return Clash(other[0], index, place)
                return Clash(other[0], index, f"{other[2]} and {place}, {CASE_ONLY}")
    return None


# Why two places that differ only in case are one (`config/targets.py` says it of two steps).
CASE_ONLY = "which differ only in case: on a disk that ignores case (macOS, Windows) one file"


def clash_message(step: str, items: Sequence[Any], clash: Clash, item_name: str) -> str:
    """What is wrong and what to do, for a config problem and a failed step alike."""
    first, second = clash.first, clash.second
    return (
        f"items {first + 1} ({items[first]!r}) and {second + 1} ({items[second]!r}) of "
        f"`foreach` step `{step}` both store their result at {clash.place}: each run would "
        "overwrite one with the other; give each item its own target: put the item in it "
        f"whole (`{{{item_name}}}`, without a format that drops what tells items apart) "
        "or `{key}`"
    )

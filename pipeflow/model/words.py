"""Words messages share: `a_kind("int")` is "an int", `a_kind("DataFrame")` "a DataFrame"."""

from __future__ import annotations

from collections.abc import Callable


def a_kind(kind: str) -> str:
    """`kind` after its indefinite article, by its first letter (messages name types, whose
    names do not start with a silent h or a sounded vowel often enough to matter)."""
    vowel = kind[:1] != "" and kind[:1].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {kind}"


def counted(count: int, noun: str) -> str:
    """`1 item`, `3 items`: a count before its noun, in the plural unless it is one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def indexes(count: int, spelt: Callable[[int], str]) -> str:
    """The indexes of a list of `count` (at least one) items, each spelt by `spelt`: "`x.0`"
    for one, "`x.0` to `x.2`" for three."""
    if count == 1:
        return f"`{spelt(0)}`"
    return f"`{spelt(0)}` to `{spelt(count - 1)}`"

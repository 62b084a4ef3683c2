"""Words messages share: `a_kind("int")` is "an int", `a_kind("DataFrame")` "a DataFrame"."""

from __future__ import annotations


def a_kind(kind: str) -> str:
    """`kind` after its indefinite article, by its first letter (messages name types, whose
    names do not start with a silent h or a sounded vowel often enough to matter)."""
    vowel = kind[:1] != "" and kind[:1].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {kind}"

"""Did-you-mean wording for unknown names (formats, template fields) met in the storage layer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean `parquet`?)' for the closest candidate, or '' when none is close."""
    choices = sorted(set(candidates))
    matches = difflib.get_close_matches(word, choices, n=1)
    if not matches:
        # A case slip ("Parquet") scores low with difflib, yet it is the commonest typo of all.
        lowered = {choice.lower(): choice for choice in choices}
        match = lowered.get(word.lower())
        return f" (did you mean `{match}`?)" if match is not None else ""
    return f" (did you mean `{matches[0]}`?)"

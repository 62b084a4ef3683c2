"""The words of a misplaced key's problem (`placement.py`): what the keys of a mapping are
("a step key"), what holds them ("step `a`"), a TOML table's header, and lists of names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeflow.config.suggest import format_path

DocumentPath = tuple[str | int, ...]
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")  # a TOML key written without quotes


def indent_verb(*, deeper: bool, count: int) -> str:
    pronoun = "them" if count > 1 else "it"
    return f"indent {pronoun}" if deeper else f"dedent {pronoun}"


def keys_kind(path: DocumentPath, *, plural: bool) -> str:
    """What the keys of the mapping at `path` are: "a step key", "top-level keys"."""
    if not path:
        noun = "top-level key"
    elif path == ("steps",):
        noun = "step"
    elif len(path) == 2 and path[0] == "steps":
        noun = "step key"
    elif len(path) == 2 and path[0] == "schedules":
        noun = "schedule key"
    else:
        name = next((str(part) for part in reversed(path) if isinstance(part, str)), "")
        noun = f"`{name}` key"
    if plural:
        return noun + "s"
    return ("an " if noun.lstrip("`")[0] in "aeiou" else "a ") + noun


def holder_named(path: DocumentPath) -> str:
    if len(path) == 2 and path[0] == "steps":
        return f"step `{path[1]}`"
    if len(path) == 2 and path[0] == "schedules":
        return f"schedule {int(path[1]) + 1}"
    return f"`{format_path(path)}`" if path else "the top level"


def holder_noun(path: DocumentPath) -> str:
    if len(path) == 2 and path[0] == "steps":
        return "step"
    if len(path) == 2 and path[0] == "schedules":
        return "schedule"
    return f"`{format_path(path)}`" if path else "top level"


def toml_table(path: DocumentPath) -> str:
    """A TOML table header's name: `steps.a.result`, quoting keys that are not bare."""
    parts = [
        str(part) if BARE_KEY.match(str(part)) else '"' + str(part).replace('"', '\\"') + '"'
        for part in path
        if not isinstance(part, int)
    ]
    return ".".join(parts)


def listed(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]

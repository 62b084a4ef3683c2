"""Whether a path a step reads and a `result.target` may name the same files.

A target's pattern (`storage/templates.py`'s `target_pattern`) has a `*` for a field whose
value lies within one folder name (`{step}`, `{date:%Y-%m-%d}`) and a `**` for one that may
hold `/` (`{params.*}`, `{item}`). `fnmatch`, which the other matches of `locations.py` use,
lets `*` cross folders, so `data/*.json` would hold `data/raw/iris.csv/x.json`: every file
under a results root would be the target's, and a step that loads `data/raw/iris.csv` would
wait for a step that stores `{step}.json` under `data`. Here `*` and `?` stop at `/`.
"""

from __future__ import annotations

from pipeflow.model.locations import Location

_NAME = "*"  # any text within one folder name
_PATH = "**"  # any text, `/` included
_ONE = "?"  # one character other than `/` (a `[...]` class counts as one)


def target_meets(read: Location, target: Location) -> bool:
    """Whether `read` (no pattern) is the target or lies inside it, or the target may lie
    inside the folder `read`."""
    tokens = _tokens(target.key)
    end = len(tokens)
    states = _closure(tokens, {0})
    text = read.key.rstrip("/") + "/"
    for index, char in enumerate(text):
        if char == "/" and index and end in states:
            return True  # the target is the read, or a folder it lies in
        states = _after(tokens, states, char)
        if not states:
            return False
    return True  # the rest of the target may name a file inside the read folder


def _tokens(pattern: str) -> list[str]:
    """The pattern as literal characters and the three wildcards (each a str of its own)."""
    tokens: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            tokens.append(_PATH)
            while index < len(pattern) and pattern[index] == "*":
                index += 1
            continue
        close = pattern.find("]", index + 2) if char == "[" else -1
        if char == "*":
            tokens.append(_NAME)
        elif char == "?" or close > 0:
            tokens.append(_ONE)
            index = max(index, close)
        else:
            tokens.append(char)
        index += 1
    return tokens


def _closure(tokens: list[str], states: set[int]) -> set[int]:
    """The states, and those a wildcard matching nothing leads to."""
    found: set[int] = set()
    waiting = list(states)
    while waiting:
        state = waiting.pop()
        if state in found:
            continue
        found.add(state)
        if state < len(tokens) and tokens[state] in (_NAME, _PATH):
            waiting.append(state + 1)
    return found


def _after(tokens: list[str], states: set[int], char: str) -> set[int]:
    following: set[int] = set()
    for state in states:
        if state == len(tokens):
            continue
        token = tokens[state]
        if token is _PATH or (token is _NAME and char != "/"):
            following.add(state)  # the wildcard goes on
        elif (token is _ONE and char != "/") or (len(token) == 1 and token == char):
            following.add(state + 1)
    return _closure(tokens, following)

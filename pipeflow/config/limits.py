"""Bounds on what configs and params may hold: how deep values nest, finite numbers only, and
ints of no more digits than Python reads (4300; the TOML and JSON readers raise a bare
ValueError past it, which `long_int` locates).

A config, a params file, a `--param` value or params passed to the API that nest deeper than
MAX_DEPTH are refused with a located problem before anything walks them recursively (the
schema check, merging, cache keys), so no input ends in a RecursionError. NaN and infinities
are refused in params: JSON cannot hold them, and a bound such as `exclusiveMinimum` lets NaN
through, since every comparison with it is false.

Both walks are iterative, so they never recurse however deep the value.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from pipeflow.errors import Problem

MAX_DEPTH = 64  # levels of mappings and lists; a real config nests fewer than ten

Path = tuple[str | int, ...]


def _walk(value: Any, limit: int) -> Iterator[tuple[Any, Path]]:
    """Every value inside `value` with its path, not going below `limit` levels."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        yield item, path
        if len(path) > limit:
            continue
        if isinstance(item, Mapping):
            stack.extend((inner, (*path, key)) for key, inner in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend(
                (inner, (*path, index)) for index, inner in reversed(list(enumerate(item)))
            )


def too_deep(value: Any, limit: int = MAX_DEPTH) -> Path | None:
    """The path of the first value nested deeper than `limit` levels, or None."""
    if _depth_within(value, limit):  # most values: no paths to build
        return None
    for _, path in _walk(value, limit):
        if len(path) > limit:
            return path
    return None


def _depth_within(value: Any, limit: int) -> bool:
    """Whether nothing inside `value` is nested deeper than `limit` levels (as `_walk` counts)."""
    level = [value]  # the values at one depth, a level at a time (no pair per value)
    for depth in range(limit + 1):
        nested: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is str:
                continue
            if kind is dict or isinstance(item, Mapping):
                children: Any = item.values()
            elif kind is list or isinstance(item, list | tuple):
                children = item
            else:
                continue
            if children:
                if depth >= limit:
                    return False  # a child would sit at depth limit + 1
                nested.extend(children)
        if not nested:
            return True
        level = nested
    return True


def non_finite(value: Any) -> list[Path]:
    """The paths of NaN and infinite numbers inside `value` (which must not be too deep)."""
    return [
        path
        for item, path in _walk(value, MAX_DEPTH)
        if isinstance(item, float) and not math.isfinite(item)
    ]


def show_path(path: Path) -> str:
    """A path for a message, shortened in the middle when long: `a.b.c...y.z`."""
    parts = [str(part) for part in path]
    if len(parts) > 6:
        parts = [*parts[:3], "...", *parts[-2:]]
    return ".".join(parts)


def too_deep_message(path: Path, what: str) -> str:
    return (
        f"{what} nests more than {MAX_DEPTH} levels deep "
        f"(at `{show_path(path[: MAX_DEPTH + 1])}`); "
        "refusing to read it"
    )


TOO_DEEP_HINT = (
    "configs and params nest a few levels; look for runaway nesting (dotted keys, brackets, "
    "indentation)"
)
NON_FINITE_HINT = (
    "NaN and infinities cannot be stored or compared reliably; give a finite number, or `null` "
    "for 'no value'"
)


def non_finite_message(name: str, value: float) -> str:
    return f"param `{name}` is {value!r}, not a finite number"


_INT = re.compile(r"[-+]?[0-9][0-9_]*")


def long_int(text: str) -> tuple[int, int, int] | None:
    """Where the first int written in `text` (a TOML or JSON file) with more digits than
    Python turns into an int starts: (line, column, its number of digits); None if none."""
    limit = sys.get_int_max_str_digits()
    if not limit:
        return None
    for found in _INT.finditer(text):
        digits = len(found.group().lstrip("-+").replace("_", ""))
        if digits <= limit:
            continue
        before = text[: found.start()].rstrip(" \t")
        after = text[found.end() : found.end() + 1]
        if (before and before[-1] not in "=:,[{\n") or after in (".", "e", "E"):
            continue  # inside a text or a name, or a float's digits (which it reads)
        line = text.count("\n", 0, found.start()) + 1
        return line, found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1, digits
    return None


def long_int_problem(text: str, file: str) -> Problem | None:
    """The problem of the first int in `text` too long to read (`long_int`), or None."""
    found = long_int(text)
    if found is None:
        return None
    line, column, digits = found
    message = (
        f"cannot read a number of {digits} digits: at most {sys.get_int_max_str_digits()} "
        "are read as a number"
    )
    return Problem(message, file, line, column, hint="quote it to keep it as text")

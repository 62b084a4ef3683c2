"""The names of params: a key names one param, and a dot in it nests nothing (how to write
it nested instead)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.config.limits import MAX_DEPTH
from pipeflow.config.reader import Document
from pipeflow.errors import Problem


def nesting_hint(name: Any, defaults: Mapping[str, Any] | None = None) -> str | None:
    """For a dotted key in a file (`cfg.b.d: 40`): a key there names one param, and no param
    name has a dot, so say how to write it nested."""
    first, _, rest = str(name).partition(".")
    if not rest:
        return None
    nested = "".join(f"{{{part}: " for part in rest.split("."))
    return f"a dotted key does not nest here: write `{first}: {nested}...{'}' * rest.count('.')}}}`"


def dotted_names(values: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The path of every key with a dot among the params' names (mappings in mappings): no
    `${params.a.b}` nor `--param a.b=1` could name it, as both read a dot as nesting."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [((), values)]
    while stack:
        path, mapping = stack.pop()
        for name, value in mapping.items():
            here = (*path, str(name))
            if "." in str(name):
                found.append(here)
            elif isinstance(value, Mapping) and len(here) < MAX_DEPTH:
                stack.append((here, value))
    return sorted(found)


def dotted_name_problems(values: Mapping[str, Any], document: Document) -> list[Problem]:
    """A problem at each param name with a dot in the config's `params:`."""
    return [
        document.problem(
            ["params", *path],
            f"the param name `{path[-1]}` has a dot: `${{params.{'.'.join(path)}}}` and "
            f"`--param {'.'.join(path)}=...` read a dot as a nested param, so nothing could "
            "name it",
            hint=f"{nesting_hint(path[-1])} (a param name has no dot)",
            key=True,
        )
        for path in dotted_names(values)
    ]

"""Values that stayed where they were made (`Remote`), and the walks over a task's values.

A `Remote` stands for a value that stayed on the worker that made it, in the run's values and
in tasks' inputs (`pick`, `remotes_in`, `fill`); `fill_strings` and `client_paths` rewrite the
strings in a value (a path of a Dask worker's workspace given back as the client's).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

from pipeflow.execute.failures import StepError
from pipeflow.model.nesting import DEEPEST
from pipeflow.model.words import a_kind
from pipeflow.records import record


@record
class Remote:
    """A step's value that stayed where it was made (a Dask worker's memory): the executor's
    key for it, and the path of the part a reference takes from it (`${steps.a.x}`).

    It stands in the run's values and in a task's inputs like the value itself; the executor
    hands the value to the worker that runs the task, and the run fetches it only when the
    client needs it (`when`, `foreach`, a reference inside a text, `Run.output()`)."""

    step: str
    key: str
    path: tuple[str, ...] = ()

    def part(self, name: str) -> Remote:
        return Remote(self.step, self.key, (*self.path, name))


def pick(value: Any, remote: Remote) -> Any:
    """The part of a step's value that a Remote names."""
    for name in remote.path:
        if not isinstance(value, Mapping) or name not in value:
            raise StepError(no_part(remote.step, name, value))
        value = value[name]
    return value


def no_part(step: str, name: str, value: Any) -> str:
    """Why `${steps.STEP.NAME}` names nothing in `value`, what step STEP returned."""
    reference = f"`${{steps.{step}.{name}}}`"
    if isinstance(value, Mapping):
        keys = [f"`{key}`" for key in itertools.islice(value, 20)]
        listed = ", ".join(keys) + (", ..." if len(value) > len(keys) else "") or "none"
        return (
            f"{reference}: step `{step}` returned a dict with no key `{name}` (its keys: {listed})"
        )
    return (
        f"{reference}: step `{step}` returned {a_kind(type(value).__name__)}, not a dict: a "
        f"part names a key of the dict a step returns, or one of its `outputs:`; take "
        f"`${{steps.{step}}}` whole and its part in the step"
    )


def remotes_in(value: Any) -> list[Remote]:
    """The Remotes in a value, looking inside dicts, lists and tuples (DEEPEST levels at
    most: the engine puts Remotes where the config's references are, never deeper)."""
    found: list[Remote] = []

    def walk(item: Any, depth: int) -> None:
        if isinstance(item, Remote):
            found.append(item)
        elif depth >= DEEPEST:
            return
        elif isinstance(item, Mapping):
            for inner in item.values():
                walk(inner, depth + 1)
        elif isinstance(item, list | tuple):
            for inner in item:
                walk(inner, depth + 1)

    walk(value, 0)
    return found


def fill(value: Any, get: Callable[[Remote], Any], depth: int = 0) -> Any:
    """The value with each Remote replaced by what `get` gives for it (as `remotes_in`
    finds them)."""
    if isinstance(value, Remote):
        return get(value)
    if depth >= DEEPEST:
        return value
    depth += 1
    if isinstance(value, dict):
        return {key: fill(item, get, depth) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, get, depth) for item in value]
    if isinstance(value, tuple):
        return tuple(fill(item, get, depth) for item in value)
    return value


def fill_strings(value: Any, change: Callable[[str], str], depth: int = 0) -> Any:
    """The value with each string in it (inside dicts, lists, tuples, sets and frozensets,
    DEEPEST levels at most, as `StepFiles.absolute_within` made them absolute) replaced by
    what `change` gives for it; a `pathlib` path by a path of its type to what `change`
    gives for its text."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, PurePath):
        text = str(value)
        changed = change(text)
        return value if changed == text else type(value)(changed)
    if depth >= DEEPEST:
        return value
    depth += 1
    if isinstance(value, dict):
        return {key: fill_strings(item, change, depth) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_strings(item, change, depth) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(fill_strings(item, change, depth) for item in value)
    if type(value) in (set, frozenset):
        return type(value)(fill_strings(item, change, depth) for item in value)
    return value


def client_paths(value: Any, workspace: str) -> Any:
    """The value with each path into `workspace` (a text, a `pathlib` path or a `file://`
    URL, inside dicts, lists and tuples, DEEPEST levels at most) given back as the client
    path it stands for (`landing.here` the other way); the value itself when it names none."""
    if not workspace:
        return value
    inside = workspace.rstrip("/") + "/"

    def back(text: str) -> str:
        if text.startswith(inside):
            return text[len(inside) - 1 :]
        if text.startswith("file://" + inside):
            return "file://" + text[len("file://") + len(inside) - 1 :]
        return text

    def walk(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            return back(item)
        if isinstance(item, PurePath):
            text = str(item)
            moved = back(text)
            return item if moved == text else type(item)(moved)
        if depth >= DEEPEST:  # as deep as the paths in a value are looked for (`nesting`)
            return item
        if type(item) is dict:
            found = {key: walk(inner, depth + 1) for key, inner in item.items()}
            changed = any(found[key] is not inner for key, inner in item.items())
            return found if changed else item  # nothing changed: the very value, not a copy
        if type(item) in (list, tuple):
            items = [walk(inner, depth + 1) for inner in item]
            changed = any(new is not old for new, old in zip(items, item, strict=True))
            return type(item)(items) if changed else item
        return item

    return walk(value, 0)

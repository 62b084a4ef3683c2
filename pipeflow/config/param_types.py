"""A param default's type is a promise: what an override of it may be (`check_type`: an int
for a float becomes a float, a bool is no int, a `${run.*}` value is typed as the run gives
it), how messages word a value and its type (`describe`: "an int (42)"), and numpy numbers
given in Python made Python's (`python_numbers`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pipeflow.model.refs import Ref, Template, run_stand_ins, unparse
from pipeflow.model.secrets import MASK, NO_SECRETS, Secrets
from pipeflow.model.words import a_kind

MISMATCH = object()
TOO_LARGE = object()  # an int for a float param, beyond the largest float


def shortened_int(value: int, secrets: Secrets, *, hidden: bool) -> str:
    """A huge int shortened for a message: its first digits and how many there are."""
    if hidden:
        return MASK
    text = str(value)  # at most 4300 digits: reading more is refused before this
    return secrets.mask(f"{text[:12]}... {len(text.lstrip('-'))} digits")


def same_type_hint(dotted: str, default: Any, value: Any, written: str | None) -> str:
    """What to do about a value of another type than its param's default: for a text param
    given what YAML read as a date, a number or a boolean, quote it (`quote_hint`)."""
    if isinstance(default, str):
        quote = quote_hint(dotted, value, written, "as its default is")
        if quote is not None:
            return quote
    if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
        return f"give `{dotted}` a whole number, as its default is (e.g. `{default}`)"
    if isinstance(default, date | time):  # a date's JSON form is its ISO text: show it
        return (
            f"give `{dotted}` a value of the same type as its default, e.g. `{default.isoformat()}`"
        )
    return f"give `{dotted}` a value of the same type as its default"


def quote_hint(dotted: str, value: Any, written: str | None, why: str) -> str | None:
    """For a text param given what YAML read as a date, a number or a boolean: quote it as
    it was `written` (`off`, not the `false` YAML made of it; spelt from the value where that
    is unknown), and so for what YAML read as a mapping or a list (`Results: v2`) where it is
    known; else None. `why` the param is text ("as its default is")."""
    # A text YAML reads as a collection (`Results: v2`, `[draft]`) is known as written only.
    typed = isinstance(value, int | float | date)  # bool is an int
    if not (typed or (written and isinstance(value, Mapping | list))):
        return None
    text = written
    if text is None:
        text = value.isoformat() if isinstance(value, date) else str(value).lower()
    return (
        f'quote it to keep it text, {why}: `"{text}"` '
        f"(on the command line, --param '{dotted}=\"{text}\"')"
    )


def check_type(default: Any, value: Any) -> Any:
    """The override as stored (an int becomes a float for a float default), or MISMATCH."""
    if default is None or value is None or isinstance(default, Ref | Template):
        return value  # no default type to keep (a `${run.*}` default is filled at run time)
    if isinstance(value, Ref | Template):  # a parent's `${run.*}` param: typed as the run gives it
        typed = run_stand_ins(value)
        if isinstance(typed, Ref | Template):
            return value
        return value if check_type(default, typed) is not MISMATCH else MISMATCH
    if isinstance(default, bool) or isinstance(value, bool):
        return value if isinstance(default, bool) and isinstance(value, bool) else MISMATCH
    if isinstance(default, date | time) and isinstance(value, str):
        # The ISO text is how a date is written in JSON, and how pipeflow records it.
        parsed = iso_value(type(default), value)
        return MISMATCH if parsed is None else parsed
    if isinstance(default, float) and isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return TOO_LARGE
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)  # `2.0`, `1e3`: whole, an integer to JSON Schema too
    if isinstance(default, int | float) and isinstance(value, int | float):
        return value if isinstance(value, type(default)) else MISMATCH
    if isinstance(default, str) and isinstance(value, str):
        return value
    if isinstance(default, str) and isinstance(value, os.PathLike):  # a Path given in Python
        text = os.fspath(value)
        return text if isinstance(text, str) else MISMATCH
    if isinstance(default, list) and isinstance(value, list):
        items, wrong = check_items(default, value)
        return MISMATCH if wrong else items
    if isinstance(default, Mapping) and isinstance(value, Mapping):
        return value
    if type(default) is type(value):
        return value
    return MISMATCH


# The plural of each type a default list's items may share, for messages.
_PLURALS = {bool: "booleans", int: "ints", float: "numbers", str: "strings"}


def item_type(default: list[Any]) -> type | None:
    """The type every item of a default list has (ints among floats are numbers), or None
    when it is empty or its items differ (or are no scalars): then any list will do."""
    kinds = {type(item) for item in default}
    if kinds == {int, float}:
        return float
    if len(kinds) == 1 and next(iter(kinds)) in _PLURALS:
        return next(iter(kinds))
    return None


def items_named(kind: type) -> str:
    """`numbers`, `strings`: a list's items of `kind`, in messages."""
    return _PLURALS[kind]


def check_items(default: list[Any], value: list[Any]) -> tuple[list[Any], dict[int, Any]]:
    """An override of a list param, item by item against the type its default's items share
    (`item_type`): the items as stored (an int becomes a float among numbers), and what
    `check_type` said of each item that has not that type (MISMATCH or TOO_LARGE), by index."""
    kind = item_type(default)
    if kind is None:
        return value, {}
    example = next(item for item in default if type(item) is kind)
    items: list[Any] = []
    wrong: dict[int, Any] = {}
    for index, item in enumerate(value):
        checked = check_type(example, item)
        if checked is MISMATCH or checked is TOO_LARGE:
            wrong[index] = checked
        items.append(checked)
    return items, wrong


def python_numbers(value: Any) -> Any:
    """`value` with each numpy number or boolean in it (`np.int64(3)` from `np.arange`,
    `np.float32`, `np.bool_`) made the Python value it holds, as `--param` would give it:
    those are no `int`, `float` or `bool` to the type checks, the cache key or JSON."""
    if isinstance(value, list):
        return [python_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: python_numbers(item) for key, item in value.items()}
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    numpy = type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0
    return value.item() if numpy and kind in ("b", "i", "u", "f") else value


_ISO = {
    date: re.compile(r"\d{4}-\d{2}-\d{2}"),
    datetime: re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?"),
    time: re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?"),
}


def iso_value(kind: type[date] | type[time], text: str) -> date | time | None:
    """`text` as a value of `kind` (a date, a datetime or a time) when it is that value's
    ISO text (`2024-01-31`, `2024-01-31T10:00:00+01:00`, `07:30:00`), else None."""
    pattern = _ISO.get(kind)
    if pattern is None or not pattern.fullmatch(text):
        return None
    try:
        if kind is datetime:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        return kind.fromisoformat(text)
    except ValueError:  # `2024-02-30`, `25:00`
        return None


_NAMES = {
    bool: "a boolean",
    int: "an int",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def describe(value: Any, secrets: Secrets = NO_SECRETS, *, hidden: bool = False) -> str:
    """`an int (42)`, `a string ('abc')`: how messages show a value and its type. A hidden
    value is `***`, and secrets inside a value are masked before it is shortened (a
    shortened secret would no longer be recognised)."""
    if isinstance(value, Ref | Template):  # filled in when the run starts
        typed = run_stand_ins(value)
        kind = _NAMES.get(type(typed)) or a_kind(type(typed).__name__)
        return f"{kind} at run time ({MASK if hidden else secrets.mask(unparse(value))})"
    if value is None:
        return "null"
    kind = _NAMES.get(type(value)) or a_kind(type(value).__name__)
    shown = MASK if hidden else secrets.mask(repr(value))
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} ({shown})"

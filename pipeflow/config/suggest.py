"""Wording helpers for config problems: did-you-mean suggestions, document paths and value names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from pipeflow.errors import did_you_mean

__all__ = ["describe_value", "did_you_mean", "format_path", "listing", "type_name"]

# Keys that read well after a dot; others go in brackets so the path stays unambiguous.
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SHORT_TEXT = 40


def listing(what: str, names: Any) -> str:
    """`known steps: `a`, `b`` (the first eight), for a hint when no name is close."""
    names = list(dict.fromkeys(names))  # a name given twice (a refused repeat) shown once
    if not names:
        return f"there are no {what}"
    shown = ", ".join(f"`{n}`" for n in names[:8])
    return f"known {what}: {shown}" + (", ..." if len(names) > 8 else "")


def format_path(parts: Sequence[str | int]) -> str:
    """`steps.split_data.inputs.data`, `schedules[0].cron`; odd keys as `params["a.b"]`."""
    text = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            escaped = str(part).replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text


def type_name(value: Any) -> str:
    """How a value's kind reads in a message: 'a string', 'a list', 'a mapping'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time"
    return f"a {type(value).__name__}"


def describe_value(value: Any) -> str:
    """A value as a message quotes it: "'abc' (str)", '3 (int)', 'true', 'a list'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= _SHORT_TEXT else value[: _SHORT_TEXT - 3] + "..."
        return f"{shown!r} (str)"
    if isinstance(value, int | float):
        return f"{value!r} ({type(value).__name__})"
    return type_name(value)


def name_like(value: str, *, allow_dash: bool) -> str:
    """The name a config takes nearest to `value` (`ünï-x` -> `uni_x`): ASCII letters, digits
    and `_` (and `-`, with `allow_dash`), not starting with a digit."""
    allowed = r"[^A-Za-z0-9_-]+" if allow_dash else r"[^A-Za-z0-9_]+"
    cleaned = re.sub(allowed, "_", plain_name(value)).strip("_") or "name"
    return f"_{cleaned}" if cleaned[0].isdigit() or cleaned[0] == "-" else cleaned


def plain_name(value: str) -> str:
    """The name meant: a reference's last name (`${steps.load}` -> `load`, where a name is
    taken), and letters without their accents (`ünï` -> `uni`)."""
    reference = re.fullmatch(r"\s*\$\{\s*(?:[A-Za-z_]+\.)?([^{}]*?)\s*\}\s*", value)
    if reference:
        value = reference.group(1).rsplit(".", 1)[-1]
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))

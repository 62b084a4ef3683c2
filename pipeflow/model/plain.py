"""`json_value`: the one JSON form of a param value, as a step's manifest records it and every
channel shows it (status reasons, `--json`, `--junit`, `runs show`, the UI, JSON lines) and as
`params_schema` checks it: a date, time or datetime is its ISO text (`2024-01-01`, `07:30:00`,
`2024-01-01T10:00:00+00:00`), bytes (YAML's `!!binary`) their base64 text, a tuple a list, a
mapping's keys text; anything else JSON cannot hold is its repr."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pipeflow.model.nesting import DEEPEST


def json_value(value: Any, depth: int = 0) -> Any:
    """`value` as JSON holds it (see the module's docstring); a value of JSON's own is
    returned as it is."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if depth >= DEEPEST:
        return repr(value)
    if isinstance(value, Mapping):
        return {str(key): json_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item, depth + 1) for item in value]
    return repr(value)

"""JSON as pipeflow writes it: strict, so no file, report or response ever holds a bare NaN.

Python's json module writes NaN and infinities as `NaN`, `Infinity` and `-Infinity`, which are
not JSON: strict parsers (browsers, jq, Go, Rust) refuse the whole document. Every JSON text
pipeflow writes goes through `dumps`, which writes such numbers as the strings "NaN",
"Infinity" and "-Infinity" instead (params never hold them: they are refused on input; a
step's non-finite value is stored in a format that holds it, never in a JSON payload).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def finite(value: Any) -> Any:
    """The value with each NaN or infinite float replaced by its name as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """`json.dumps` that never writes a bare NaN or infinity (see the module's docstring)."""
    import json  # here, so that `pipeflow --help` does not import it (the CLI imports this)

    try:
        # Most documents hold no such number: written as they are, without a copy first (a
        # manifest is written for every stored step).
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        return json.dumps(finite(value), allow_nan=False, **options)


def utf8(text: str) -> bytes:
    """A JSON text's UTF-8 bytes; a lone surrogate in it (a file name that is not UTF-8, as
    Python decodes it) written as its `\\udcXX` escape, which json reads back as the same
    character (UTF-8 has no bytes for it). Only inside strings can a JSON text hold one."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        import re

        escaped = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
        return escaped.encode("utf-8")

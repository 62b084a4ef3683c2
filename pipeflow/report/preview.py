"""A short, readable preview of a stored value for `pipeflow result --show`."""

from __future__ import annotations

import pprint
from collections.abc import Mapping
from typing import Any

ROWS = 10


def preview_parts(parts: Mapping[str, Any]) -> str:
    """Each named output of a step under its name; a dict inside one stays a nested dict."""
    return "\n\n".join(f"[{name}]\n{preview(part)}" for name, part in parts.items())


def preview(value: Any) -> str:
    """The head of a table or array, or a truncated repr of anything else (nested as it is)."""
    head = getattr(value, "head", None)
    shape = getattr(value, "shape", None)
    if callable(head) and shape is not None:
        text = str(head(ROWS))
        return f"{text}\n[{_shape(shape)}]"
    if shape is not None:
        return f"{pprint.pformat(value, width=100)[:2000]}\n[{_shape(shape)}]"
    text = pprint.pformat(value, width=100, compact=True)
    return text if len(text) <= 2000 else text[:2000] + " ..."


def _shape(shape: Any) -> str:
    return " x ".join(str(n) for n in shape)

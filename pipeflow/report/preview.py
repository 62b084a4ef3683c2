"""A short, readable preview of a stored value for `pipeflow result --show`."""

from __future__ import annotations

import pprint
from typing import Any

ROWS = 10


def preview(value: Any) -> str:
    """The head of a table or array, or a truncated repr of anything else."""
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return "\n\n".join(f"[{name}]\n{preview(part)}" for name, part in value.items())
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

"""The names of params: a key names one param, and a dot in it nests nothing (how to write
it nested instead)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def nesting_hint(name: Any, defaults: Mapping[str, Any] | None) -> str | None:
    """For a dotted key in a file (`cfg.b.d: 40`) whose first part is a mapping param: a key
    there names one param, so say how to write it nested."""
    first, _, rest = str(name).partition(".")
    if not rest or defaults is None or not isinstance(defaults.get(first), Mapping):
        return None
    nested = "".join(f"{{{part}: " for part in rest.split("."))
    return f"a dotted key does not nest here: write `{first}: {nested}...{'}' * rest.count('.')}}}`"
